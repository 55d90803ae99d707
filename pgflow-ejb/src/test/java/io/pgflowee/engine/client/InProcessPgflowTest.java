package io.pgflowee.engine.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.api.flow.TypedFlow;
import io.pgflowee.client.AwaitTimeoutException;
import io.pgflowee.client.RefusedException;
import io.pgflowee.client.RunCancelledException;
import io.pgflowee.client.RunFailedException;
import io.pgflowee.client.RunHandle;
import io.pgflowee.client.RunState;
import io.pgflowee.client.RunStatus;
import io.pgflowee.client.StartOptions;
import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.Signals;
import io.pgflowee.engine.events.RunEventHub;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * The engine's typed client without a server: {@link InProcessPgflow} on embedded PostgreSQL 17
 * with a real {@link RunEventHub} (LISTEN), the tasks claimed and completed by SQL as a worker
 * would. Typed input in, typed output out; failures, cancellation and timeouts as typed
 * exceptions with the engine's words; idempotent starts; events in order; await woken by the
 * run's event, not by re-reading. (Joined and separate JTA transactions need a server: ClientIT.)
 */
@ExtendWith(PgflowDatabaseExtension.class)
class InProcessPgflowTest {

    /** The test flow, as a user writes it: typed input and output. */
    public static class Totals implements TypedFlow<Totals.Input, Totals.Output> {
        public record Input(String name, int n) {
        }

        public record Output(String label, int doubled) {
        }

        @Override
        public io.pgflowee.api.flow.Flow<Input> flow() {
            io.pgflowee.api.flow.Flow<Input> flow = io.pgflowee.api.flow.Flow.define("client_totals", Input.class).maxAttempts(1);
            flow.step("label", String.class).run(in -> in.name() + "!");
            flow.step("doubled", Integer.class).run(in -> in.n() * 2);
            return flow;
        }
    }

    /** A typed flow the database does not have. */
    public static class Missing implements TypedFlow<Totals.Input, Totals.Output> {
        @Override
        public io.pgflowee.api.flow.Flow<Totals.Input> flow() {
            io.pgflowee.api.flow.Flow<Totals.Input> flow = io.pgflowee.api.flow.Flow.define("client_missing", Totals.Input.class);
            flow.step("label", String.class).run(in -> in.name());
            return flow;
        }
    }

    /** Another typed flow, for find with the wrong class. */
    public static class Other implements TypedFlow<Totals.Input, String> {
        @Override
        public io.pgflowee.api.flow.Flow<Totals.Input> flow() {
            io.pgflowee.api.flow.Flow<Totals.Input> flow = io.pgflowee.api.flow.Flow.define("client_other", Totals.Input.class);
            flow.step("label", String.class).run(in -> in.name());
            return flow;
        }
    }

    private Db db;
    private RunEventHub hub;
    private ScheduledThreadPoolExecutor scheduler;
    private ExecutorService executor;
    private InProcessPgflow pgflow;
    private final AtomicInteger reads = new AtomicInteger();

    @BeforeEach
    void engine(DataSource dataSource) {
        PgflowDatabaseExtension.resetRuntimeData(dataSource);
        db = new Db(dataSource);
        db.exec("delete from pgflow.deps where flow_slug like 'client_%'");
        db.exec("delete from pgflow.steps where flow_slug like 'client_%'");
        db.exec("delete from pgflow.flows where flow_slug like 'client_%'");
        db.exec("select pgflow.create_flow('client_totals', max_attempts => 1, timeout => 60)");
        db.exec("select pgflow.add_step('client_totals', 'label')");
        db.exec("select pgflow.add_step('client_totals', 'doubled')");
        scheduler = new ScheduledThreadPoolExecutor(1);
        executor = Executors.newCachedThreadPool();
        hub = io.pgflowee.engine.events.PlainHubs.on(dataSource, scheduler);
        FlowRegistry registry = FlowRegistry.of(new Totals().flow());
        pgflow = new InProcessPgflow(new EngineOperations(dataSource), registry, new Signals(dataSource, registry), hub, dataSource,
                executor) {
            @Override
            RunStatus status(UUID runId) {
                reads.incrementAndGet();
                return super.status(runId);
            }
        };
    }

    @AfterEach
    void stop() {
        io.pgflowee.engine.events.PlainHubs.stop(hub);
        scheduler.shutdownNow();
        executor.shutdownNow();
    }

    @Test
    void aTypedStartAwaitsTheTypedOutputWokenByTheRunsEvent() {
        RunHandle<Totals.Output> run = pgflow.start(Totals.class, new Totals.Input("Ann", 21));

        assertThat(run.created()).isTrue();
        assertThat(run.flowSlug()).isEqualTo("client_totals");
        assertThat((String) db.one("select input::text from pgflow.runs where run_id = ?", run.runId()))
                .isEqualTo("{\"n\": 21, \"name\": \"Ann\"}");
        RunStatus status = run.status();
        assertThat(status.state()).isEqualTo(RunState.STARTED);
        assertThat(status.remainingSteps()).isEqualTo(2);
        assertThat(status.endedAt()).isNull();

        // completed 3 s from now: after the one re-read at 1 s, long before the next at 11 s; await(8 s) can only
        // see it through the run's event
        CompletableFuture<Void> worker = CompletableFuture.runAsync(() -> {
            sleep(3_000);
            complete(run.runId(), "label", "\"Ann!\"");
            complete(run.runId(), "doubled", "42");
        });
        reads.set(0);
        Totals.Output out = run.await(Duration.ofSeconds(8));
        worker.join();

        assertThat(out).isEqualTo(new Totals.Output("Ann!", 42));
        assertThat(reads.get()).as("reads: at the start, at 1 s, after the end event").isEqualTo(3);
        assertThat(hub.watchCount()).as("the watch ended with the await").isZero();
        assertThat(run.status().state()).isEqualTo(RunState.COMPLETED);
        assertThat(run.status().outputJson()).isEqualTo("{\"label\": \"Ann!\", \"doubled\": 42}");
    }

    @Test
    void aFailedRunThrowsItsStepTaskAttemptAndError() {
        RunHandle<Totals.Output> run = pgflow.start(Totals.class, new Totals.Input("Bo", 1));
        complete(run.runId(), "label", "\"Bo!\"");
        UUID worker = claim("doubled");
        db.exec("select pgflow.fail_task(?, 'doubled', 0, 'card declined')", run.runId());

        assertThatThrownBy(() -> run.await(Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(RunFailedException.class, e -> {
                    assertThat(e.runId()).isEqualTo(run.runId());
                    assertThat(e.failure().stepSlug()).isEqualTo("doubled");
                    assertThat(e.failure().taskIndex()).isZero();
                    assertThat(e.failure().attempt()).isEqualTo(1);
                    assertThat(e.failure().error()).isEqualTo("card declined");
                    assertThat(e.failure().failedAt()).isNotNull();
                })
                .hasMessage("Run failed: run " + run.runId() + " of flow 'client_totals' failed: step 'doubled' failed on attempt 1:"
                        + " card declined");
        assertThat(worker).isNotNull();

        RunStatus retried = run.retry();
        assertThat(retried.state()).isEqualTo(RunState.STARTED);
        assertThat((String) db.one("select retried_by from pgflow_internal.run_retries where run_id = ?", run.runId()))
                .isEqualTo("java client");
    }

    @Test
    void aCancelledRunThrowsWithItsReasonAndATimeoutSaysWhereTheRunIs() {
        RunHandle<Totals.Output> run = pgflow.start(Totals.class, new Totals.Input("Cy", 2));

        assertThatThrownBy(() -> run.await(Duration.ofMillis(300))).isInstanceOf(AwaitTimeoutException.class)
                .hasMessage("Await timed out: run " + run.runId() + " of flow 'client_totals' is still started after 300 ms");
        RunStatus cancelled = run.cancel("customer withdrew");
        assertThat(cancelled.state()).isEqualTo(RunState.CANCELLED);
        assertThat(cancelled.cancelReason()).isEqualTo("customer withdrew");
        assertThatThrownBy(() -> run.await(Duration.ofSeconds(5))).isInstanceOfSatisfying(RunCancelledException.class,
                e -> assertThat(e.reason()).isEqualTo("customer withdrew"))
                .hasMessage("Run cancelled: run " + run.runId() + " of flow 'client_totals' was cancelled: customer withdrew");
    }

    @Test
    void idempotentStartsReturnTheFirstRunAndStartAllStartsEachOnce() {
        RunHandle<Totals.Output> first = pgflow.start(Totals.class, new Totals.Input("Di", 3), StartOptions.idempotencyKey("order-1"));
        RunHandle<Totals.Output> again = pgflow.start(Totals.class, new Totals.Input("Di", 3), StartOptions.idempotencyKey("order-1"));
        assertThat(again.runId()).isEqualTo(first.runId());
        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        assertThatThrownBy(() -> pgflow.start(Totals.class, new Totals.Input("Di", 4), StartOptions.idempotencyKey("order-1")))
                .isInstanceOfSatisfying(RefusedException.class, e -> assertThat(e.kind()).isEqualTo(RefusedException.Kind.CONFLICT))
                .hasMessageContaining("order-1");

        List<Totals.Input> inputs = List.of(new Totals.Input("a", 1), new Totals.Input("b", 2), new Totals.Input("c", 3));
        List<RunHandle<Totals.Output>> batch = pgflow.startAll(Totals.class, inputs, StartOptions.idempotencyKey("batch-7").withPriority(5));
        List<RunHandle<Totals.Output>> repeat = pgflow.startAll(Totals.class, inputs, StartOptions.idempotencyKey("batch-7"));
        assertThat(batch).extracting(RunHandle::created).containsExactly(true, true, true);
        assertThat(repeat).extracting(RunHandle::created).containsExactly(false, false, false);
        assertThat(repeat).extracting(RunHandle::runId).containsExactlyElementsOf(batch.stream().map(RunHandle::runId).toList());
        assertThat(db.rows("select idempotency_key, priority, input->>'name' as name from pgflow.runs where idempotency_key like"
                + " 'batch-7#%' order by idempotency_key")).extracting(r -> r.get("idempotency_key") + " " + r.get("priority") + " "
                + r.get("name")).containsExactly("batch-7#1 5 a", "batch-7#2 5 b", "batch-7#3 5 c");
    }

    @Test
    void unknownFlowsAndRunsAndAnotherFlowsRunAreRefusedByKind() {
        assertThatThrownBy(() -> pgflow.start(Missing.class, new Totals.Input("x", 1)))
                .isInstanceOfSatisfying(RefusedException.class, e -> assertThat(e.kind()).isEqualTo(RefusedException.Kind.NOT_FOUND))
                .hasMessageContaining("client_missing");
        UUID nobody = UUID.randomUUID();
        assertThatThrownBy(() -> pgflow.find(nobody, Totals.class))
                .isInstanceOfSatisfying(RefusedException.class, e -> assertThat(e.kind()).isEqualTo(RefusedException.Kind.NOT_FOUND))
                .hasMessage("Unknown run: run " + nobody + " does not exist");
        RunHandle<Totals.Output> run = pgflow.start(Totals.class, new Totals.Input("Ed", 5));
        assertThatThrownBy(() -> pgflow.find(run.runId(), Other.class))
                .isInstanceOfSatisfying(RefusedException.class, e -> assertThat(e.kind()).isEqualTo(RefusedException.Kind.INVALID))
                .hasMessage("Another flow's run: run " + run.runId() + " is a run of flow 'client_totals', not of 'client_other' ("
                        + Other.class.getName() + ")");
        RunHandle<Totals.Output> found = pgflow.find(run.runId(), Totals.class);
        assertThat(found.created()).isFalse();
        assertThat(found.status().state()).isEqualTo(RunState.STARTED);
        assertThatThrownBy(() -> FlowTypeProbe.of(String.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.String cannot be started by type");
    }

    @Test
    void eventsArriveInOrderFromTheStartAndCompleteAfterTheRunEnds() throws Exception {
        RunHandle<Totals.Output> run = pgflow.start(Totals.class, new Totals.Input("Fay", 6));
        complete(run.runId(), "label", "\"Fay!\"");
        // the last step completes while the events are followed
        CompletableFuture<Void> last = CompletableFuture.runAsync(() -> {
            sleep(500);
            complete(run.runId(), "doubled", "12");
        });
        List<String> seen = io.pgflowee.client.testing.RunEvents.of(run, Duration.ofSeconds(10));
        last.join();
        assertThat(seen).as("same-time events in the engine's order: by step slug").containsExactly("run:started", "step:started doubled", "step:started label", "step:completed label",
                "step:completed doubled", "run:completed");
        assertThat(hub.watchCount()).isZero();
    }

    @Test
    void aStartInsideTheCallersSpanGivesTheRunTheCallersTrace(DataSource dataSource) {
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter spans = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
        try (io.opentelemetry.sdk.OpenTelemetrySdk sdk = io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(
                io.opentelemetry.sdk.trace.SdkTracerProvider.builder().addSpanProcessor(
                        io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans)).build()).build()) {
            pgflow.withTracing(new io.pgflowee.engine.tracing.RunTracing(sdk, dataSource));
            io.opentelemetry.api.trace.Span caller = sdk.getTracer("app").spanBuilder("signup").startSpan();
            RunHandle<Totals.Output> run;
            List<RunHandle<Totals.Output>> batch;
            try (io.opentelemetry.context.Scope scope = caller.makeCurrent()) {
                run = pgflow.start(Totals.class, new Totals.Input("Jo", 1));
                batch = pgflow.startAll(Totals.class, List.of(new Totals.Input("Ki", 2), new Totals.Input("Lu", 3)), null);
            } finally {
                caller.end();
            }
            String trace = caller.getSpanContext().getTraceId();
            assertThat(db.rows("select substr(traceparent, 4, 32) as trace from pgflow_internal.run_traces where run_id in (?, ?, ?)",
                    run.runId(), batch.get(0).runId(), batch.get(1).runId())).extracting(r -> r.get("trace")).containsExactly(trace, trace, trace);
            assertThat(spans.getFinishedSpanItems()).extracting(s -> s.getName() + " " + s.getParentSpanId())
                    .containsExactly("pgflow.start client_totals " + caller.getSpanContext().getSpanId(),
                            "pgflow.start client_totals " + caller.getSpanContext().getSpanId(), "signup 0000000000000000");
        }
    }

    /** {@code FlowType.of} through a class of this package. */
    static final class FlowTypeProbe {
        static Object of(Class<?> c) {
            return io.pgflowee.client.FlowType.of(c);
        }
    }

    /** Claims every queued task of the flow as a worker would (a task must be started to complete or fail). */
    private UUID claim(String step) {
        UUID worker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'client_totals', 'test')", worker);
        db.rows("select step_slug from pgflow.claim_tasks('client_totals', ?, 10)", worker);
        return worker;
    }

    /** Claims the run's queued tasks as a worker and completes {@code step}'s with {@code output}. */
    private void complete(UUID run, String step, String output) {
        claim(step);
        db.exec("select pgflow.complete_task(?, ?, 0, ?::jsonb)", run, step, output);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
