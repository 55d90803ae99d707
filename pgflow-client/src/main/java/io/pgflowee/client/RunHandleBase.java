package io.pgflowee.client;

import io.pgflowee.api.json.JsonCodec;

import java.util.UUID;

/**
 * What both implementations of {@link RunHandle} share: the run's identity, and turning a finished
 * {@link RunStatus} into the typed output or the typed exception.
 */
public abstract class RunHandleBase<O> implements RunHandle<O> {

    private final UUID runId;
    private final String flowSlug;
    private final java.lang.reflect.Type outputType;
    private final boolean created;
    private final JsonCodec json;

    protected RunHandleBase(UUID runId, String flowSlug, java.lang.reflect.Type outputType, boolean created, JsonCodec json) {
        this.runId = runId;
        this.flowSlug = flowSlug;
        this.outputType = outputType;
        this.created = created;
        this.json = json;
    }

    @Override
    public UUID runId() {
        return runId;
    }

    @Override
    public String flowSlug() {
        return flowSlug;
    }

    @Override
    public boolean created() {
        return created;
    }

    /**
     * The output of an ended run, or its failure as an exception.
     *
     * @throws RunFailedException    for a failed run
     * @throws RunCancelledException for a cancelled run
     */
    @SuppressWarnings("unchecked")
    protected O outcome(RunStatus status) {
        switch (status.state()) {
            case COMPLETED -> {
                try {
                    return (O) json.decode(status.outputJson() == null ? null : JsonCodec.parse(status.outputJson()), outputType);
                } catch (RuntimeException e) {
                    throw new PgflowException("Output not readable", "the output of run " + runId + " of flow '" + flowSlug
                            + "' does not map to " + outputType.getTypeName() + ": " + e.getMessage(), e);
                }
            }
            case FAILED -> throw new RunFailedException(runId, flowSlug, status.failure() == null
                    ? new RunFailure("(unknown)", -1, 0, "the run failed", status.endedAt()) : status.failure());
            case CANCELLED -> throw new RunCancelledException(runId, flowSlug, status.cancelReason());
            default -> throw new IllegalStateException("run " + runId + " has not ended");
        }
    }

    @Override
    public String toString() {
        return "run " + runId + " of flow '" + flowSlug + "'";
    }
}
