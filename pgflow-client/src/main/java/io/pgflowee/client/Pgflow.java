package io.pgflowee.client;

import io.pgflowee.api.flow.TypedFlow;

import java.util.List;
import java.util.UUID;

/**
 * Starts and finds runs of flows by their Java types. The flow class names the slug, the input
 * type and the output type ({@link TypedFlow}), so nothing is written as JSON by hand:
 *
 * <pre>{@code
 * RunHandle<GreetUser.Output> run = pgflow.start(GreetUser.class, new GreetUser.Input("Alice", "Smith"),
 *         StartOptions.idempotencyKey("signup-42"));
 * GreetUser.Output out = run.await(Duration.ofSeconds(30));   // "Hello, Alice Smith!"
 * }</pre>
 *
 * In the server, {@code @Inject Pgflow pgflow} is the engine's own implementation: it calls the SQL
 * functions on the engine's data source, inside the caller's JTA transaction when there is one (the
 * run exists exactly when the caller's own work commits), or in a transaction of its own with
 * {@link StartOptions#withOwnTransaction()}. From another JVM, {@link io.pgflowee.client.remote.RemotePgflow}
 * does the same over the REST API. Every failure is a {@link PgflowException}.
 */
public interface Pgflow {

    /** Starts a run of {@code flow} with {@code input} and default options. */
    default <I, O, F extends TypedFlow<I, O>> RunHandle<O> start(Class<F> flow, I input) {
        return start(flow, input, StartOptions.defaults());
    }

    /**
     * Starts a run of {@code flow} with {@code input} ({@code pgflow.start_flow}). With an idempotency
     * key used before for this flow and the same input, nothing starts and the handle is the earlier
     * run's ({@link RunHandle#created()} false).
     *
     * @throws RefusedException the flow does not exist (NOT_FOUND), the key was used with another
     *                          input (CONFLICT), or the flow refuses the input (INVALID)
     */
    <I, O, F extends TypedFlow<I, O>> RunHandle<O> start(Class<F> flow, I input, StartOptions options);

    /**
     * Starts one run per input in one call and one transaction ({@code pgflow.start_flows}): all
     * start or none does. With an idempotency key K, input i gets the key K#i (counted from 1), so a
     * repeated call starts nothing twice. The handles are in input order.
     */
    <I, O, F extends TypedFlow<I, O>> List<RunHandle<O>> startAll(Class<F> flow, List<? extends I> inputs, StartOptions options);

    /**
     * The run {@code runId} of {@code flow}, to read, await or act on.
     *
     * @throws RefusedException NOT_FOUND when there is no such run, INVALID when the run belongs to another flow
     */
    <O> RunHandle<O> find(UUID runId, Class<? extends TypedFlow<?, O>> flow);

    /**
     * Sends {@code payload} to the signal step {@code stepSlug} of the run ({@code pgflow.send_signal}).
     *
     * @return what became of it: delivered, buffered (the step does not wait yet) or ignored (it
     *         already had a signal, or the run ended; sending twice is safe)
     * @throws RefusedException NOT_FOUND for an unknown run, INVALID when the step is not a signal
     *                          step or the payload is not what it takes
     */
    SignalOutcome signal(UUID runId, String stepSlug, Object payload);
}
