package io.pgflowee.web.console;

import java.io.IOException;
import java.util.Iterator;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.faces.FacesException;
import jakarta.faces.application.ViewExpiredException;
import jakarta.faces.context.ExceptionHandler;
import jakarta.faces.context.ExceptionHandlerFactory;
import jakarta.faces.context.ExceptionHandlerWrapper;
import jakarta.faces.context.ExternalContext;
import jakarta.faces.context.FacesContext;
import jakarta.faces.event.ExceptionQueuedEvent;

/**
 * No stack trace ever reaches a browser: an exception that escapes a console page or action (full
 * request or Ajax) is logged with a new error id ({@code PGFLOW-084 console error <id>}) and the
 * browser is sent to {@code error.xhtml?id=<id>}. An expired view (the page sat open past the
 * session) reloads the page instead.
 */
public class ConsoleExceptionHandlerFactory extends ExceptionHandlerFactory {

    private static final Logger LOG = Logger.getLogger(ConsoleExceptionHandlerFactory.class.getName());

    public ConsoleExceptionHandlerFactory(ExceptionHandlerFactory wrapped) {
        super(wrapped);
    }

    @Override
    public ExceptionHandler getExceptionHandler() {
        return new Handler(getWrapped().getExceptionHandler());
    }

    private static final class Handler extends ExceptionHandlerWrapper {

        Handler(ExceptionHandler wrapped) {
            super(wrapped);
        }

        @Override
        public void handle() {
            Iterator<ExceptionQueuedEvent> events = getUnhandledExceptionQueuedEvents().iterator();
            if (!events.hasNext()) {
                getWrapped().handle();
                return;
            }
            Throwable error = events.next().getContext().getException();
            events.remove();
            while (events.hasNext()) { // one page per request: the first error is the one to report
                events.next();
                events.remove();
            }
            FacesContext faces = FacesContext.getCurrentInstance();
            ExternalContext external = faces.getExternalContext();
            String target;
            if (unwrap(error) instanceof ViewExpiredException expired) {
                target = external.getRequestContextPath() + expired.getViewId();
            } else {
                String id = UUID.randomUUID().toString();
                LOG.log(Level.SEVERE, "PGFLOW-084 console error " + id + " on " + external.getRequestServletPath(), error);
                target = external.getRequestContextPath() + "/error.xhtml?id=" + id;
            }
            try {
                if (!external.isResponseCommitted()) {
                    external.responseReset();
                    external.redirect(target);
                }
            } catch (IOException | IllegalStateException e) {
                LOG.log(Level.FINE, "console error page not reached", e);
            }
            faces.responseComplete();
        }

        private static Throwable unwrap(Throwable t) {
            Throwable at = t;
            while ((at instanceof FacesException || at instanceof jakarta.el.ELException) && at.getCause() != null) {
                at = at.getCause();
            }
            return at;
        }
    }
}
