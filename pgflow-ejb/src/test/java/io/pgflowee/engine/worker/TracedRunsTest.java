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
        if (handlers != null) {
            handlers.shutdownNow();
            scheduler.shutdownNow();
        }
        sdk.close();
    }

    private Flow<?> flow() {
        Flow<Object> flow = Flow.define("traced", Object.class).maxAttempts(2).baseDelay(1);
        var first = flow.step("first", String.class).run(in -> "one");
        flow.step("second", String.class).after(first).run(one -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("second fails once");
            }
            return one + " two";
        });
        return flow;
    }

    private void startWorker(Flow<?> flow, TaskSpans taskSpans) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            assertThat(FlowVerifier.verify(c, flow, true).state()).isIn(FlowStatus.State.COMPILED, FlowStatus.State.VERIFIED);
        }
        handlers = Executors.newCachedThreadPool();
        scheduler = Executors.newScheduledThreadPool(2);
        worker = new FlowWorker(flow, dataSource, handlers, scheduler, SETTINGS, JsonCodec.create(), "traced-test");
        worker.tracing(taskSpans);
        worker.start();
    }

    private UUID start(RunTracing with) {
        RunTracing.Start span = with.start("traced");
        UUID run = db.one("select run_id from pgflow.start_flow('traced', '{}'::jsonb)");
        span.started(List.of(run));
        return run;
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
        SpanData started = all.stream().filter(s -> s.getName().equals("pgflow.run traced")).findFirst().orElseThrow();
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
    }

    @Test
    void aRunStartedUntracedGivesItsTasksTracesOfTheirOwn() throws Exception {
        startWorker(flow(), tracing.taskSpans());
        UUID run = db.one("select run_id from pgflow.start_flow('traced', '{}'::jsonb)");
        awaitCompleted(run);
        for (int i = 0; i < 100 && spans.getFinishedSpanItems().size() < 3; i++) {
            Thread.sleep(20);
        }

        assertThat(spans.getFinishedSpanItems()).hasSize(3).allSatisfy(s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
        assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getTraceId).doesNotHaveDuplicates();
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_traces")).isZero();
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
