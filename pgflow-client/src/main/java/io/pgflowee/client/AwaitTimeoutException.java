package io.pgflowee.client;

import java.time.Duration;
import java.util.UUID;

/** {@link RunHandle#await} ran out of time; the run goes on (await again, or cancel it). */
public class AwaitTimeoutException extends PgflowException {

    private static final long serialVersionUID = 1L;

    private final UUID runId;

    public AwaitTimeoutException(UUID runId, String flowSlug, Duration waited, RunState state) {
        super("Await timed out", "run " + runId + " of flow '" + flowSlug + "' is still " + state.name().toLowerCase(java.util.Locale.ROOT)
                + " after " + waited.toMillis() + " ms");
        this.runId = runId;
    }

    public UUID runId() {
        return runId;
    }
}
