package io.pgflowee.client;

/**
 * The engine refused the call and changed nothing: the message is the engine's own words (the SQL
 * function's, the REST problem's detail).
 */
public class RefusedException extends PgflowException {

    private static final long serialVersionUID = 1L;

    /** Why, in the terms a caller acts on (REST answers 404, 409 and 422). */
    public enum Kind {
        /** The run, flow or step does not exist. */
        NOT_FOUND,
        /** The run is in a state that does not allow it, or the id or idempotency key is taken. */
        CONFLICT,
        /** The input or a parameter is not acceptable. */
        INVALID
    }

    private final Kind kind;
    private final String detail;

    public RefusedException(Kind kind, String title, String detail) {
        super(title, detail);
        this.kind = kind;
        this.detail = detail;
    }

    public Kind kind() {
        return kind;
    }

    /** The engine's words. */
    public String detail() {
        return detail;
    }
}
