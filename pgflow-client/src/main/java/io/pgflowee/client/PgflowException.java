package io.pgflowee.client;

/**
 * Every failure of the client: {@link RefusedException} (the engine refused, nothing changed),
 * {@link RunFailedException} and {@link RunCancelledException} (from {@code await}),
 * {@link AwaitTimeoutException}, {@link AccessDeniedException} (remote: 401/403), and this class
 * itself for the rest (the database or server cannot be reached, an unexpected answer).
 */
public class PgflowException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String title;

    /** {@code title}: a short name of the problem (the REST problem's title); {@code detail}: what and where. */
    public PgflowException(String title, String detail) {
        this(title, detail, null);
    }

    public PgflowException(String title, String detail, Throwable cause) {
        super(title + ": " + detail, cause);
        this.title = title;
    }

    /** The short name of the problem ("Unknown flow", "Run failed", ...). */
    public String title() {
        return title;
    }
}
