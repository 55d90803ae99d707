package io.pgflowee.client;

import java.util.UUID;

/** {@link RunHandle#await} of a run that was cancelled. */
public class RunCancelledException extends PgflowException {

    private static final long serialVersionUID = 1L;

    private final UUID runId;
    private final String reason;

    public RunCancelledException(UUID runId, String flowSlug, String reason) {
        super("Run cancelled", "run " + runId + " of flow '" + flowSlug + "' was cancelled" + (reason == null ? "" : ": " + reason));
        this.runId = runId;
        this.reason = reason;
    }

    public UUID runId() {
        return runId;
    }

    /** The reason given to cancel_run, or null. */
    public String reason() {
        return reason;
    }
}
