package io.pgflowee.web.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The headers every response of the application carries, and the console's cookies.
 * <ul>
 * <li>{@code X-Content-Type-Options: nosniff}, {@code X-Frame-Options: DENY},
 * {@code Referrer-Policy: no-referrer}, {@code Cross-Origin-Opener-Policy: same-origin},
 * {@code Permissions-Policy} without camera, microphone, geolocation;</li>
 * <li>{@code Cache-Control: no-store} on everything but the static resources of
 * {@code /jakarta.faces.resource/} (pages, API answers, streams and metrics hold run data);</li>
 * <li>{@code Content-Security-Policy}: for console pages PrimeFaces sends it with a fresh script
 * nonce per page ({@code primefaces.CSP_POLICY} in {@code web.xml}: no inline script without the
 * nonce, no framing); every other answer gets {@code default-src 'none'; frame-ancestors 'none'};</li>
 * <li>{@code Strict-Transport-Security} when the request came over HTTPS.</li>
 * </ul>
 * Cookies: the session cookie is {@code HttpOnly; SameSite=Strict}, and {@code Secure} whenever the
 * request came over HTTPS, directly or through a proxy trusted with
 * {@code pgflow.security.trustForwardedHeaders} ({@code X-Forwarded-Proto: https}).
 */
public final class SecurityHeaders {

    /** The policy of every answer that is not a console page. */
    static final String NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private SecurityHeaders() {
    }

    static void apply(HttpServletResponse response, String path, boolean secure) {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        response.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
        if (!path.startsWith("/jakarta.faces.resource/")) {
            response.setHeader("Cache-Control", "no-store");
            response.setHeader("Pragma", "no-cache");
            if (!consolePage(path)) {
                response.setHeader("Content-Security-Policy", NON_PAGE_POLICY);
            }
        }
        if (secure) {
            response.setHeader("Strict-Transport-Security", "max-age=31536000");
        }
    }

    /** Pages that Faces renders (PrimeFaces adds their policy with the page's nonce). */
    static boolean consolePage(String path) {
        return path.equals("/") || path.endsWith(".xhtml");
    }

    /** Whether the request came over HTTPS: to this server, or to a trusted proxy in front of it. */
    public static boolean secure(HttpServletRequest request, boolean trustForwarded) {
        return request.isSecure() || trustForwarded && "https".equalsIgnoreCase(request.getHeader("X-Forwarded-Proto"));
    }

    /**
     * Sets the session cookie with every attribute the console needs. Written by hand after sign-in
     * because the container's own cookie knows neither {@code SameSite} nor an HTTPS proxy in front;
     * a later {@code Set-Cookie} of the same name and path replaces an earlier one in the browser.
     */
    static void sessionCookie(HttpServletRequest request, HttpServletResponse response, String id, boolean secure) {
        cookie(request, response, "JSESSIONID", id, secure);
    }

    /** A cookie of the console's (strict, HttpOnly, Secure over HTTPS) with {@code value}, for this session of the browser. */
    public static void cookie(HttpServletRequest request, HttpServletResponse response, String name, String value, boolean secure) {
        setCookie(request, response, name + "=" + value, "", secure);
    }

    static void expireCookie(HttpServletRequest request, HttpServletResponse response, String name, boolean secure) {
        setCookie(request, response, name + "=", "; Max-Age=0", secure);
    }

    private static void setCookie(HttpServletRequest request, HttpServletResponse response, String nameAndValue, String maxAge, boolean secure) {
        response.addHeader("Set-Cookie", nameAndValue + "; Path=" + cookiePath(request) + maxAge + "; HttpOnly; SameSite=Strict"
                + (secure ? "; Secure" : ""));
    }

    /** The value of the request's cookie {@code name}, or null. */
    public static String cookieValue(HttpServletRequest request, String name) {
        if (request.getCookies() != null) {
            for (jakarta.servlet.http.Cookie c : request.getCookies()) {
                if (c.getName().equals(name)) {
                    return c.getValue();
                }
            }
        }
        return null;
    }

    private static String cookiePath(HttpServletRequest request) {
        String context = request.getContextPath();
        return context == null || context.isEmpty() ? "/" : context;
    }
}
