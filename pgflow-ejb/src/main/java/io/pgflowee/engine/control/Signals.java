package io.pgflowee.engine.control;

import java.lang.reflect.Type;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.StepType;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.flows.FlowRegistry;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Sends the signal a signal step waits for ({@code pgflow.send_signal}, {@code send_signal_by_key}),
 * for REST and the console alike. The payload is checked first against the step's payload type when
 * the flow is defined in Java on this server ({@code flow.signal("approval", Approval.class)}): a
 * payload its dependents could not read is refused (INVALID) before anything is sent, naming the
 * step, the type and the reason. Flows defined in SQL only take any JSON.
 */
@ApplicationScoped
public class Signals {

    /** What became of a signal: the engine's answer. */
    public enum Result {
        /** The step was waiting and completed with the payload; its dependents start. */
        DELIVERED,
        /** The step does not wait yet: it completes with the payload the moment it would. */
        BUFFERED,
        /** The step already has a signal, is no longer waiting, or the run ended: nothing changed. */
        IGNORED;

        /** The engine's word: {@code delivered}, {@code buffered}, {@code ignored}. */
        public String sqlValue() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Inject
    FlowRegistry registry;

    private final JsonCodec codec = JsonCodec.create();

    public Signals() {
    }

    /** For use outside a container (tests, tools). */
    public Signals(DataSource dataSource, FlowRegistry registry) {
        this.dataSource = dataSource;
        this.registry = registry;
    }

    /** {@code send_signal(run_id, step_slug, payload)}; payload is JSON text ({@code {}} when null). */
    public Result send(UUID runId, String stepSlug, String payloadJson) throws EngineRefusal, SQLException {
        String payload = orEmptyObject(payloadJson);
        try (Connection c = dataSource.getConnection()) {
            Optional<String> flow = flowOf(c, runId);
            if (flow.isPresent()) {
                checkPayload(flow.get(), stepSlug, payload);
            }
            return call(c, "select pgflow.send_signal(?, ?, ?::jsonb)", runId, stepSlug, payload);
        } catch (SQLException e) {
            throw EngineRefusal.refusalOr(e);
        }
    }

    /** {@code send_signal_by_key(flow_slug, idempotency_key, step_slug, payload)}. */
    public Result sendByKey(String flowSlug, String idempotencyKey, String stepSlug, String payloadJson)
            throws EngineRefusal, SQLException {
        String payload = orEmptyObject(payloadJson);
        checkPayload(flowSlug, stepSlug, payload);
        try (Connection c = dataSource.getConnection()) {
            return call(c, "select pgflow.send_signal_by_key(?, ?, ?, ?::jsonb)", flowSlug, idempotencyKey, stepSlug, payload);
        } catch (SQLException e) {
            throw EngineRefusal.refusalOr(e);
        }
    }

    /** One signal of a batch: the run, its signal step, the payload as JSON text ({@code {}} when null). */
    public record Signal(UUID runId, String stepSlug, String payloadJson) {
    }

    /**
     * {@code send_signals(run_ids, step_slugs, payloads)}: every signal in one transaction; the
     * results in the given order. Payloads are checked against the Java types first (a refusal names
     * the item, counted from 1); all or none.
     */
    public java.util.List<Result> sendAll(java.util.List<Signal> signals) throws EngineRefusal, SQLException {
        try (Connection c = dataSource.getConnection()) {
            java.util.Map<UUID, String> flows = new java.util.HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("select run_id, flow_slug from pgflow.runs where run_id = any (?)")) {
                ps.setArray(1, c.createArrayOf("uuid", signals.stream().map(Signal::runId).distinct().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        flows.put(rs.getObject(1, UUID.class), rs.getString(2));
                    }
                }
            }
            String[] payloads = new String[signals.size()];
            for (int i = 0; i < signals.size(); i++) {
                Signal signal = signals.get(i);
                payloads[i] = orEmptyObject(signal.payloadJson());
                String flow = flows.get(signal.runId());
                if (flow != null) {
                    try {
                        checkPayload(flow, signal.stepSlug(), payloads[i]);
                    } catch (EngineRefusal e) {
                        throw EngineRefusal.invalid("item " + (i + 1) + ": " + e.getMessage());
                    }
                }
            }
            Result[] results = new Result[signals.size()];
            try (PreparedStatement ps = c.prepareStatement("select item, result from pgflow.send_signals(?, ?, ?::text[]::jsonb[])")) {
                ps.setArray(1, c.createArrayOf("uuid", signals.stream().map(Signal::runId).toArray()));
                ps.setArray(2, c.createArrayOf("text", signals.stream().map(Signal::stepSlug).toArray()));
                ps.setArray(3, c.createArrayOf("text", payloads));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        results[rs.getInt(1) - 1] = Result.valueOf(rs.getString(2).toUpperCase(java.util.Locale.ROOT));
                    }
                }
            }
            return java.util.List.of(results);
        } catch (SQLException e) {
            throw EngineRefusal.refusalOr(e);
        }
    }

    /** A signal's payload as sent: {@code {}} for none. */
    private static String orEmptyObject(String payloadJson) {
        return payloadJson == null || payloadJson.isBlank() ? "{}" : payloadJson;
    }

    /** The Java payload type of a signal step of a flow defined on this server, if any. */
    public Optional<Type> payloadType(String flowSlug, String stepSlug) {
        return registry.flow(flowSlug).flatMap(f -> signalStep(f, stepSlug)).map(Step::outputType);
    }

    private static Optional<Step<?>> signalStep(Flow<?> flow, String stepSlug) {
        return flow.steps().stream().filter(s -> s.slug().equals(stepSlug) && s.stepType() == StepType.SIGNAL).findFirst();
    }

    private void checkPayload(String flowSlug, String stepSlug, String payload) throws EngineRefusal {
        Optional<Type> type = payloadType(flowSlug, stepSlug);
        if (type.isEmpty()) {
            return; // not a Java flow here, or not a signal step: the engine decides (and names the step)
        }
        String problem;
        try {
            jakarta.json.JsonValue json = JsonCodec.parse(payload);
            problem = PayloadShape.mismatch(json, type.get()).orElse(null); // JSON-B alone reads "maybe" as false
            if (problem == null) {
                codec.decode(json, type.get());
            }
        } catch (RuntimeException e) {
            problem = rootMessage(e);
        }
        if (problem != null) {
            throw EngineRefusal.invalid("Step \"" + stepSlug + "\" of flow \"" + flowSlug + "\" takes a signal payload of type "
                    + type.get().getTypeName() + ", which this payload is not: " + problem);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static Optional<String> flowOf(Connection c, UUID runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select flow_slug from pgflow.runs where run_id = ?")) {
            ps.setObject(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty(); // unknown: send_signal names the run
            }
        }
    }

    private static Result call(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = EngineOperations.prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Result.valueOf(rs.getString(1).toUpperCase(java.util.Locale.ROOT));
        }
    }
}
