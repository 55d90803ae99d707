package io.pgflowee.client;

import java.util.UUID;

/** {@link RunHandle#await} of a run that failed: which step, task and attempt, and the error. */
public class RunFailedException extends PgflowException {

    private static final long serialVersionUID = 1L;

    private final UUID runId;
    private final transient RunFailure failure;

    public RunFailedException(UUID runId, String flowSlug, RunFailure failure) {
        super("Run failed", "run " + runId + " of flow '" + flowSlug + "' failed: " + failure);
        this.runId = runId;
        this.failure = failure;
    }

    public UUID runId() {
        return runId;
    }

    public RunFailure failure() {
        return failure;
    }
}
