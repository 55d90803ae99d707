package io.pgflowee.web.security;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Which sign-in a request needs, decided on the path the container routed it by (servlet path plus
 * path info: decoded, without path parameters, dot segments resolved), never on the raw request URI.
 * Deny by default: everything needs a signed-in user unless it is on the short public list, and a
 * path that is not in canonical form (doubled slashes, dot segments, {@code ;}, {@code %},
 * backslashes, control characters) is never public. The same list is declared for the container in
 * {@code web.xml} ({@code security-constraint}s); this check is the second wall behind it.
 */
public final class AccessPolicy {

    /** Where a request belongs. */
    public enum Area {
        /** Anyone: the sign-in page and its styles and scripts, health, OpenAPI, public metrics. */
        PUBLIC,
        /** {@code /login}: the console's sign-in form posts here (anyone may try; throttled). */
        SIGN_IN,
        /** {@code /api/...} and non-public {@code /metrics}: HTTP Basic, never the console's session. */
        API,
        /** Everything else: the console's session, else the sign-in page. */
        CONSOLE
    }

    private AccessPolicy() {
    }

    /** The path the container routed the request by, relative to the application. */
    public static String routedPath(HttpServletRequest request) {
        String servletPath = request.getServletPath() == null ? "" : request.getServletPath();
        String pathInfo = request.getPathInfo() == null ? "" : request.getPathInfo();
        String path = servletPath + pathInfo;
        return path.isEmpty() ? "/" : path;
    }

    /** The area of a routed path; {@code metricsPublic} is {@code pgflow.metrics.public}. */
    public static Area area(String path, boolean metricsPublic) {
        return area(path, metricsPublic, java.util.Set.of());
    }

    /**
     * The area of a routed path, where {@code alsoPublic} are exact paths an operator made public
     * ({@code pgflow.security.publicPaths}, for example a test harness's servlet; each must be
     * public in {@code web.xml} too, or the container still refuses it).
     */
    public static Area area(String path, boolean metricsPublic, java.util.Set<String> alsoPublic) {
        boolean canonical = canonical(path);
        if (canonical) {
            if (alsoPublic.contains(path)) {
                return Area.PUBLIC;
            }
            if (path.equals("/login")) {
                return Area.SIGN_IN;
            }
            if (path.equals("/login.xhtml") || path.startsWith("/jakarta.faces.resource/") && path.length() > 24
                    || path.equals("/health") || path.startsWith("/health/") || path.equals("/openapi") || path.startsWith("/openapi/")) {
                return Area.PUBLIC;
            }
        }
        // the API answers in its own terms whatever the spelling (401, then the resource's 400 or 404), never with the sign-in page
        if (path.equals("/api") || path.startsWith("/api/")) {
            return Area.API;
        }
        if (path.equals("/metrics")) {
            return metricsPublic ? Area.PUBLIC : Area.API; // equal to "/metrics": canonical
        }
        return Area.CONSOLE;
    }

    /** The exact, canonical paths of a comma-separated list; anything else in it is left out (and named in {@code refused}). */
    public static java.util.Set<String> exactPaths(String list, java.util.List<String> refused) {
        java.util.Set<String> paths = new java.util.LinkedHashSet<>();
        for (String p : list == null ? new String[0] : list.split(",")) {
            String path = p.strip();
            if (path.isEmpty()) {
                continue;
            }
            if (canonical(path) && !path.contains("*") && !path.equals("/")) {
                paths.add(path);
            } else {
                refused.add(path);
            }
        }
        return paths;
    }

    /** Whether a path is in the one spelling the public list compares with. */
    static boolean canonical(String path) {
        if (path.isEmpty() || path.charAt(0) != '/' || path.contains("//") || path.contains("/./") || path.contains("/../")
                || path.endsWith("/.") || path.endsWith("/..")) {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == ';' || c == '%' || c == '\\' || c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where to go after signing in: {@code next} when it is a path of this application (starts with
     * one {@code /}, canonical, no scheme or host, at most 2,000 characters), else {@code /}. A link
     * elsewhere ({@code //evil.example}, {@code https://...}, {@code /\evil}) is never followed.
     */
    public static String localTarget(String next) {
        if (next == null || next.length() > 2000 || !next.startsWith("/") || next.startsWith("//")) {
            return "/";
        }
        int query = next.indexOf('?');
        String path = query < 0 ? next : next.substring(0, query);
        String rest = query < 0 ? "" : next.substring(query);
        if (!canonical(path) || path.equals("/login") || path.equals("/logout")) {
            return "/";
        }
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c < 0x21 || c == 0x7f || c == '\\' || c == '"' || c == '<' || c == '>') {
                return "/";
            }
        }
        return next;
    }
}
