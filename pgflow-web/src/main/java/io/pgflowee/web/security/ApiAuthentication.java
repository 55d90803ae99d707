package io.pgflowee.web.security;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.web.rest.Problems;
import jakarta.annotation.security.DeclareRoles;
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
import jakarta.servlet.http.HttpSession;

/**
 * Who may do what, for every request of the application (Jakarta Security calls this for each).
 * Deny by default: {@link AccessPolicy} sorts the routed path (never the raw URI) into public, the
 * sign-in form, the API or the console, and {@code web.xml}'s security constraints say the same to
 * the container; a request is public only when both agree.
 * <ul>
 * <li>API ({@code /api}, non-public {@code /metrics}): HTTP Basic against {@link ConfiguredUsers}
 * (and the server's realm when {@code pgflow.security.serverRealm=true}); 401 problem details with
 * {@code WWW-Authenticate} when missing or wrong. Which role each endpoint needs is declared on it
 * ({@code @RolesAllowed}, enforced by {@link io.pgflowee.web.rest.DeclaredRoles}); as a second wall
 * a viewer's request with a method other than GET, HEAD or OPTIONS is refused here. The API never
 * accepts the console's session, so a signed-in browser cannot be made to call it by another site.</li>
 * <li>Console: a form sign-in ({@code POST /login} with a CSRF token) that starts a new session;
 * every other console request needs that session (idle and absolute time limits), else it is sent
 * to the sign-in page, which sends it back to the page asked for afterwards. Sign-out is
 * {@code POST /logout} with the session's token; it ends the session and its live streams.
 * Requests that a browser marks as coming from another site ({@code Sec-Fetch-Site}) may not change
 * anything.</li>
 * </ul>
 * Failed sign-ins are throttled ({@link SignInThrottle}); successes, failures and locks are logged,
 * never a password. Every response gets the security headers of {@link SecurityHeaders}.
 */
@ApplicationScoped
@DeclareRoles({Role.Name.VIEWER, Role.Name.OPERATOR, Role.Name.ADMIN})
@fish.payara.security.annotations.RealmIdentityStoreDefinition("file")
public class ApiAuthentication implements HttpAuthenticationMechanism {

    private static final Logger LOG = Logger.getLogger(ApiAuthentication.class.getName());
    private static final Set<String> READING = Set.of("GET", "HEAD", "OPTIONS");
    /** The session attribute naming who signed in to the console (never a password). */
    static final String SESSION_KEY = "pgflow.console.signIn";
    /** The name of the sign-in form's CSRF cookie (and of its hidden field, {@code csrf}). */
    public static final String SIGN_IN_COOKIE = "pgflow-sign-in";
    private static final long SUCCESS_LOG_MS = 10 * 60_000L;

    @Inject
    ConfiguredUsers users;

    @Inject
    SignInThrottle throttle;

    @Inject
    @jakarta.enterprise.inject.Any
    jakarta.enterprise.inject.Instance<IdentityStore> stores;

    /** {@code pgflow.security.serverRealm=true}: callers unknown to {@code pgflow.users} are checked against the server's realm. */
    @Inject
    @ConfigProperty(name = "pgflow.security.serverRealm", defaultValue = "false")
    boolean serverRealm;

    /** {@code pgflow.metrics.public=true}: {@code /metrics} without sign-in (for a scraper inside a trusted network). */
    @Inject
    @ConfigProperty(name = "pgflow.metrics.public", defaultValue = "false")
    boolean metricsPublic;

    /** {@code pgflow.security.trustForwardedHeaders=true}: a TLS proxy in front sets X-Forwarded-Proto and X-Forwarded-For. */
    @Inject
    @ConfigProperty(name = "pgflow.security.trustForwardedHeaders", defaultValue = "false")
    boolean trustForwarded;

    /** {@code pgflow.security.session.idleSeconds}: a console session without a request for this long ends (30 min). */
    @Inject
    @ConfigProperty(name = "pgflow.security.session.idleSeconds", defaultValue = "1800")
    int idleSeconds;

    /** {@code pgflow.security.session.maxSeconds}: a console session ends this long after sign-in, active or not (12 h). */
    @Inject
    @ConfigProperty(name = "pgflow.security.session.maxSeconds", defaultValue = "43200")
    int maxSeconds;

    /**
     * {@code pgflow.security.publicPaths}: exact paths besides the built-in public list that need no
     * sign-in (comma-separated, for a servlet of your own such as a test harness's); each must be made
     * public in {@code web.xml} too. Empty by default; wildcards and odd spellings are refused.
     */
    @Inject
    @ConfigProperty(name = "pgflow.security.publicPaths", defaultValue = " ")
    String publicPathsSetting;

    private java.util.Set<String> alsoPublic;

    private final Map<String, Long> successLogged = new ConcurrentHashMap<>();

    @jakarta.annotation.PostConstruct
    void readPublicPaths() {
        java.util.List<String> refused = new java.util.ArrayList<>();
        alsoPublic = AccessPolicy.exactPaths(publicPathsSetting, refused);
        if (!refused.isEmpty()) {
            LOG.warning("PGFLOW-058 pgflow.security.publicPaths: left out " + refused + " (only exact paths such as /my-probe)");
        }
        if (!alsoPublic.isEmpty()) {
            LOG.info("PGFLOW-058 also public (pgflow.security.publicPaths): " + alsoPublic);
        }
    }

    @Override
    public AuthenticationStatus validateRequest(HttpServletRequest request, HttpServletResponse response, HttpMessageContext context) {
        String path = AccessPolicy.routedPath(request);
        boolean secure = SecurityHeaders.secure(request, trustForwarded);
        SecurityHeaders.apply(response, path, secure);
        try {
            return switch (AccessPolicy.area(path, metricsPublic, alsoPublic)) {
                case PUBLIC -> context.doNothing(); // the container still refuses what web.xml protects
                case SIGN_IN -> signIn(request, response, secure);
                case API -> api(request, response, context, path);
                case CONSOLE -> console(request, response, context, path);
            };
        } catch (IOException e) {
            return AuthenticationStatus.SEND_FAILURE; // the client went away
        }
    }

    private AuthenticationStatus api(HttpServletRequest request, HttpServletResponse response, HttpMessageContext context, String path) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return refuse(response, 401, "Sign-in required", users.anyUser() || serverRealm
                    ? "send the credentials of a pgflow user with HTTP Basic (curl -u name:password)"
                    : "no API users are configured: set pgflow.users (environment PGFLOW_USERS), see docs/operations.md, 'Security'", path);
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
        Optional<Role> role = checkPassword(credentials[0], credentials[1], clientAddress(request), "api");
        if (role.isEmpty()) {
            return refuse(response, 401, "Sign-in failed", "unknown user or wrong password", path);
        }
        if (!READING.contains(request.getMethod()) && role.get().compareTo(Role.OPERATOR) < 0) {
            return refuse(response, 403, "Forbidden", "user '" + credentials[0] + "' has role " + role.get().roleName() + "; "
                    + request.getMethod() + " " + path + " needs pgflow-operator or pgflow-admin", path);
        }
        return context.notifyContainerAboutLogin(credentials[0], new HashSet<>(role.get().withImplied()));
    }

    /**
     * The password check behind both sign-ins: refused at once while the name or address is
     * throttled (same answer as a wrong password, the password not looked at), counted when wrong.
     */
    private Optional<Role> checkPassword(String name, String password, String address, String via) {
        Optional<SignInThrottle.Refusal> throttled = throttle.check(name, address);
        if (throttled.isPresent()) {
            LOG.fine(() -> "PGFLOW-053 sign-in refused without a check (" + via + "): " + throttled.get());
            return Optional.empty();
        }
        Optional<Role> role = users.verify(name, password);
        if (role.isEmpty() && serverRealm) {
            role = realmRole(name, password);
        }
        if (role.isEmpty()) {
            throttle.failed(name, address);
            LOG.info("PGFLOW-053 sign-in failed (" + via + "): unknown user or wrong password for '" + printable(name) + "' from " + address);
            return role;
        }
        throttle.succeeded(name);
        long now = System.currentTimeMillis();
        String key = via + '\u0000' + name + '\u0000' + address;
        Long last = successLogged.get(key);
        if (via.equals("console") || last == null || now - last > SUCCESS_LOG_MS) { // Basic signs in on every request
            successLogged.put(key, now);
            if (successLogged.size() > 10_000) {
                successLogged.entrySet().removeIf(e -> now - e.getValue() > SUCCESS_LOG_MS);
            }
            Role r = role.get();
            LOG.info(() -> "PGFLOW-052 signed in (" + via + "): '" + printable(name) + "' (" + r.roleName() + ") from " + address);
        }
        return role;
    }

    /** {@code POST /login}: the console's sign-in form (a {@code GET} is sent to the form). */
    private AuthenticationStatus signIn(HttpServletRequest request, HttpServletResponse response, boolean secure) throws IOException {
        String base = request.getContextPath();
        String next = request.getParameter("next");
        if (!"POST".equals(request.getMethod())) {
            response.sendRedirect(base + "/login.xhtml");
            return AuthenticationStatus.SEND_CONTINUE;
        }
        if (fromAnotherSite(request) || !signInTokenMatches(request)) {
            LOG.warning("PGFLOW-055 sign-in form refused: missing or wrong CSRF token, or posted from another site ("
                    + clientAddress(request) + ")");
            response.sendRedirect(base + "/login.xhtml?expired" + nextParameter(next));
            return AuthenticationStatus.SEND_FAILURE;
        }
        String name = request.getParameter("username");
        String password = request.getParameter("password");
        Optional<Role> role = name == null || password == null ? Optional.empty()
                : checkPassword(name, password, clientAddress(request), "console");
        if (role.isEmpty()) {
            response.sendRedirect(base + "/login.xhtml?failed" + nextParameter(next));
            return AuthenticationStatus.SEND_FAILURE;
        }
        HttpSession old = request.getSession(false);
        if (old != null) {
            old.invalidate(); // a new session id at sign-in (no session fixation)
        }
        HttpSession session = request.getSession(true);
        long now = System.currentTimeMillis();
        session.setAttribute(SESSION_KEY, new ConsoleSignIn(name, role.get(), now, ConsoleSignIn.newToken()));
        session.setAttribute(ConsoleSignIn.LAST_ACTIVITY, now);
        session.setMaxInactiveInterval(idleSeconds);
        SecurityHeaders.sessionCookie(request, response, session.getId(), secure);
        SecurityHeaders.expireCookie(request, response, SIGN_IN_COOKIE, secure);
        response.sendRedirect(base + AccessPolicy.localTarget(next));
        return AuthenticationStatus.SEND_CONTINUE;
    }

    /**
     * The console: the session's sign-in, within its idle and absolute time limits, else the
     * sign-in page (for a Faces Ajax request a partial-response redirect, for the live stream 401).
     */
    private AuthenticationStatus console(HttpServletRequest request, HttpServletResponse response, HttpMessageContext context, String path)
            throws IOException {
        String base = request.getContextPath();
        HttpSession session = request.getSession(false);
        Object signIn = session == null ? null : session.getAttribute(SESSION_KEY);
        if (!(signIn instanceof ConsoleSignIn user)) {
            return toSignIn(request, response, path, "");
        }
        long now = System.currentTimeMillis();
        Object lastActivity = session.getAttribute(ConsoleSignIn.LAST_ACTIVITY);
        boolean idle = lastActivity instanceof Long last && now - last > idleSeconds * 1000L;
        if (idle || now - user.signedInAt() > maxSeconds * 1000L) {
            LOG.info("PGFLOW-052 console session of '" + printable(user.name()) + "' ended: " + (idle ? "idle for " + idleSeconds + " s"
                    : "older than " + maxSeconds + " s"));
            session.invalidate();
            return toSignIn(request, response, path, "expired");
        }
        if (!READING.contains(request.getMethod()) && fromAnotherSite(request)) {
            LOG.warning("PGFLOW-055 console " + request.getMethod() + " " + path + " refused: sent from another site (Sec-Fetch-Site: "
                    + request.getHeader("Sec-Fetch-Site") + ")");
            response.sendError(403);
            return AuthenticationStatus.SEND_FAILURE;
        }
        if (path.equals("/logout")) {
            return signOut(request, response, session, user);
        }
        if (!path.equals("/console/live")) { // an open page's live stream is not the user's activity
            session.setAttribute(ConsoleSignIn.LAST_ACTIVITY, now);
        }
        return context.notifyContainerAboutLogin(user.name(), new HashSet<>(user.role().withImplied()));
    }

    /** {@code POST /logout} with the session's token: ends the session, and with it every live stream of it. */
    private AuthenticationStatus signOut(HttpServletRequest request, HttpServletResponse response, HttpSession session, ConsoleSignIn user)
            throws IOException {
        if (!"POST".equals(request.getMethod())) {
            response.setHeader("Allow", "POST");
            response.sendError(405, "Sign out with the button (POST /logout with the session's token)");
            return AuthenticationStatus.SEND_FAILURE;
        }
        if (!constantTimeEquals(user.token(), request.getParameter("token"))) {
            LOG.warning("PGFLOW-055 sign-out refused: missing or wrong token for '" + printable(user.name()) + "'");
            response.sendError(403);
            return AuthenticationStatus.SEND_FAILURE;
        }
        LOG.info("PGFLOW-052 signed out (console): '" + printable(user.name()) + "'");
        session.invalidate(); // the session listeners end its live streams
        response.sendRedirect(request.getContextPath() + "/login.xhtml?signedOut");
        return AuthenticationStatus.SEND_CONTINUE;
    }

    private AuthenticationStatus toSignIn(HttpServletRequest request, HttpServletResponse response, String path, String why)
            throws IOException {
        if (path.equals("/console/live")) {
            response.sendError(401);
            return AuthenticationStatus.SEND_FAILURE;
        }
        String query = request.getQueryString();
        boolean dashboard = path.equals("/") || path.equals("/index.xhtml") && query == null; // where a sign-in leads anyway
        String next = "GET".equals(request.getMethod()) && !dashboard ? path + (query == null ? "" : "?" + query) : null;
        String target = request.getContextPath() + "/login.xhtml" + (why.isEmpty() ? "" : "?" + why)
                + (next == null ? "" : (why.isEmpty() ? "?" : "&") + "next=" + URLEncoder.encode(AccessPolicy.localTarget(next), StandardCharsets.UTF_8));
        if ("partial/ajax".equals(request.getHeader("Faces-Request"))) {
            byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><partial-response><redirect url=\""
                    + target.replace("&", "&amp;") + "\"/></partial-response>").getBytes(StandardCharsets.UTF_8);
            response.setContentType("text/xml;charset=UTF-8");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
            return AuthenticationStatus.SEND_CONTINUE;
        }
        response.sendRedirect(target);
        return AuthenticationStatus.SEND_CONTINUE;
    }

    private static String nextParameter(String next) {
        return next == null || next.isEmpty() ? "" : "&next=" + URLEncoder.encode(AccessPolicy.localTarget(next), StandardCharsets.UTF_8);
    }

    /** The form's hidden {@code csrf} field equals its cookie (set when the form was rendered; another site can read neither). */
    private static boolean signInTokenMatches(HttpServletRequest request) {
        String field = request.getParameter("csrf");
        return field != null && field.length() >= 16 && constantTimeEquals(SecurityHeaders.cookieValue(request, SIGN_IN_COOKIE), field);
    }

    /** A browser says the request comes from another site (Sec-Fetch-Site; absent in old browsers and non-browser clients). */
    private static boolean fromAnotherSite(HttpServletRequest request) {
        String site = request.getHeader("Sec-Fetch-Site");
        return site != null && !site.equals("same-origin") && !site.equals("none");
    }

    /** The client's address: the peer's, or behind a trusted proxy the address that proxy appended to X-Forwarded-For. */
    private String clientAddress(HttpServletRequest request) {
        String forwarded = trustForwarded ? request.getHeader("X-Forwarded-For") : null;
        if (forwarded != null && !forwarded.isBlank()) {
            String[] hops = forwarded.split(",");
            return hops[hops.length - 1].strip();
        }
        return request.getRemoteAddr();
    }

    static boolean constantTimeEquals(String expected, String given) {
        return expected != null && given != null
                && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }

    /** A user name as it may appear in a log line: control characters replaced, at most 100 characters. */
    private static String printable(String name) {
        String shown = name.length() > 100 ? name.substring(0, 100) + "..." : name;
        return shown.replaceAll("\\p{Cntrl}", "?");
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
