package io.pgflowee.engine.client;

import io.pgflowee.api.flow.RunKeys;
import io.pgflowee.api.flow.TypedFlow;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.client.FlowType;
import io.pgflowee.client.Pgflow;
import io.pgflowee.client.PgflowException;
import io.pgflowee.client.RefusedException;
import io.pgflowee.client.RunFailure;
import io.pgflowee.client.RunHandle;
import io.pgflowee.client.RunState;
import io.pgflowee.client.RunStatus;
import io.pgflowee.client.SignalOutcome;
import io.pgflowee.client.StartOptions;
import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.Signals;
import io.pgflowee.engine.control.StartedRun;
import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.events.RunEventHub;
import io.pgflowee.engine.flows.FlowRegistry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;

import javax.sql.DataSource;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionSynchronizationRegistry;

/**
 * {@link Pgflow} inside the server: {@code @Inject Pgflow pgflow} in any bean of the WAR or the EAR.
 *
 * <p>Transactions. A start calls {@code pgflow.start_flow} on the engine's data source
 * ({@value PgflowDataSource#JNDI_NAME}); inside a JTA transaction (an EJB method, a
 * {@code @Transactional} bean) that connection is enlisted in it, so the run exists exactly when
 * the caller's transaction commits, together with the caller's own writes on the same data source:
 * a transactional outbox with nothing to relay. {@link StartOptions#withOwnTransaction()} starts in a
 * transaction of its own instead (the run stays when the caller rolls back). Without a transaction
 * each call commits by itself.
 *
 * <p>Waiting. {@code await} watches the run on the server's one event listener
 * ({@link RunEventHub}: LISTEN on {@code pgflow_events}) and reads the run when its end is
 * announced; it re-reads once a second after the watch opens (a transition that committed just as
 * the watch was being set up sends no event) and after the listener reconnects, then every 10 s as
 * a safety net. No thread polls in between.
 */
@ApplicationScoped
public class InProcessPgflow implements Pgflow {

    @Inject
    EngineOperations engine;

    @Inject
    FlowRegistry registry;

    @Inject
    Signals signals;

    @Inject
    RunEventHub hub;

    @Inject
    OwnTransaction ownTransaction;

    @Inject
    io.pgflowee.engine.tracing.RunTracing tracing;

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Resource(lookup = "java:comp/TransactionSynchronizationRegistry")
    TransactionSynchronizationRegistry transactions;

    @Resource
    ManagedExecutorService executor;

    private final JsonCodec json = JsonCodec.create();

    public InProcessPgflow() {
    }

    /** Outside a container (tests): no transactions to join, events delivered on {@code executor}. */
    public InProcessPgflow(EngineOperations engine, FlowRegistry registry, Signals signals, RunEventHub hub, DataSource dataSource,
                           ExecutorService executor) {
        this.engine = engine;
        this.registry = registry;
        this.signals = signals;
        this.hub = hub;
        this.dataSource = dataSource;
        this.executor = null;
        this.plainExecutor = executor;
    }

    private ExecutorService plainExecutor;

    /** Traces starts with {@code runTracing} (tests; the container injects it). */
    public InProcessPgflow withTracing(io.pgflowee.engine.tracing.RunTracing runTracing) {
        this.tracing = runTracing;
        return this;
    }

    private io.pgflowee.engine.tracing.RunTracing.Start traceStart(String slug) {
        return tracing == null ? io.pgflowee.engine.tracing.RunTracing.Start.NONE : tracing.start(slug);
    }

    java.util.concurrent.Executor executor() {
        return executor != null ? executor : plainExecutor;
    }

    @Override
    public <I, O, F extends TypedFlow<I, O>> RunHandle<O> start(Class<F> flow, I input, StartOptions options) {
        FlowType type = FlowType.of(flow);
        StartOptions o = options == null ? StartOptions.defaults() : options;
        String inputJson = json.encode(input);
        io.pgflowee.engine.tracing.RunTracing.Start span = traceStart(type.slug());
        StartedRun started;
        try {
            started = call(o, () -> {
                refuseIfDiffers(type.slug());
                RunKeys keys = runKeys(type.slug(), inputJson, o);
                StartedRun run = engine.startFlow(type.slug(), inputJson, o.runId(), o.idempotencyKey(), keys);
                span.started(List.of(run.run().runId())); // in the start's transaction
                return run;
            });
        } catch (RuntimeException e) {
            span.failed(e);
            throw e;
        }
        if (!o.ownTransaction()) {
            startedInThisTransaction(List.of(started.run().runId()));
        }
        return new InProcessRunHandle<>(this, started.run().runId(), type.slug(), type.outputType(), started.created());
    }

    @Override
    public <I, O, F extends TypedFlow<I, O>> List<RunHandle<O>> startAll(Class<F> flow, List<? extends I> inputs, StartOptions options) {
        FlowType type = FlowType.of(flow);
        StartOptions o = options == null ? StartOptions.defaults() : options;
        if (o.runId() != null) {
            throw new IllegalArgumentException("startAll starts many runs: it takes no run id");
        }
        List<String> inputsJson = inputs.stream().map(json::encode).toList();
        io.pgflowee.engine.tracing.RunTracing.Start span = traceStart(type.slug());
        List<EngineOperations.StartedItem> started;
        try {
            started = call(o, () -> {
            refuseIfDiffers(type.slug());
            List<String> keys = o.idempotencyKey() == null ? null
                    : java.util.stream.IntStream.rangeClosed(1, inputsJson.size()).mapToObj(i -> o.idempotencyKey() + "#" + i).toList();
            List<RunKeys> runKeys = new ArrayList<>(inputsJson.size());
            for (String in : inputsJson) {
                runKeys.add(runKeys(type.slug(), in, o));
            }
            List<EngineOperations.StartedItem> items = engine.startFlows(type.slug(), inputsJson, keys, runKeys);
            span.started(items.stream().map(EngineOperations.StartedItem::runId).toList());
            return items;
        });
        } catch (RuntimeException e) {
            span.failed(e);
            throw e;
        }
        if (!o.ownTransaction()) {
            startedInThisTransaction(started.stream().map(EngineOperations.StartedItem::runId).toList());
        }
        return started.stream().<RunHandle<O>>map(i -> new InProcessRunHandle<>(this, i.runId(), type.slug(), type.outputType(),
                i.created())).toList();
    }

    @Override
    public <O> RunHandle<O> find(UUID runId, Class<? extends TypedFlow<?, O>> flow) {
        FlowType type = FlowType.of(flow);
        type.requireRunOf(runId, status(runId).flowSlug(), flow);
        return new InProcessRunHandle<>(this, runId, type.slug(), type.outputType(), false);
    }

    @Override
    public SignalOutcome signal(UUID runId, String stepSlug, Object payload) {
        Signals.Result result = call(StartOptions.defaults(), () -> signals.send(runId, stepSlug, json.encode(payload)));
        return SignalOutcome.of(result.sqlValue());
    }

    private void refuseIfDiffers(String slug) {
        Optional<String> refusal = registry.refusalToStart(slug);
        if (refusal.isPresent()) {
            throw new RefusedException(RefusedException.Kind.CONFLICT, "Flow differs from the database", refusal.get());
        }
    }

    private RunKeys runKeys(String slug, String inputJson, StartOptions o) {
        try {
            return registry.runKeys(slug, inputJson, o.concurrencyKey(), o.priority());
        } catch (IllegalArgumentException e) {
            throw new RefusedException(RefusedException.Kind.INVALID, "Input rejected", e.getMessage());
        }
    }

    /** The caller's transaction, when one is active (a run started in it cannot be awaited inside it). */
    Object transactionKey() {
        if (transactions == null) {
            return null;
        }
        return transactions.getTransactionStatus() == Status.STATUS_ACTIVE ? transactions.getTransactionKey() : null;
    }

    /** Work against the engine, in a transaction of its own when asked; refusals and database failures as client exceptions. */
    <T> T call(StartOptions o, Callable<T> work) {
        try {
            return o.ownTransaction() && ownTransaction != null ? ownTransaction.call(work) : work.call();
        } catch (EngineRefusal e) {
            throw refused(e);
        } catch (PgflowException e) {
            throw e;
        } catch (SQLException e) {
            throw new PgflowException("Database unavailable", "the engine's database did not answer: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new PgflowException("Call failed", String.valueOf(e.getMessage()), e);
        }
    }

    static RefusedException refused(EngineRefusal e) {
        RefusedException.Kind kind = RefusedException.Kind.valueOf(e.kind().name());
        String title = switch (kind) {
            case NOT_FOUND -> "Not found";
            case CONFLICT -> "Conflict";
            case INVALID -> "Refused";
        };
        return new RefusedException(kind, title, e.getMessage() + (e.hint() == null ? "" : " (" + e.hint() + ")"));
    }

    JsonCodec json() {
        return json;
    }

    EngineOperations engine() {
        return engine;
    }

    RunEventHub hub() {
        return hub;
    }

    /** The run as it stands, with its first failure: one statement. */
    RunStatus status(UUID runId) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(STATUS_SQL)) {
            ps.setObject(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new RefusedException(RefusedException.Kind.NOT_FOUND, "Unknown run", "run " + runId + " does not exist");
                }
                RunState state = RunState.of(rs.getString(3));
                RunFailure failure = rs.getString(9) == null ? null : new RunFailure(rs.getString(9), rs.getInt(10), rs.getInt(11),
                        rs.getString(12), instant(rs.getObject(13, OffsetDateTime.class)));
                return new RunStatus(runId, rs.getString(2), state, rs.getInt(4), instant(rs.getObject(5, OffsetDateTime.class)),
                        instant(rs.getObject(6, OffsetDateTime.class)), failure, rs.getString(7), rs.getString(8));
            }
        } catch (SQLException e) {
            throw new PgflowException("Database unavailable", "run " + runId + " could not be read: " + e.getMessage(), e);
        }
    }

    /** The key under which the caller's transaction keeps the ids of the runs started in it. */
    private static final String STARTED_HERE = InProcessPgflow.class.getName() + ".started";

    /** Notes that the caller's open transaction (if any) started these runs. */
    @SuppressWarnings("unchecked")
    void startedInThisTransaction(java.util.Collection<UUID> runIds) {
        if (transactionKey() == null) {
            return;
        }
        java.util.Set<UUID> started = (java.util.Set<UUID>) transactions.getResource(STARTED_HERE);
        if (started == null) {
            started = new java.util.HashSet<>();
            transactions.putResource(STARTED_HERE, started);
        }
        started.addAll(runIds);
    }

    /** Whether the caller's open transaction started the run through this client (nobody else sees it before the commit). */
    boolean startedInThisTransaction(UUID runId) {
        if (transactionKey() == null) {
            return false;
        }
        Object started = transactions.getResource(STARTED_HERE);
        return started instanceof java.util.Set<?> set && set.contains(runId);
    }

    private static java.time.Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    /** A failed run's first failed step (by time) and that step's first failed task, if a task failed. */
    static final String STATUS_SQL = "SELECT r.run_id, r.flow_slug, r.status, r.remaining_steps, r.started_at,"
            + " CASE r.status WHEN 'completed' THEN r.completed_at WHEN 'failed' THEN r.failed_at WHEN 'cancelled' THEN r.cancelled_at END,"
            + " r.cancel_reason, r.output::text, f.step_slug, f.task_index, f.attempts, f.error_message, f.failed_at"
            + " FROM pgflow.runs r LEFT JOIN LATERAL (SELECT ss.step_slug, coalesce(t.task_index, -1) AS task_index,"
            + " coalesce(t.attempts_count, 0) AS attempts, coalesce(t.error_message, ss.error_message) AS error_message, ss.failed_at"
            + " FROM pgflow.step_states ss LEFT JOIN LATERAL (SELECT t.task_index, t.attempts_count, t.error_message"
            + " FROM pgflow.step_tasks t WHERE t.run_id = ss.run_id AND t.step_slug = ss.step_slug AND t.status = 'failed'"
            + " ORDER BY t.task_index LIMIT 1) t ON true"
            + " WHERE ss.run_id = r.run_id AND ss.status = 'failed' ORDER BY ss.failed_at, ss.step_slug LIMIT 1) f ON r.status = 'failed'"
            + " WHERE r.run_id = ?";
}
