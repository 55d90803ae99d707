package io.pgflowee.engine.db;

/**
 * LIKE and ILIKE patterns from text taken literally: {@code \}, {@code %} and {@code _} are
 * escaped (PostgreSQL's default escape character), so "100%" or "k_3" match only themselves.
 */
public final class LikePatterns {

    private LikePatterns() {
    }

    /** The text with LIKE's special characters escaped. */
    public static String literal(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** Matches a value containing {@code text}. */
    public static String containing(String text) {
        return "%" + literal(text) + "%";
    }

    /** Matches a value starting with {@code text}. */
    public static String startingWith(String text) {
        return literal(text) + "%";
    }
}
