package io.pgflowee.api.flow;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The slug rule shared by flows and steps, identical to the database's {@code pgflow.is_valid_slug}:
 * 1 to 128 characters, a letter or underscore first, then letters, digits and underscores, and not
 * the reserved word {@code run}.
 *
 * <pre>{@code
 * Slugs.problem("1st").orElse("ok");   // "Slug '1st' cannot start with a number"
 * }</pre>
 */
public final class Slugs {

    /** Longest slug the database accepts. */
    public static final int MAX_LENGTH = 128;

    private static final Pattern VALID = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private Slugs() {
    }

    /** True when {@code slug} is acceptable as a flow or step slug. */
    public static boolean isValid(String slug) {
        return problem(slug).isEmpty();
    }

    /** What is wrong with {@code slug}, or empty when it is valid. */
    public static Optional<String> problem(String slug) {
        if (slug == null || slug.isEmpty()) {
            return Optional.of("Slug cannot be empty");
        }
        if (slug.length() > MAX_LENGTH) {
            return Optional.of("Slug '" + slug + "' cannot be longer than " + MAX_LENGTH + " characters");
        }
        if (slug.equals("run")) {
            return Optional.of("Slug 'run' is reserved and cannot be used");
        }
        if (Character.isDigit(slug.charAt(0))) {
            return Optional.of("Slug '" + slug + "' cannot start with a number");
        }
        if (!VALID.matcher(slug).matches()) {
            return Optional.of("Slug '" + slug + "' can only contain letters, numbers, and underscores");
        }
        return Optional.empty();
    }
}
