package io.pgflowee.web.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import io.pgflowee.web.rest.Problems;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.authentication.mechanism.http.HttpAuthenticationMechanism;
import jakarta.security.enterprise.authentication.mechanism.http.HttpMessageContext;
import jakarta.security.enterprise.credential.UsernamePasswordCredential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Sign-in for {@code /api}: HTTP Basic against {@link ConfiguredUsers}. Reading ({@code GET},
 * {@code HEAD}, {@code OPTIONS}) needs any pgflow role; changing anything needs
 * {@code pgflow-operator} or {@code pgflow-admin}. Refusals are problem details: 401 with
 * {@code WWW-Authenticate} when credentials are missing or wrong, 403 when the role does not allow
 * the request. {@code /metrics} needs any pgflow role unless {@code pgflow.metrics.public=true}.
 * {@code /health}, {@code /openapi} and everything else outside {@code /api} are not touched.
 * Passwords are never logged.
 */
@ApplicationScoped
@jakarta.annotation.security.DeclareRoles({"pgflow-viewer", "pgflow-operator", "pgflow-admin"})
@fish.payara.security.annotations.RealmIdentityStoreDefinition("file")
public class ApiAuthentication implements HttpAuthenticationMechanism {

    private static final Set<String> READING = Set.of("GET", "HEAD", "OPTIONS");

    @Inject
    ConfiguredUsers users;

    @Inject
    @jakarta.enterprise.inject.Any
    jakarta.enterprise.inject.Instance<IdentityStore> stores;

    /** {@code pgflow.security.serverRealm=true}: callers unknown to {@code pgflow.users} are checked against the server's realm. */
    @Inject
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "pgflow.security.serverRealm", defaultValue = "false")
    boolean serverRealm;

    /** {@code pgflow.metrics.public=true}: {@code /metrics} without sign-in (for a scraper inside a trusted network). */
    @Inject
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "pgflow.metrics.public", defaultValue = "false")
    boolean metricsPublic;

    @Override
    public AuthenticationStatus validateRequest(HttpServletRequest request, HttpServletResponse response, HttpMessageContext context) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        boolean metrics = path.equals("/metrics");
        if (!(path.equals("/api") || path.startsWith("/api/") || metrics && !metricsPublic)) {
            return consolePage(path) ? console(request, response, context, path) : context.doNothing();
        }
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return refuse(response, 401, "Sign-in required", users.anyUser() || serverRealm
                    ? "send the credentials of a pgflow user with HTTP Basic (curl -u name:password)"
                    : "no API users are configured: set pgflow.users (environment PGFLOW_USERS), see the README's 'Sign-in'", path);
        }
        String[] credentials;
        try {
            credentials = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8).split(":", 2);
        } catch (IllegalArgumentException e) {
            credentials = new String[0];
        }
        if (credentials.length != 2) {
            return refuse(response, 401, "Sign-in failed", "the Authorization header is not Basic base64(name:password)", path);
        }
        Optional<Role> role = roleOf(credentials[0], credentials[1]);
        if (role.isEmpty()) {
            return refuse(response, 401, "Sign-in failed", "unknown user or wrong password", path);
        }
        if (!READING.contains(request.getMethod()) && role.get().compareTo(Role.OPERATOR) < 0) {
            return refuse(response, 403, "Forbidden", "user '" + credentials[0] + "' has role " + role.get().roleName() + "; "
                    + request.getMethod() + " " + path + " needs pgflow-operator or pgflow-admin", path);
        }
        return context.notifyContainerAboutLogin(credentials[0], new HashSet<>(role.get().withImplied()));
    }

    /** The user's role when the name and password are right: configured users first, then (if enabled) the server's realm. */
    private Optional<Role> roleOf(String name, String password) {
        Optional<Role> role = users.verify(name, password);
        return role.isEmpty() && serverRealm ? realmRole(name, password) : role;
    }

    /**
     * The console's paths, which need a console sign-in: {@code /}, the Faces pages (except the
     * sign-in page), the live feed {@code /console/live}, {@code /login} and {@code /logout}. Faces resources (styles, scripts), health,
     * OpenAPI, public metrics and other servlets are not the console's.
     */
    private static boolean consolePage(String path) {
        return path.equals("/") || path.equals("/login") || path.equals("/logout") || path.equals("/console/live")
                || path.endsWith(".xhtml") && !path.equals("/login.xhtml") && !path.startsWith("/jakarta.faces.resource/");
    }

    /** Who signed in to the console in this session (kept in the HTTP session; never a password). */
    public record ConsoleSignIn(String name, Role role) implements java.io.Serializable {
    }

    static final String SESSION_KEY = "pgflow.console.signIn";

    /**
     * The console: a form sign-in ({@code POST /login} with {@code username} and {@code password})
     * that keeps who signed in in a new HTTP session; {@code /logout} ends it. Every other console
     * request needs that session, else it is sent to the sign-in page. The API never accepts the
     * session (only Basic), so a signed-in browser cannot be made to call the API by another site.
     */
    private AuthenticationStatus console(HttpServletRequest request, HttpServletResponse response, HttpMessageContext context,
                                         String path) {
        String base = request.getContextPath();
        try {
            if (path.equals("/login") && "POST".equals(request.getMethod())) {
                String name = request.getParameter("username");
                String password = request.getParameter("password");
                Optional<Role> role = name == null || password == null ? Optional.empty() : roleOf(name, password);
                if (role.isEmpty()) {
                    response.sendRedirect(base + "/login.xhtml?failed");
                    return AuthenticationStatus.SEND_FAILURE;
                }
                jakarta.servlet.http.HttpSession old = request.getSession(false);
                if (old != null) {
                    old.invalidate(); // a new session id at sign-in (no session fixation)
                }
                request.getSession(true).setAttribute(SESSION_KEY, new ConsoleSignIn(name, role.get()));
                response.sendRedirect(base + "/");
                return AuthenticationStatus.SEND_CONTINUE;
            }
            if (path.equals("/logout")) {
                jakarta.servlet.http.HttpSession session = request.getSession(false);
                if (session != null) {
                    session.invalidate();
                }
                response.sendRedirect(base + "/login.xhtml?signedOut");
                return AuthenticationStatus.SEND_CONTINUE;
            }
            jakarta.servlet.http.HttpSession session = request.getSession(false);
            Object signIn = session == null ? null : session.getAttribute(SESSION_KEY);
            if (signIn instanceof ConsoleSignIn user) {
                return context.notifyContainerAboutLogin(user.name(), new HashSet<>(user.role().withImplied()));
            }
            response.sendRedirect(base + "/login.xhtml");
            return AuthenticationStatus.SEND_CONTINUE;
        } catch (IOException e) {
            return AuthenticationStatus.SEND_FAILURE; // the browser went away
        }
    }

    /**
     * Checks the credentials against the server's {@code file} realm (Payara's realm identity store,
     * declared on this class) and takes the highest pgflow role among the caller's groups: a group
     * named {@code pgflow-viewer}, {@code pgflow-operator} or {@code pgflow-admin} grants that role.
     */
    private Optional<Role> realmRole(String name, String password) {
        for (IdentityStore store : stores) {
            if (store instanceof ConfiguredUsers || !store.validationTypes().contains(IdentityStore.ValidationType.VALIDATE)) {
                continue;
            }
            CredentialValidationResult result = store.validate(new UsernamePasswordCredential(name, password));
            if (result.getStatus() == CredentialValidationResult.Status.VALID) {
                return Role.highest(result.getCallerGroups()::contains);
            }
        }
        return Optional.empty();
    }

    private static AuthenticationStatus refuse(HttpServletResponse response, int status, String title, String detail, String path) {
        try {
            response.setStatus(status);
            if (status == 401) {
                response.setHeader("WWW-Authenticate", "Basic realm=\"pgflow\", charset=\"UTF-8\"");
            }
            // bytes, not a writer: a writer makes the container add ";charset=..." (JSON is UTF-8 by definition)
            byte[] body = Problems.json(status, title, detail, path, null).getBytes(StandardCharsets.UTF_8);
            response.setContentType(Problems.MEDIA_TYPE);
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
            response.flushBuffer();
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
        return AuthenticationStatus.SEND_FAILURE;
    }
}
