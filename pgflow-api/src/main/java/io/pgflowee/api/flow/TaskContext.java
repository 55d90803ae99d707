package io.pgflowee.api.flow;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CancellationException;

import jakarta.json.JsonValue;

/**
 * What a handler knows about the task it runs, besides its input. Handlers that take a context
 * declare it as their last parameter: {@code (order, ctx) -> ...}.
 */
public interface TaskContext {

    /** The flow of the run. */
    String flowSlug();

    /** The run this task belongs to. */
    UUID runId();

    /** The step this task belongs to. */
    String stepSlug();

    /** 0 for single steps; the element index for map steps. */
    int taskIndex();

    /** 1 on the first attempt, 2 on the first retry, and so on. */
    int attempt();

    /** The run's input as JSON. */
    JsonValue flowInput();

    /** The run's input mapped to {@code type} with JSON-B. */
    <T> T flowInput(Class<T> type);

    /** When the task's timeout runs out; the worker interrupts the handler then. */
    Instant deadline();

    /** Time left until {@link #deadline()}, never negative. */
    default Duration remaining() {
        Duration left = Duration.between(Instant.now(), deadline());
        return left.isNegative() ? Duration.ZERO : left;
    }

    /**
     * True once the task should stop, for one of three causes: its timeout ran out; its run was
     * cancelled ({@code pgflow.cancel_run}; the worker notices within about a second); or the worker
     * is shutting down and its grace period ended. In each case the thread is interrupted too, so
     * blocking calls end early. Long handlers should check it (or {@link #checkCancelled()}) between
     * units of work. What a handler returns or throws after its run was cancelled is not reported.
     */
    boolean isCancelled();

    /** Throws {@link CancellationException} when {@link #isCancelled()}. */
    default void checkCancelled() {
        if (isCancelled()) {
            throw new CancellationException("task " + stepSlug() + "[" + taskIndex() + "] of run " + runId()
                    + " was cancelled (timeout, run cancelled, or shutdown)");
        }
    }

    /**
     * Ends this attempt without failing and without holding a thread: the task goes back to the
     * queue and is claimed again from {@code wakeAt} (by this or another server), and the attempt
     * does not count against the step's retries ({@link #attempt()} is the same next time). For a
     * handler that has nothing to do yet: poll an external system every 10 minutes for a day with
     * {@code if (!ready) ctx.snoozeFor(Duration.ofMinutes(10));}. Throws {@link TaskSnoozed},
     * which the worker turns into {@code pgflow.snooze_task}; let it propagate.
     */
    default void snoozeUntil(Instant wakeAt) {
        throw new TaskSnoozed(wakeAt);
    }

    /** {@link #snoozeUntil(Instant)} {@code delay} from now. */
    default void snoozeFor(Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("snoozeFor: the delay must be zero or positive, got " + delay);
        }
        snoozeUntil(Instant.now().plus(delay));
    }
}
