package io.pgflowee.engine.control;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;

import javax.sql.DataSource;

import io.pgflowee.engine.db.PgflowDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Every operator action on runs and flows, one method per {@code pgflow.*} SQL function, each one
 * call in one transaction (so a refused action changes nothing). The REST API and the console call
 * these and nothing else; the engine's refusals arrive as {@link EngineRefusal} with its message.
 *
 * <pre>{@code
 * @Inject EngineOperations engine;
 * RunRow run = engine.cancelRun(runId, "customer withdrew");   // status "cancelled"
 * RunRow again = engine.retryRun(runId);                        // status "started", retryCount 1
 * }</pre>
 */
@ApplicationScoped
public class EngineOperations {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    public EngineOperations() {
    }

    /** For use outside a container (tests, tools). */
    public EngineOperations(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * {@code start_flow(flow_slug, input, run_id, idempotency_key)}, answered with the run and its
     * step states. With a key used before for this flow and the same input, nothing is started and
     * {@link StartedRun#created()} is false.
     */
    public StartedRun startFlow(String flowSlug, String inputJson, UUID runId, String idempotencyKey)
            throws EngineRefusal, SQLException {
        try (Connection c = dataSource.getConnection();
             // a new run started in this transaction (started_at = now()); a repeat was started by an earlier one
             PreparedStatement ps = c.prepareStatement("select s::text, s->'run'->>'run_id',"
                     + " (s->'run'->>'started_at')::timestamptz = now() from pgflow.start_flow_with_states(?, ?::jsonb, ?, ?) s")) {
            ps.setString(1, flowSlug);
            ps.setString(2, inputJson);
            ps.setObject(3, runId);
            ps.setString(4, idempotencyKey);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new StartedRun(rs.getString(1), rs.getString(2), rs.getBoolean(3));
            }
        } catch (SQLException e) {
            throw refusalOr(e);
        }
    }

    /** {@code cancel_run(run_id, reason)}: the cancelled run (unchanged when it was cancelled already). */
    public RunRow cancelRun(UUID runId, String reason) throws EngineRefusal, SQLException {
        return run("select " + RunRow.COLUMNS + " from pgflow.cancel_run(?, ?) r", runId, reason);
    }

    /** {@code retry_run(run_id)}: the run resumed in place (started again, or already finished). */
    public RunRow retryRun(UUID runId) throws EngineRefusal, SQLException {
        return run("select " + RunRow.COLUMNS + " from pgflow.retry_run(?) r", runId);
    }

    /** {@code restart_run(run_id)}: the new run, linked to {@code runId} by {@code restartOfRunId}. */
    public RunRow restartRun(UUID runId) throws EngineRefusal, SQLException {
        return run("select " + RunRow.COLUMNS + " from pgflow.restart_run(?) r", runId);
    }

    /** {@code pause_flow(flow_slug)}: nothing of the flow is claimed until {@link #resumeFlow(String)}. */
    public FlowControlRow pauseFlow(String flowSlug) throws EngineRefusal, SQLException {
        return flow("select flow_slug, paused_at, max_running from pgflow.pause_flow(?)", flowSlug);
    }

    /** {@code resume_flow(flow_slug)}. */
    public FlowControlRow resumeFlow(String flowSlug) throws EngineRefusal, SQLException {
        return flow("select flow_slug, paused_at, max_running from pgflow.resume_flow(?)", flowSlug);
    }

    /** {@code set_flow_concurrency(flow_slug, max_running)}; null removes the limit. */
    public FlowControlRow setFlowConcurrency(String flowSlug, Integer maxRunning) throws EngineRefusal, SQLException {
        return flow("select flow_slug, paused_at, max_running from pgflow.set_flow_concurrency(?, ?::int)", flowSlug, maxRunning);
    }

    private RunRow run(String sql, Object... params) throws EngineRefusal, SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return RunRow.read(rs);
        } catch (SQLException e) {
            throw refusalOr(e);
        }
    }

    private FlowControlRow flow(String sql, Object... params) throws EngineRefusal, SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new FlowControlRow(rs.getString(1), rs.getObject(2, OffsetDateTime.class), (Integer) rs.getObject(3));
        } catch (SQLException e) {
            throw refusalOr(e);
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }

    /** Throws the refusal the error stands for; returns the error itself when it is not one. */
    private static SQLException refusalOr(SQLException e) throws EngineRefusal {
        var refusal = EngineRefusal.of(e);
        if (refusal.isPresent()) {
            throw refusal.get();
        }
        return e;
    }
}
