package io.pgflowee.client;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Flow;

/**
 * One run, typed by its flow's output {@code O}. A handle holds no connection and no thread: it can
 * be kept, passed on, or rebuilt later from the id with {@link Pgflow#find}.
 *
 * @param <O> the flow's output record ({@link io.pgflowee.api.flow.TypedFlow})
 */
public interface RunHandle<O> {

    UUID runId();

    String flowSlug();

    /** False when an idempotent start found the run started earlier with the same key and input (or for a found run). */
    boolean created();

    /** The run as it stands now (one read). */
    RunStatus status();

    /**
     * Waits until the run ends, at most {@code timeout}, and returns its output. Wakes on the run's
     * events (no polling): in the server on the engine's notification, remotely on the run's
     * server-sent events (reconnecting with {@code Last-Event-ID} when the connection drops).
     *
     * @throws RunFailedException    the run failed (carries the step, task, attempt and error)
     * @throws RunCancelledException the run was cancelled
     * @throws AwaitTimeoutException it was still running after {@code timeout} (it goes on running)
     * @throws IllegalStateException in the server, within the transaction that started the run:
     *                               nobody else can see the run before that transaction commits
     */
    O await(Duration timeout);

    /** Cancels the run ({@code pgflow.cancel_run}); {@code reason} may be null. */
    RunStatus cancel(String reason);

    /**
     * Resumes a failed or cancelled run where it stopped ({@code pgflow.retry_run}).
     *
     * @throws RefusedException CONFLICT for a run that is running or completed
     */
    RunStatus retry();

    /**
     * The run's events: first its transitions so far, then each as it happens; the publisher
     * completes after the run ends. Each subscription is a watch of its own (in the server, a watch of
     * the engine's event hub; remotely an SSE stream); cancelling the subscription ends it.
     */
    Flow.Publisher<RunEvent> events();
}
