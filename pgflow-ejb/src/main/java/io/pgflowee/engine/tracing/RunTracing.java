package io.pgflowee.engine.tracing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.worker.TaskSpans;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

/**
 * The traces of runs. Off by default, at the cost of a field read per start and per task: on when
 * MicroProfile Telemetry is on ({@code otel.sdk.disabled=false}, {@code OTEL_SDK_DISABLED=false},
 * with the standard {@code OTEL_*} settings for the exporter; Payara's SDK exports over OTLP).
 *
 * <ul>
 *   <li><b>Start</b>: a REST start or a {@code Pgflow.start} in the server makes a span
 *       {@code pgflow.start <flow>} (kind PRODUCER) as a child of the caller's current span (Payara
 *       continues a request's {@code traceparent} header in the request's span), ends it with the run
 *       started, and records its context as the run's ({@code pgflow.set_run_trace} right after the
 *       start, on the engine's data source: in the caller's JTA transaction when there is one). A run
 *       started without one (SQL, console, schedule) gets a root start span from the first worker
 *       that meets it ({@code pgflow.adopt_run_trace}).</li>
 *   <li><b>Tasks</b>: each task attempt runs in a span {@code pgflow.task <flow>/<step>} (kind
 *       CONSUMER), a child of the run's recorded context, on whichever server and however much later
 *       it runs, current while the handler runs (its own spans nest in it). Attributes
 *       {@code pgflow.flow}, {@code pgflow.run_id}, {@code pgflow.step}, {@code pgflow.task_index},
 *       {@code pgflow.attempt}, {@code pgflow.worker_id}, {@code pgflow.outcome}; a failure sets the
 *       status ERROR and records the exception. A failed attempt's context is recorded
 *       ({@code pgflow.set_task_trace}) and the next attempt links to it; so is a subflow task's, and
 *       its child run takes it as its own context (the child's spans nest under the task).</li>
 *   <li><b>Runs</b>: every {@value #END_EVERY_SECONDS} s, {@code pgflow.end_run_traces} hands this
 *       server some of the traced runs that ended (each to one server) and it makes their spans
 *       {@code pgflow.run <flow>}, from the run's start to its end, beside its tasks.</li>
 * </ul>
 */
@ApplicationScoped
public class RunTracing {

    private static final Logger LOG = Logger.getLogger(RunTracing.class.getName());
    static final String SCOPE = "io.pgflowee";
    static final AttributeKey<String> FLOW = AttributeKey.stringKey("pgflow.flow");
    static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("pgflow.run_id");
    static final AttributeKey<String> STEP = AttributeKey.stringKey("pgflow.step");
    static final AttributeKey<Long> TASK_INDEX = AttributeKey.longKey("pgflow.task_index");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("pgflow.attempt");
    static final AttributeKey<String> WORKER_ID = AttributeKey.stringKey("pgflow.worker_id");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("pgflow.outcome");
    static final AttributeKey<Long> RUNS = AttributeKey.longKey("pgflow.runs");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("pgflow.status");
    static final AttributeKey<String> ORIGIN = AttributeKey.stringKey("pgflow.origin");
    static final AttributeKey<String> PARENT_RUN_ID = AttributeKey.stringKey("pgflow.parent_run_id");
    static final Attributes LINK_TO_EARLIER_ATTEMPT = Attributes.of(AttributeKey.stringKey("pgflow.link"), "earlier_attempt");
    /** Ended runs taken per call of end_run_traces, and how often each server asks. */
    static final int END_BATCH = 200;
    static final int END_EVERY_SECONDS = 2;
    /** Run contexts kept per server before the cache starts over (a task reads its run's once). */
    static final int CACHE = 10_000;

    @Inject
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "otel.sdk.disabled", defaultValue = "true")
    boolean disabled;

    @Inject
    Instance<OpenTelemetry> telemetry;

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Resource
    ManagedScheduledExecutorService scheduler;

    private volatile Tracer tracer;
    private volatile boolean sweepFailing;
    private ScheduledFuture<?> runSpans;
    private final Map<UUID, Optional<Context>> runContexts = new ConcurrentHashMap<>();

    public RunTracing() {
    }

    /** Outside a container (tests): on with {@code openTelemetry}, off with null. */
    public RunTracing(OpenTelemetry openTelemetry, DataSource dataSource) {
        this.dataSource = dataSource;
        this.tracer = openTelemetry == null ? null : openTelemetry.getTracer(SCOPE);
    }

    @PostConstruct
    void init() {
        if (!disabled && telemetry != null && telemetry.isResolvable()) {
            tracer = telemetry.get().getTracer(SCOPE);
            if (scheduler != null) {
                runSpans = scheduler.scheduleWithFixedDelay(this::endRunSpansQuietly, END_EVERY_SECONDS, END_EVERY_SECONDS, TimeUnit.SECONDS);
            }
            LOG.info("PGFLOW-059 tracing is on: runs keep their starter's trace context, every task attempt is a span, and"
                    + " every run a span when it ends");
        }
    }

    @PreDestroy
    void stop() {
        if (runSpans != null) {
            runSpans.cancel(false);
        }
    }

    private void endRunSpansQuietly() {
        try {
            endRunSpans();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "PGFLOW-068 the spans of ended runs could not be made", e);
        }
    }

    public boolean on() {
        return tracer != null;
    }

    /** The span of a start, ended by {@link Start#started} or {@link Start#failed}. */
    public interface Start {
        Start NONE = new Start() {
            @Override
            public void started(List<UUID> runIds) {
            }

            @Override
            public void failed(Throwable error) {
            }
        };

        /** Ends the span and records its context as these runs' (in the caller's transaction, if any). */
        void started(List<UUID> runIds);

        /** Ends the span as failed. */
        void failed(Throwable error);
    }

    /** Starts the span of a start of {@code flowSlug} under the caller's current span; {@link Start#NONE} when off. */
    public Start start(String flowSlug) {
        Tracer t = tracer;
        if (t == null) {
            return Start.NONE;
        }
        Span span = t.spanBuilder("pgflow.start " + flowSlug).setSpanKind(SpanKind.PRODUCER).setAttribute(FLOW, flowSlug).startSpan();
        return new Start() {
            @Override
            public void started(List<UUID> runIds) {
                if (runIds.size() == 1) {
                    span.setAttribute(RUN_ID, runIds.get(0).toString());
                } else {
                    span.setAttribute(RUNS, (long) runIds.size());
                }
                span.end();
                Map<String, String> carrier = new HashMap<>();
                W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), carrier, Map::put);
                record(runIds, carrier.get("traceparent"), carrier.get("tracestate"));
            }

            @Override
            public void failed(Throwable error) {
                span.recordException(error);
                span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
                span.end();
            }
        };
    }

    private void record(List<UUID> runIds, String traceparent, String tracestate) {
        if (traceparent == null || runIds.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT pgflow.set_run_trace(?, ?, ?)")) {
            ps.setArray(1, c.createArrayOf("uuid", runIds.toArray()));
            ps.setString(2, traceparent);
            ps.setString(3, tracestate == null || tracestate.isEmpty() ? null : tracestate);
            ps.execute();
        } catch (SQLException e) {
            // a trace is worth less than the run: the run stays started, its tasks start traces of their own
            LOG.log(Level.WARNING, "PGFLOW-060 the trace context of " + runIds.size() + " run(s) could not be recorded ("
                    + e.getMessage() + "): their first task makes them traces of their own");
        }
    }

    /** The spans of the workers' task attempts; {@link TaskSpans#OFF} when off. */
    public TaskSpans taskSpans() {
        Tracer t = tracer;
        if (t == null) {
            return TaskSpans.OFF;
        }
        return (flowSlug, runId, stepSlug, taskIndex, attempt, workerId, subflow) -> {
            TaskTrace trace = attempt > 1 ? readTaskTrace(t, flowSlug, runId, stepSlug, taskIndex, attempt) : null;
            SpanBuilder builder = t.spanBuilder("pgflow.task " + flowSlug + "/" + stepSlug).setSpanKind(SpanKind.CONSUMER)
                    .setParent(trace != null ? trace.context() : runContext(t, flowSlug, runId, stepSlug, taskIndex)).setAttribute(FLOW, flowSlug)
                    .setAttribute(RUN_ID, runId.toString()).setAttribute(STEP, stepSlug).setAttribute(TASK_INDEX, (long) taskIndex)
                    .setAttribute(ATTEMPT, (long) attempt).setAttribute(WORKER_ID, workerId == null ? "" : workerId.toString());
            if (trace != null) {
                for (SpanContext earlier : trace.earlierAttempts()) {
                    builder.addLink(earlier, LINK_TO_EARLIER_ATTEMPT);
                }
            }
            Span span = builder.startSpan();
            Scope scope = span.makeCurrent();
            return new TaskSpans.Active() {
                private boolean ended;

                @Override
                public void outcome(String outcome, Throwable error) {
                    span.setAttribute(OUTCOME, outcome);
                    if (outcome.equals("failed") || outcome.equals("timed_out") || (subflow && outcome.equals("completed"))) {
                        // the next attempt links to this one; a child run nests under this one
                        recordAttempt(runId, stepSlug, taskIndex, attempt, span.getSpanContext());
                    }
                    if (error != null) {
                        span.recordException(error);
                    }
                    if (outcome.equals("failed") || outcome.equals("timed_out")) {
                        span.setStatus(StatusCode.ERROR, error == null ? outcome : String.valueOf(error.getMessage()));
                    }
                    // ends before the outcome is reported: the run's span ends when the database ends the
                    // run (its completing transaction's time), so a task span ending after the report
                    // would outlast the run's span by the report's round trip
                    span.end();
                    ended = true;
                }

                @Override
                public String traceId() {
                    return span.getSpanContext().getTraceId();
                }

                @Override
                public void close() {
                    scope.close();
                    if (!ended) {
                        span.end();
                    }
                }
            };
        };
    }

    /** The run's recorded context (read once per run and server), or the root: a run started untraced. */
    Context runContext(Tracer t, String flowSlug, UUID runId, String stepSlug, int taskIndex) {
        Optional<Context> known = runContexts.get(runId);
        if (known == null) {
            TaskTrace trace = readTaskTrace(t, flowSlug, runId, stepSlug, taskIndex, 1);
            known = trace == null ? Optional.empty() : Optional.of(trace.context());
        }
        return known.orElse(Context.root());
    }

    /** The context of a task attempt's span: its run's and the earlier attempts it links to. */
    record TaskTrace(Context context, List<SpanContext> earlierAttempts) {
    }

    /**
     * {@code pgflow.task_trace}: null when it cannot be read (the spans then start traces of their
     * own); remembers the run's context. A run started without a context (SQL, the console, a
     * schedule) gets one here: a root span {@code pgflow.start <flow>} at the run's start, offered
     * with {@code pgflow.adopt_run_trace}; when another worker's offer came first, ours is dropped
     * unended (never exported) and theirs is used.
     */
    private TaskTrace readTaskTrace(Tracer t, String flowSlug, UUID runId, String stepSlug, int taskIndex, int attempt) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT traceparent, tracestate, earlier_attempts, started_at FROM pgflow.task_trace(?, ?, ?, ?)")) {
            ps.setObject(1, runId);
            ps.setString(2, stepSlug);
            ps.setInt(3, taskIndex);
            ps.setInt(4, attempt);
            String traceparent;
            String tracestate;
            List<SpanContext> earlier = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                traceparent = rs.getString(1);
                tracestate = rs.getString(2);
                for (String attemptTraceparent : (String[]) rs.getArray(3).getArray()) {
                    Context attemptContext = contextOf(attemptTraceparent, null);
                    if (attemptContext != null) {
                        earlier.add(Span.fromContext(attemptContext).getSpanContext());
                    }
                }
                if (traceparent == null) {
                    String[] adopted = adopt(c, t, flowSlug, runId, rs.getTimestamp(4).toInstant());
                    traceparent = adopted[0];
                    tracestate = adopted[1];
                }
            }
            Context context = contextOf(traceparent, tracestate);
            remember(runId, Optional.ofNullable(context));
            return context == null ? null : new TaskTrace(context, earlier);
        } catch (SQLException e) {
            LOG.fine(() -> "the trace context of run " + runId + " could not be read: " + e.getMessage());
            return null;
        }
    }

    private static String[] adopt(Connection c, Tracer t, String flowSlug, UUID runId, java.time.Instant startedAt) throws SQLException {
        Span span = t.spanBuilder("pgflow.start " + flowSlug).setSpanKind(SpanKind.PRODUCER).setNoParent().setStartTimestamp(startedAt)
                .setAttribute(FLOW, flowSlug).setAttribute(RUN_ID, runId.toString()).setAttribute(ORIGIN, "untraced").startSpan();
        String offered = traceparentOf(span.getSpanContext());
        try (PreparedStatement ps = c.prepareStatement("SELECT traceparent, tracestate FROM pgflow.adopt_run_trace(?, ?)")) {
            ps.setObject(1, runId);
            ps.setString(2, offered);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new String[] {null, null};
                }
                if (offered.equals(rs.getString(1))) {
                    span.end(startedAt);
                }
                return new String[] {rs.getString(1), rs.getString(2)};
            }
        }
    }

    private void remember(UUID runId, Optional<Context> context) {
        if (runContexts.size() >= CACHE) {
            runContexts.clear();
        }
        runContexts.put(runId, context);
    }

    /** A remote parent from a W3C traceparent (and tracestate), or null when it is not valid. */
    static Context contextOf(String traceparent, String tracestate) {
        if (traceparent == null) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>();
        carrier.put("traceparent", traceparent);
        if (tracestate != null) {
            carrier.put("tracestate", tracestate);
        }
        Context context = W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, MAP_GETTER);
        return Span.fromContext(context).getSpanContext().isValid() ? context : null;
    }

    static String traceparentOf(SpanContext span) {
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    private void recordAttempt(UUID runId, String stepSlug, int taskIndex, int attempt, SpanContext span) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT pgflow.set_task_trace(?, ?, ?, ?, ?)")) {
            ps.setObject(1, runId);
            ps.setString(2, stepSlug);
            ps.setInt(3, taskIndex);
            ps.setInt(4, attempt);
            ps.setString(5, traceparentOf(span));
            ps.execute();
        } catch (SQLException e) {
            LOG.fine(() -> "the trace context of attempt " + attempt + " of " + stepSlug + "[" + taskIndex + "] of run " + runId
                    + " could not be recorded: " + e.getMessage());
        }
    }

    /**
     * Makes the span {@code pgflow.run <flow>} of each traced run that ended since the last call
     * ({@code pgflow.end_run_traces}: each run is handed to one server): from the run's start to its
     * end, a child of the context the run was started in (a child run's: its parent's subflow task),
     * attributes flow, run id, status, status ERROR with the first error for a failed run.
     *
     * @return how many spans were made
     */
    public int endRunSpans() {
        Tracer t = tracer;
        if (t == null) {
            return 0;
        }
        int made = 0;
        int batch;
        do {
            batch = 0;
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT run_id, flow_slug, status, traceparent, tracestate, started_at, ended_at, parent_run_id, error_message"
                            + " FROM pgflow.end_run_traces(?)")) {
                ps.setInt(1, END_BATCH);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        batch++;
                        Context parent = contextOf(rs.getString(4), rs.getString(5));
                        SpanBuilder builder = t.spanBuilder("pgflow.run " + rs.getString(2)).setSpanKind(SpanKind.INTERNAL)
                                .setParent(parent == null ? Context.root() : parent)
                                .setStartTimestamp(rs.getTimestamp(6).toInstant()).setAttribute(FLOW, rs.getString(2))
                                .setAttribute(RUN_ID, rs.getString(1)).setAttribute(STATUS, rs.getString(3));
                        if (rs.getString(8) != null) {
                            builder.setAttribute(PARENT_RUN_ID, rs.getString(8));
                        }
                        Span span = builder.startSpan();
                        if ("failed".equals(rs.getString(3))) {
                            String error = rs.getString(9);
                            span.setStatus(StatusCode.ERROR, error == null ? "failed" : error.lines().findFirst().orElse(error));
                        }
                        span.end(rs.getTimestamp(7).toInstant());
                        made++;
                    }
                }
                sweepFailing = false;
            } catch (SQLException e) {
                if (!sweepFailing) {
                    sweepFailing = true;
                    LOG.warning("PGFLOW-068 the spans of ended runs could not be made (" + e.getMessage()
                            + "): tried again every " + END_EVERY_SECONDS + " s");
                }
                return made;
            }
        } while (batch == END_BATCH);
        return made;
    }

    private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
}
