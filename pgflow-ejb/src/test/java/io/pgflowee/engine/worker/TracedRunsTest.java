package io.pgflowee.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.flows.FlowStatus;
import io.pgflowee.engine.flows.FlowVerifier;
import io.pgflowee.engine.tracing.RunTracing;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * Traces of runs with a real worker on embedded PostgreSQL and the OpenTelemetry SDK's in-memory
 * exporter: the start's span is a child of the caller's, the run keeps its context, and every task
 * attempt (a retried failure included) is a span under it with the flow, run, step, task, attempt,
 * worker and outcome; a failed attempt is an error with its exception; a run started untraced gives
 * its tasks traces of their own; with tracing off nothing is recorded and no span is made.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class TracedRunsTest {

    private static final WorkerSettings SETTINGS =
            new WorkerSettings(4, 4, Duration.ofMillis(50), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1));

    private DataSource dataSource;
    private Db db;
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private OpenTelemetrySdk sdk;
    private RunTracing tracing;
    private FlowWorker worker;
    private FlowWorker second;
    private final java.util.Map<String, String> threadNames = new java.util.concurrent.ConcurrentHashMap<>();
    private ExecutorService handlers;
    private ScheduledExecutorService scheduler;
    private final AtomicInteger attempts = new AtomicInteger();

    @BeforeEach
    void setUp(DataSource ds) throws Exception {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        dataSource = ds;
        db = new Db(ds);
        sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        tracing = new RunTracing(sdk, ds);
    }

    @AfterEach
    void tearDown() {
        if (worker != null) {
            worker.stop();
        }
        if (second != null) {
            second.stop();
        }
        if (handlers != null) {
            handlers.shutdownNow();
            scheduler.shutdownNow();
        }
        sdk.close();
    }

    private Flow<?> flow() {
        Flow<Object> flow = Flow.define("traced", Object.class).maxAttempts(2).baseDelay(1);
        var first = flow.step("first", String.class).run(in -> {
            threadNames.put("first", Thread.currentThread().getName());
            return "one";
        });
        flow.step("second", String.class).after(first).run(one -> {
            threadNames.put("second " + attempts.get(), Thread.currentThread().getName());
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("second fails once");
            }
            return one + " two";
        });
        return flow;
    }

    /** A child flow: its runs are started by the subflow step of {@link #parentFlow()}. */
    public static class TracedChild implements io.pgflowee.api.flow.TypedFlow<TracedChild.Input, TracedChild.Output> {
        public record Input(String name) {
        }

        public record Output(String hello) {
        }

        @Override
        public Flow<Input> flow() {
            Flow<Input> flow = Flow.define("traced_child", Input.class).maxAttempts(1);
            flow.step("hello", String.class).run(in -> "hello " + in.name());
            return flow;
        }
    }

    private static Flow<?> parentFlow() {
        Flow<Object> flow = Flow.define("traced_parent", Object.class);
        flow.subflow("sub", TracedChild.class, (in, deps) -> new TracedChild.Input("child"));
        return flow;
    }

    private FlowWorker startWorker(Flow<?> flow, TaskSpans taskSpans) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            assertThat(FlowVerifier.verify(c, flow, true).state()).isIn(FlowStatus.State.COMPILED, FlowStatus.State.VERIFIED);
        }
        if (handlers == null) {
            handlers = Executors.newCachedThreadPool();
            scheduler = Executors.newScheduledThreadPool(2);
        }
        FlowWorker started = new FlowWorker(flow, dataSource, handlers, scheduler, SETTINGS, JsonCodec.create(), "traced-test");
        started.tracing(taskSpans);
        started.start();
        if (worker == null) {
            worker = started;
        } else {
            second = started;
        }
        return started;
    }

    private UUID start(RunTracing with) {
        return start(with, "traced");
    }

    private UUID start(RunTracing with, String flowSlug) {
        RunTracing.Start span = with.start(flowSlug);
        UUID run = db.one("select run_id from pgflow.start_flow(?, '{}'::jsonb)", flowSlug);
        span.started(List.of(run));
        return run;
    }

    private List<SpanData> awaitSpans(int count) throws InterruptedException {
        for (int i = 0; i < 200 && spans.getFinishedSpanItems().size() < count; i++) {
            Thread.sleep(20);
        }
        return spans.getFinishedSpanItems();
    }

    private static SpanData named(List<SpanData> all, String name) {
        return all.stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no span " + name
                + " among " + all.stream().map(SpanData::getName).toList()));
    }

    private void awaitCompleted(UUID run) throws InterruptedException {
        for (int i = 0; i < 300 && !"completed".equals(db.one("select status from pgflow.runs where run_id = ?", run)); i++) {
            Thread.sleep(50);
        }
        assertThat((String) db.one("select status from pgflow.runs where run_id = ?", run)).isEqualTo("completed");
    }

    @Test
    void aRunJoinsItsStartersTraceAndEachTaskAttemptIsASpanUnderIt() throws Exception {
        startWorker(flow(), tracing.taskSpans());
        Span caller = sdk.getTracer("test").spanBuilder("POST /api/flows/traced/runs").setSpanKind(SpanKind.SERVER).startSpan();
        UUID run;
        try (Scope scope = caller.makeCurrent()) {
            run = start(tracing);
        } finally {
            caller.end();
        }
        awaitCompleted(run);
        for (int i = 0; i < 100 && spans.getFinishedSpanItems().size() < 5; i++) {
            Thread.sleep(20);
        }

        List<SpanData> all = spans.getFinishedSpanItems();
        SpanData started = named(all, "pgflow.start traced");
        assertThat(started.getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(started.getParentSpanId()).isEqualTo(caller.getSpanContext().getSpanId());
        assertThat(started.getTraceId()).isEqualTo(caller.getSpanContext().getTraceId());
        assertThat(started.getAttributes().get(AttributeKey.stringKey("pgflow.run_id"))).isEqualTo(run.toString());
        assertThat((String) db.one("select traceparent from pgflow_internal.run_traces where run_id = ?", run))
                .isEqualTo("00-" + started.getTraceId() + "-" + started.getSpanId() + "-01");

        List<SpanData> tasks = all.stream().filter(s -> s.getName().startsWith("pgflow.task ")).sorted(Comparator
                .comparingLong(SpanData::getStartEpochNanos)).toList();
        assertThat(tasks).extracting(s -> s.getName() + " attempt " + s.getAttributes().get(AttributeKey.longKey("pgflow.attempt")) + " "
                + s.getAttributes().get(AttributeKey.stringKey("pgflow.outcome")) + " " + s.getStatus().getStatusCode())
                .containsExactly("pgflow.task traced/first attempt 1 completed UNSET", "pgflow.task traced/second attempt 1 failed ERROR",
                        "pgflow.task traced/second attempt 2 completed UNSET");
        assertThat(tasks).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(caller.getSpanContext().getTraceId());
            assertThat(s.getParentSpanId()).isEqualTo(started.getSpanId());
            assertThat(s.getKind()).isEqualTo(SpanKind.CONSUMER);
            assertThat(s.getAttributes().get(AttributeKey.stringKey("pgflow.flow"))).isEqualTo("traced");
            assertThat(s.getAttributes().get(AttributeKey.stringKey("pgflow.run_id"))).isEqualTo(run.toString());
            assertThat(s.getAttributes().get(AttributeKey.longKey("pgflow.task_index"))).isZero();
            assertThat(s.getAttributes().get(AttributeKey.stringKey("pgflow.worker_id"))).isEqualTo(worker.workerId().toString());
        });
        SpanData failed = tasks.get(1);
        assertThat(failed.getEvents()).extracting(e -> e.getName() + " " + e.getAttributes().get(AttributeKey.stringKey("exception.message")))
                .containsExactly("exception second fails once");
        // the retry links to the attempt it retries; the first attempts link to nothing
        assertThat(tasks.get(2).getLinks()).extracting(l -> l.getSpanContext().getSpanId() + " "
                + l.getAttributes().get(AttributeKey.stringKey("pgflow.link"))).containsExactly(failed.getSpanId() + " earlier_attempt");
        assertThat(tasks.get(0).getLinks()).isEmpty();
        assertThat(tasks.get(1).getLinks()).isEmpty();
        // the handlers' threads are named after their task while they run (log lines show it), and given their name back
        String trace = caller.getSpanContext().getTraceId();
        assertThat(threadNames).containsOnlyKeys("first", "second 0", "second 1");
        assertThat(threadNames.get("first")).isEqualTo("pgflow traced/first[0] run " + run + " attempt 1 trace " + trace);
        assertThat(threadNames.get("second 1")).isEqualTo("pgflow traced/second[0] run " + run + " attempt 2 trace " + trace);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("pgflow traced/"));

        // the run's own span, from its start to its end, made once by whichever server asks first
        assertThat(tracing.endRunSpans()).isEqualTo(1);
        assertThat(tracing.endRunSpans()).isZero();
        SpanData whole = named(awaitSpans(6), "pgflow.run traced");
        assertThat(whole.getKind()).isEqualTo(SpanKind.INTERNAL);
        assertThat(whole.getParentSpanId()).isEqualTo(started.getSpanId());
        assertThat(whole.getTraceId()).isEqualTo(trace);
        assertThat(whole.getAttributes().get(AttributeKey.stringKey("pgflow.run_id"))).isEqualTo(run.toString());
        assertThat(whole.getAttributes().get(AttributeKey.stringKey("pgflow.status"))).isEqualTo("completed");
        assertThat(whole.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        java.time.Instant startedAt = db.<java.sql.Timestamp>one("select started_at from pgflow.runs where run_id = ?", run).toInstant();
        java.time.Instant completedAt = db.<java.sql.Timestamp>one("select completed_at from pgflow.runs where run_id = ?", run).toInstant();
        assertThat(whole.getStartEpochNanos()).isEqualTo(startedAt.getEpochSecond() * 1_000_000_000L + startedAt.getNano());
        assertThat(whole.getEndEpochNanos()).isEqualTo(completedAt.getEpochSecond() * 1_000_000_000L + completedAt.getNano());
        assertThat(tasks).allSatisfy(t -> assertThat(t.getEndEpochNanos()).isLessThanOrEqualTo(whole.getEndEpochNanos()));
    }

    @Test
    void aChildRunsSpansNestUnderItsParentsSubflowTaskAndAFailedRunsSpanIsAnError() throws Exception {
        startWorker(new TracedChild().flow(), tracing.taskSpans());
        startWorker(parentFlow(), tracing.taskSpans());
        Span caller = sdk.getTracer("test").spanBuilder("caller").startSpan();
        UUID parent;
        try (Scope scope = caller.makeCurrent()) {
            parent = start(tracing, "traced_parent");
        } finally {
            caller.end();
        }
        awaitCompleted(parent);
        UUID child = db.one("select run_id from pgflow.runs where parent_run_id = ?", parent);
        assertThat(tracing.endRunSpans()).isEqualTo(2);
        List<SpanData> all = awaitSpans(6);

        SpanData started = named(all, "pgflow.start traced_parent");
        SpanData sub = named(all, "pgflow.task traced_parent/sub");
        SpanData hello = named(all, "pgflow.task traced_child/hello");
        SpanData parentRun = named(all, "pgflow.run traced_parent");
        SpanData childRun = named(all, "pgflow.run traced_child");
        assertThat(all).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(caller.getSpanContext().getTraceId()));
        assertThat(sub.getParentSpanId()).isEqualTo(started.getSpanId());
        assertThat(parentRun.getParentSpanId()).isEqualTo(started.getSpanId());
        assertThat(hello.getParentSpanId()).as("the child's task under the parent's subflow task").isEqualTo(sub.getSpanId());
        assertThat(childRun.getParentSpanId()).as("the child run under the parent's subflow task").isEqualTo(sub.getSpanId());
        assertThat(childRun.getAttributes().get(AttributeKey.stringKey("pgflow.run_id"))).isEqualTo(child.toString());
        assertThat(childRun.getAttributes().get(AttributeKey.stringKey("pgflow.parent_run_id"))).isEqualTo(parent.toString());
        assertThat(parentRun.getEndEpochNanos()).isGreaterThanOrEqualTo(childRun.getEndEpochNanos());

        // a run that fails: its span is an error with the step's error
        UUID doomed = db.one("select run_id from pgflow.start_flow('traced_child', '\"not an object\"'::jsonb)");
        db.exec("select pgflow.set_run_trace(array[?::uuid], ?)", doomed, "00-" + caller.getSpanContext().getTraceId() + "-"
                + caller.getSpanContext().getSpanId() + "-01");
        for (int i = 0; i < 300 && !"failed".equals(db.one("select status from pgflow.runs where run_id = ?", doomed)); i++) {
            Thread.sleep(50);
        }
        assertThat(tracing.endRunSpans()).isEqualTo(1);
        SpanData doomedRun = awaitSpans(9).stream().filter(s -> doomed.toString().equals(s.getAttributes()
                .get(AttributeKey.stringKey("pgflow.run_id"))) && s.getName().startsWith("pgflow.run ")).findFirst().orElseThrow();
        assertThat(doomedRun.getAttributes().get(AttributeKey.stringKey("pgflow.status"))).isEqualTo("failed");
        assertThat(doomedRun.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(doomedRun.getStatus().getDescription())
                .isEqualTo(db.<String>one("select error_message from pgflow.step_states where run_id = ?", doomed).lines().findFirst().orElseThrow())
                .startsWith("io.pgflowee.api.flow.StepDataException: Step \"hello\" of flow \"traced_child\" cannot read the flow input as");
    }

    @Test
    void aRunStartedUntracedGetsATraceOfItsOwnFromItsFirstTask() throws Exception {
        startWorker(flow(), tracing.taskSpans());
        UUID run = db.one("select run_id from pgflow.start_flow('traced', '{}'::jsonb)");
        awaitCompleted(run);
        assertThat(tracing.endRunSpans()).isEqualTo(1);
        List<SpanData> all = awaitSpans(5);

        // one trace: a root start span at the run's start (made by the first worker to meet the run), the tasks and the run under it
        assertThat(all).hasSize(5);
        assertThat(all).extracting(SpanData::getTraceId).containsOnly(all.get(0).getTraceId());
        SpanData started = named(all, "pgflow.start traced");
        assertThat(started.getParentSpanContext().isValid()).isFalse();
        assertThat(started.getAttributes().get(AttributeKey.stringKey("pgflow.origin"))).isEqualTo("untraced");
        java.time.Instant startedAt = db.<java.sql.Timestamp>one("select started_at from pgflow.runs where run_id = ?", run).toInstant();
        assertThat(started.getStartEpochNanos()).isEqualTo(startedAt.getEpochSecond() * 1_000_000_000L + startedAt.getNano());
        assertThat(all).filteredOn(s -> s != started).allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(started.getSpanId()));
        assertThat((String) db.one("select traceparent from pgflow_internal.run_traces where run_id = ?", run))
                .isEqualTo("00-" + started.getTraceId() + "-" + started.getSpanId() + "-01");
    }

    @Test
    void withTracingOffNothingIsRecordedAndNoSpanIsMade() throws Exception {
        RunTracing off = new RunTracing(null, dataSource);
        assertThat(off.on()).isFalse();
        assertThat(off.taskSpans()).isSameAs(TaskSpans.OFF);
        startWorker(flow(), off.taskSpans());
        UUID run = start(off);
        awaitCompleted(run);

        assertThat(spans.getFinishedSpanItems()).isEmpty();
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_traces")).isZero();
        assertThat(StatusCode.UNSET).isNotNull();
    }
}
