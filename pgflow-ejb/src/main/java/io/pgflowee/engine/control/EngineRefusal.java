package io.pgflowee.engine.control;

import java.sql.SQLException;
import java.util.Optional;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The engine refused an operation: an unknown run or flow, a run in the wrong state, a conflict, or
 * input it does not accept. The message and hint are the engine's own (the SQL function's), so
 * REST (problem details) and the console show the same words a psql user sees. A refused operation
 * changed nothing (each one is a single SQL function in one transaction).
 */
public final class EngineRefusal extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why, in the terms a caller acts on (REST maps them to 404, 409 and 422). */
    public enum Kind {
        /** The run or flow does not exist. */
        NOT_FOUND,
        /** The run is in a state that does not allow it, or the id or idempotency key is taken. */
        CONFLICT,
        /** The input or a parameter is not acceptable. */
        INVALID
    }

    private final Kind kind;
    private final String hint;
    private final String constraint;

    EngineRefusal(Kind kind, String message, String hint, String constraint) {
        super(message);
        this.kind = kind;
        this.hint = hint;
        this.constraint = constraint;
    }

    public Kind kind() {
        return kind;
    }

    /** What to do about it, when the engine says (may be null). */
    public String hint() {
        return hint;
    }

    /** The constraint or index the engine names (for example {@code idx_runs_idempotency_key}), or null. */
    public String constraint() {
        return constraint;
    }

    /**
     * The refusal an engine error stands for, by SQLSTATE: {@code P0002} (no_data_found) and
     * {@code 23503} (unknown flow) are NOT_FOUND; {@code 55000} (wrong state) and {@code 23505}
     * (taken) CONFLICT; {@code 22xxx}, {@code P0001}, other integrity errors and {@code 54000} (an input
     * over {@code pgflow.max_input_bytes}) INVALID. Anything
     * else (a lost connection, a bug) is not a refusal: empty.
     */
    public static Optional<EngineRefusal> of(SQLException e) {
        String state = e.getSQLState();
        if (state == null) {
            return Optional.empty();
        }
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        String message = server != null && server.getMessage() != null ? server.getMessage() : e.getMessage();
        String hint = server == null ? null : server.getHint();
        String constraint = server == null ? null : server.getConstraint();
        Kind kind;
        if (state.equals("P0002") || state.equals("23503")) {
            kind = Kind.NOT_FOUND;
        } else if (state.equals("55000") || state.equals("23505")) {
            kind = Kind.CONFLICT;
        } else if (state.startsWith("22") || state.startsWith("23") || state.equals("P0001") || state.equals("54000")) {
            kind = Kind.INVALID;
        } else {
            return Optional.empty();
        }
        return Optional.of(new EngineRefusal(kind, message, hint, constraint));
    }

    /** A refusal decided before the engine was asked (a check of the same kind as the engine's INVALID). */
    public static EngineRefusal invalid(String message) {
        return new EngineRefusal(Kind.INVALID, message, null, null);
    }

    /**
     * Throws the refusal a database error stands for; returns the error itself when it is not one
     * (for the caller to throw): {@code catch (SQLException e) { throw EngineRefusal.refusalOr(e); }}.
     */
    static SQLException refusalOr(SQLException e) throws EngineRefusal {
        Optional<EngineRefusal> refusal = of(e);
        if (refusal.isPresent()) {
            throw refusal.get();
        }
        return e;
    }
}
