package io.pgflowee.engine.db;

import java.net.URI;
import java.sql.SQLException;

/**
 * Turns a failure to use the database into one line a person can act on: where the engine tried
 * to connect, which setting names that place, and what the database answered.
 */
public final class DatabaseProblems {

    private DatabaseProblems() {
    }

    /** {@code host:port/database} of a {@code jdbc:postgresql://} URL, or the URL itself. */
    public static String where(String jdbcUrl) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
            return String.valueOf(jdbcUrl);
        }
        try {
            URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
            String host = uri.getHost() == null ? "localhost" : uri.getHost();
            int port = uri.getPort() < 0 ? 5432 : uri.getPort();
            String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
            return host + ":" + port + path;
        } catch (IllegalArgumentException e) {
            return jdbcUrl;
        }
    }

    /** One line naming the place, the setting and the cause of an unusable database. */
    public static String describe(String jdbcUrl, Throwable failure) {
        if (privilegeDenied(failure) != null) {
            // reachable, but this server's database role may not do it
            return "PGFLOW-097 the database role of this server (PGFLOW_DB_USER) lacks a privilege at " + where(jdbcUrl) + ": "
                    + clause(failure) + ". Grant it pgflow_worker and pgflow_operator (README, \"Database roles\"),"
                    + " or use the schema owner.";
        }
        return "PGFLOW-002 cannot use the PostgreSQL database at " + where(jdbcUrl)
                + " (set by pgflow.db.url, environment PGFLOW_DB_URL): " + clause(failure)
                + ". Start PostgreSQL there, or point PGFLOW_DB_URL, PGFLOW_DB_USER and"
                + " PGFLOW_DB_PASSWORD at a reachable database.";
    }

    /**
     * PostgreSQL's message (its first line) when a failure chain holds a refused privilege
     * (SQLSTATE 42501: the database was reached, this server's role may not do it), else null.
     */
    public static String privilegeDenied(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException e && "42501".equals(e.getSQLState())) {
                return e.getMessage() == null ? "permission denied" : e.getMessage().lines().findFirst().orElse("").strip();
            }
        }
        return null;
    }

    private static String clause(Throwable failure) {
        // the driver ends some messages with a period ("This connection has been closed."); ours follows
        return rootMessage(failure).replaceFirst("\\.$", "");
    }

    /** The innermost non-empty message of a failure chain. */
    public static String rootMessage(Throwable failure) {
        String message = failure.getMessage();
        for (Throwable t = failure.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
            if (t instanceof SQLException && t.getCause() == null) {
                break;
            }
        }
        return message == null ? failure.getClass().getSimpleName() : message.strip();
    }
}
