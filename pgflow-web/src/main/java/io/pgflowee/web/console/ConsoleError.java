package io.pgflowee.web.console;

import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The error page's id: the one the Faces exception handler logged ({@code ?id=}), or, when the
 * container forwarded an error here itself, a new one logged now with the exception.
 */
@Named
@RequestScoped
public class ConsoleError {

    private static final Logger LOG = Logger.getLogger(ConsoleError.class.getName());

    @Inject
    HttpServletRequest request;

    private String id;

    public String getId() {
        if (id == null) {
            String given = request.getParameter("id");
            if (given != null && given.matches("[0-9a-f-]{36}")) {
                id = given;
            } else {
                id = UUID.randomUUID().toString();
                Object error = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
                LOG.log(Level.SEVERE, "PGFLOW-084 console error " + id + " on " + request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI)
                        + " (status " + request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) + ")",
                        error instanceof Throwable t ? t : null);
            }
        }
        return id;
    }
}
