package io.pgflowee.web.console;

import io.pgflowee.web.security.Role;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.servlet.http.HttpServletRequest;

/** The signed-in console user of this request: name and highest role, and what the role allows. */
@Named
@RequestScoped
public class ConsoleUser {

    @Inject
    HttpServletRequest request;

    public String getName() {
        return request.getUserPrincipal() == null ? "" : request.getUserPrincipal().getName();
    }

    /** The highest pgflow role, for example {@code pgflow-operator}. */
    public String getRole() {
        return Role.highest(request::isUserInRole).map(Role::roleName).orElse("");
    }

    /** The session's token, which the sign-out form sends back (another site cannot know it). */
    public String getToken() {
        io.pgflowee.web.security.ConsoleSignIn signIn = io.pgflowee.web.security.ConsoleSignIn.of(request.getSession(false));
        return signIn == null ? "" : signIn.token();
    }

    /** Whether the user may start, cancel, retry, restart, pause and limit (operator or admin). */
    public boolean isOperator() {
        return request.isUserInRole(Role.OPERATOR.roleName());
    }

    /** Whether the user may run batch jobs (admin). */
    public boolean isAdmin() {
        return request.isUserInRole(Role.ADMIN.roleName());
    }
}
