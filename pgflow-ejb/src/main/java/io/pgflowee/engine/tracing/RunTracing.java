package io.pgflowee.engine.tracing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
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
import jakarta.annotation.Resource;
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
 *       {@code pgflow.run <flow>} (kind PRODUCER) as a child of the caller's current span (Payara
 *       continues a request's {@code traceparent} header in the request's span), ends it with the run
 *       started, and records its context as the run's ({@code pgflow.set_run_trace} right after the
 *       start, on the engine's data source: in the caller's JTA transaction when there is one).</li>
 *   <li><b>Tasks</b>: each task attempt runs in a span {@code pgflow.task <flow>/<step>} (kind
 *       CONSUMER), a child of the run's recorded context, on whichever server and however much later
 *       it runs, current while the handler runs (its own spans nest in it). Attributes
 *       {@code pgflow.flow}, {@code pgflow.run_id}, {@code pgflow.step}, {@code pgflow.task_index},
 *       {@code pgflow.attempt}, {@code pgflow.worker_id}, {@code pgflow.outcome}; a failure sets the
 *       status ERROR and records the exception.</li>
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
    /** Run contexts kept per server before the cache starts over (a task reads its run's once). */
    static final int CACHE = 10_000;

    @Inject
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "otel.sdk.disabled", defaultValue = "true")
    boolean disabled;

    @Inject
    Instance<OpenTelemetry> telemetry;

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    private volatile Tracer tracer;
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
            LOG.info("PGFLOW-059 tracing is on: runs keep their starter's trace context and every task attempt is a span");
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
        Span span = t.spanBuilder("pgflow.run " + flowSlug).setSpanKind(SpanKind.PRODUCER).setAttribute(FLOW, flowSlug).startSpan();
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
                    + e.getMessage() + "): their tasks' spans start traces of their own");
        }
    }

    /** The spans of the workers' task attempts; {@link TaskSpans#OFF} when off. */
    public TaskSpans taskSpans() {
        Tracer t = tracer;
        if (t == null) {
            return TaskSpans.OFF;
        }
        return (flowSlug, runId, stepSlug, taskIndex, attempt, workerId) -> {
            Span span = t.spanBuilder("pgflow.task " + flowSlug + "/" + stepSlug).setSpanKind(SpanKind.CONSUMER)
                    .setParent(runContext(runId)).setAttribute(FLOW, flowSlug).setAttribute(RUN_ID, runId.toString())
                    .setAttribute(STEP, stepSlug).setAttribute(TASK_INDEX, (long) taskIndex).setAttribute(ATTEMPT, (long) attempt)
                    .setAttribute(WORKER_ID, workerId == null ? "" : workerId.toString()).startSpan();
            Scope scope = span.makeCurrent();
            return new TaskSpans.Active() {
                @Override
                public void outcome(String outcome, Throwable error) {
                    span.setAttribute(OUTCOME, outcome);
                    if (error != null) {
                        span.recordException(error);
                    }
                    if (outcome.equals("failed") || outcome.equals("timed_out")) {
                        span.setStatus(StatusCode.ERROR, error == null ? outcome : String.valueOf(error.getMessage()));
                    }
                }

                @Override
                public String traceId() {
                    return span.getSpanContext().getTraceId();
                }

                @Override
                public void close() {
                    scope.close();
                    span.end();
                }
            };
        };
    }

    /** The run's recorded context (read once per run and server), or the root: a run started untraced. */
    Context runContext(UUID runId) {
        Optional<Context> known = runContexts.get(runId);
        if (known == null) {
            known = readContext(runId);
            if (runContexts.size() >= CACHE) {
                runContexts.clear();
            }
            runContexts.put(runId, known);
        }
        return known.orElse(Context.root());
    }

    private Optional<Context> readContext(UUID runId) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT traceparent, tracestate FROM pgflow.run_traceparents(ARRAY[?::uuid])")) {
            ps.setObject(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Map<String, String> carrier = new HashMap<>();
                carrier.put("traceparent", rs.getString(1));
                if (rs.getString(2) != null) {
                    carrier.put("tracestate", rs.getString(2));
                }
                Context context = W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, MAP_GETTER);
                SpanContext parent = Span.fromContext(context).getSpanContext();
                return parent.isValid() ? Optional.of(context) : Optional.empty();
            }
        } catch (SQLException e) {
            LOG.fine(() -> "the trace context of run " + runId + " could not be read: " + e.getMessage());
            return Optional.empty();
        }
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
