package io.pgflowee.client;

/** What became of a signal ({@code pgflow.send_signal}'s answer). */
public enum SignalOutcome {
    /** The step was waiting: it completed with the payload and its dependents start. */
    DELIVERED,
    /** The step does not wait yet: it completes with the payload the moment it would. */
    BUFFERED,
    /** The step already had a signal, no longer waits, or the run ended: nothing changed. */
    IGNORED;

    /** From the engine's word ({@code delivered}, ...). */
    public static SignalOutcome of(String word) {
        try {
            return valueOf(word.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new PgflowException("Unexpected answer", "the engine answered the signal with '" + word + "'");
        }
    }
}
