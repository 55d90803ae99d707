package io.pgflowee.engine.worker;

import java.util.UUID;

/**
 * A span around each task attempt a worker runs ({@link io.pgflowee.engine.tracing.RunTracing});
 * {@link #OFF} when tracing is off, at the cost of one field read per task.
 */
public interface TaskSpans {

    /** No spans. */
    TaskSpans OFF = (flowSlug, runId, stepSlug, taskIndex, attempt, workerId, subflow) -> Active.NONE;

    /**
     * Starts the span of one attempt and makes it current on the calling thread (the handler's);
     * {@code subflow}: the step's task starts a child run (whose spans nest under this one).
     */
    Active start(String flowSlug, UUID runId, String stepSlug, int taskIndex, int attempt, UUID workerId, boolean subflow);

    /** A started span; closing it restores the thread's context (and ends the span if no outcome did). */
    interface Active extends AutoCloseable {
        Active NONE = new Active() {
            @Override
            public void outcome(String outcome, Throwable error) {
            }

            @Override
            public String traceId() {
                return null;
            }

            @Override
            public void close() {
            }
        };

        /**
         * How the attempt ended: completed, failed, timed_out, snoozed, cancelled or shutdown; the handler's error, if any.
         * Ends the span (before the outcome is reported, so it ends before the run it may end).
         */
        void outcome(String outcome, Throwable error);

        /** The trace id (for log lines), or null without a span. */
        String traceId();

        @Override
        void close();
    }
}
