package io.pgflowee.client;

/** Where a run is: running, or how it ended. */
public enum RunState {
    STARTED, COMPLETED, FAILED, CANCELLED;

    /** Whether the run ended (it can still be retried or restarted by an operator). */
    public boolean ended() {
        return this != STARTED;
    }

    /** From the engine's word ({@code started}, ...). */
    public static RunState of(String word) {
        try {
            return valueOf(word.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new PgflowException("Unexpected answer", "unknown run status '" + word + "'");
        }
    }
}
