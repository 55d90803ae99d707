package io.pgflowee.web.security;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Who signed in to the console in a session, kept in the HTTP session (never a password): name,
 * role, when (for the absolute session limit) and the session's token, which forms that change the
 * session itself (sign-out) must send back.
 */
public record ConsoleSignIn(String name, Role role, long signedInAt, String token) implements java.io.Serializable {

    /** The session attribute holding the time of the user's last request (live streams excluded), for the idle limit. */
    static final String LAST_ACTIVITY = "pgflow.console.lastActivity";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** 32 random bytes, URL-safe Base64. */
    public static String newToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The signed-in user of a session, or null. */
    public static ConsoleSignIn of(jakarta.servlet.http.HttpSession session) {
        return session != null && session.getAttribute(ApiAuthentication.SESSION_KEY) instanceof ConsoleSignIn s ? s : null;
    }
}
