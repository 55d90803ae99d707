package io.pgflowee.web.console;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.web.security.AccessPolicy;
import io.pgflowee.web.security.ApiAuthentication;
import io.pgflowee.web.security.ConsoleSignIn;
import io.pgflowee.web.security.SecurityHeaders;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The sign-in page's form: a CSRF token that is both a hidden field and a strict cookie (another
 * site can neither read it nor make the browser send the cookie), and the page to return to after
 * signing in, when it is a page of this application.
 */
@Named
@RequestScoped
public class SignInForm {

    @Inject
    HttpServletRequest request;

    @Inject
    @ConfigProperty(name = "pgflow.security.trustForwardedHeaders", defaultValue = "false")
    boolean trustForwarded;

    private String token;

    /**
     * The form's token: the browser's sign-in cookie when it has one (a browser renders the sign-in
     * page more than once: for the favicon, or in another tab, and every copy of the form must stay
     * valid), else a new one, set as that cookie.
     */
    public String getToken() {
        String existing = token == null ? SecurityHeaders.cookieValue(request, ApiAuthentication.SIGN_IN_COOKIE) : null;
        if (existing != null && existing.matches("[A-Za-z0-9_-]{43}")) {
            token = existing;
        }
        if (token == null) {
            token = ConsoleSignIn.newToken();
            HttpServletResponse response = (HttpServletResponse) jakarta.faces.context.FacesContext.getCurrentInstance()
                    .getExternalContext().getResponse();
            SecurityHeaders.cookie(request, response, ApiAuthentication.SIGN_IN_COOKIE, token, SecurityHeaders.secure(request, trustForwarded));
        }
        return token;
    }

    /** Where to go after signing in (a local path, else empty: the dashboard). */
    public String getNext() {
        String next = request.getParameter("next");
        String target = AccessPolicy.localTarget(next);
        return target.equals("/") ? "" : target;
    }
}
