package io.pgflowee.api.flow;

import java.time.Instant;

/**
 * Thrown by {@link TaskContext#snoozeUntil(Instant)} and {@link TaskContext#snoozeFor(java.time.Duration)}
 * to end the handler's attempt: the worker hands the task back to the queue until {@link #wakeAt()}
 * ({@code pgflow.snooze_task}), and the attempt does not count against the step's retries. Let it
 * propagate: a handler that catches it and returns normally completes the task instead.
 */
public final class TaskSnoozed extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Instant wakeAt;

    public TaskSnoozed(Instant wakeAt) {
        super("the handler snoozed its task until " + wakeAt, null, false, false);
        if (wakeAt == null) {
            throw new IllegalArgumentException("wakeAt must not be null: the time the task becomes claimable again");
        }
        this.wakeAt = wakeAt;
    }

    /** When the task becomes claimable again. */
    public Instant wakeAt() {
        return wakeAt;
    }
}
