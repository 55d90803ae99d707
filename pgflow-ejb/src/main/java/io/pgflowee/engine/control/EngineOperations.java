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
     * {@code start_flow(flow_slug, input, run_id, idempotency_key)}: the run. With a key used before
     * for this flow and the same input, nothing is started and {@link StartedRun#created()} is false
     * (a run started by this call has {@code started_at = now()}, the time of this transaction).
     */
    public StartedRun startFlow(String flowSlug, String inputJson, UUID runId, String idempotencyKey)
            throws EngineRefusal, SQLException {
        return startFlow(flowSlug, inputJson, runId, idempotencyKey, io.pgflowee.api.flow.RunKeys.NONE);
    }

    /** {@link #startFlow(String, String, UUID, String)} with the run's concurrency key and priority. */
    public StartedRun startFlow(String flowSlug, String inputJson, UUID runId, String idempotencyKey, io.pgflowee.api.flow.RunKeys keys)
            throws EngineRefusal, SQLException {
        return one("select " + RunRow.COLUMNS + ", r.started_at = now() from pgflow.start_flow(?, ?::jsonb, ?, ?, ?, ?) r",
                rs -> new StartedRun(RunRow.read(rs), rs.getBoolean(RunRow.COLUMN_COUNT + 1)), flowSlug, inputJson, runId, idempotencyKey,
                keys.concurrencyKey(), keys.priority());
    }

    /** One item of {@link #startFlows}: its run, and whether this call created it. */
    public record StartedItem(int item, UUID runId, boolean created) {
    }

    /**
     * {@code start_flows(flow_slug, inputs, idempotency_keys)}: a run per input in one set-based call
     * (each as {@link #startFlow} would start it, keys included), in input order. A refused item
     * refuses the whole call, naming the item (counted from 1). {@code keys} is null or one key
     * (or null) per input.
     */
    public java.util.List<StartedItem> startFlows(String flowSlug, java.util.List<String> inputsJson, java.util.List<String> keys)
            throws EngineRefusal, SQLException {
        return startFlows(flowSlug, inputsJson, keys, null);
    }

    /**
     * {@link #startFlows(String, java.util.List, java.util.List)} with each run's concurrency key and
     * priority ({@code runKeys} null, or one element per input).
     */
    public java.util.List<StartedItem> startFlows(String flowSlug, java.util.List<String> inputsJson, java.util.List<String> keys,
                                                  java.util.List<io.pgflowee.api.flow.RunKeys> runKeys) throws EngineRefusal, SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select item, run_id, created from pgflow.start_flows(?, ?::text[]::jsonb[], ?::text[], ?::text[], ?::int[])")) {
            ps.setString(1, flowSlug);
            ps.setArray(2, c.createArrayOf("text", inputsJson.toArray()));
            ps.setArray(3, keys == null ? null : c.createArrayOf("text", keys.toArray()));
            ps.setArray(4, runKeys == null ? null : c.createArrayOf("text", runKeys.stream().map(k -> k.concurrencyKey()).toArray()));
            ps.setArray(5, runKeys == null ? null : c.createArrayOf("int4", runKeys.stream().map(k -> k.priority()).toArray()));
            java.util.List<StartedItem> out = new java.util.ArrayList<>(inputsJson.size());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StartedItem(rs.getInt(1), rs.getObject(2, UUID.class), rs.getBoolean(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw EngineRefusal.refusalOr(e);
        }
    }

    /** {@code set_run_priority(run_id, priority)}: the run (and its running children) with the new priority. */
    public RunRow setRunPriority(UUID runId, int priority) throws EngineRefusal, SQLException {
        return one("select " + RunRow.COLUMNS + " from pgflow.set_run_priority(?, ?) r", RunRow::read, runId, priority);
    }

    /** {@code cancel_run(run_id, reason)}: the cancelled run (unchanged when it was cancelled already). */
    public RunRow cancelRun(UUID runId, String reason) throws EngineRefusal, SQLException {
        return one("select " + RunRow.COLUMNS + " from pgflow.cancel_run(?, ?) r", RunRow::read, runId, reason);
    }

    /** {@code retry_run(run_id)}: the run resumed in place (started again, or already finished). */
    public RunRow retryRun(UUID runId) throws EngineRefusal, SQLException {
        return one("select " + RunRow.COLUMNS + " from pgflow.retry_run(?) r", RunRow::read, runId);
    }

    /**
     * {@link #retryRun(UUID)} on behalf of {@code actor} (a signed-in user's name): the run page's
     * attempt history says who retried it ({@code pgflow_internal.run_retries}; the setting
     * {@code pgflow.actor} of the retrying transaction). A null or blank actor: the database role.
     */
    public RunRow retryRun(UUID runId, String actor) throws EngineRefusal, SQLException {
        if (actor == null || actor.isBlank()) {
            return retryRun(runId);
        }
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement set = prepare(c, "select set_config('pgflow.actor', ?, true)", actor);
                 PreparedStatement ps = prepare(c, "select " + RunRow.COLUMNS + " from pgflow.retry_run(?) r", runId)) {
                set.execute();
                RunRow row;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    row = RunRow.read(rs);
                }
                c.commit();
                return row;
            } catch (SQLException e) {
                c.rollback();
                throw EngineRefusal.refusalOr(e);
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }

    /** {@code restart_run(run_id)}: the new run, linked to {@code runId} by {@code restartOfRunId}. */
    public RunRow restartRun(UUID runId) throws EngineRefusal, SQLException {
        return one("select " + RunRow.COLUMNS + " from pgflow.restart_run(?) r", RunRow::read, runId);
    }

    /** {@code pause_flow(flow_slug)}: nothing of the flow is claimed until {@link #resumeFlow(String)}. */
    public FlowControlRow pauseFlow(String flowSlug) throws EngineRefusal, SQLException {
        return one("select " + FlowControlRow.COLUMNS + " from pgflow.pause_flow(?)", EngineOperations::flowRow, flowSlug);
    }

    /** {@code resume_flow(flow_slug)}. */
    public FlowControlRow resumeFlow(String flowSlug) throws EngineRefusal, SQLException {
        return one("select " + FlowControlRow.COLUMNS + " from pgflow.resume_flow(?)", EngineOperations::flowRow, flowSlug);
    }

    /** {@code set_flow_concurrency(flow_slug, max_running)}; null removes the limit. */
    public FlowControlRow setFlowConcurrency(String flowSlug, Integer maxRunning) throws EngineRefusal, SQLException {
        return one("select " + FlowControlRow.COLUMNS + " from pgflow.set_flow_concurrency(?, ?::int)", EngineOperations::flowRow,
                flowSlug, maxRunning);
    }

    /** {@code set_key_concurrency(flow_slug, max_running_per_key)}; null removes the limit. */
    public FlowControlRow setKeyConcurrency(String flowSlug, Integer maxRunningPerKey) throws EngineRefusal, SQLException {
        return one("select " + FlowControlRow.COLUMNS + " from pgflow.set_key_concurrency(?, ?::int)", EngineOperations::flowRow,
                flowSlug, maxRunningPerKey);
    }

    /** {@code set_rate_limit(flow_slug, per_second, burst, per_key)}; a null rate removes the limit. */
    public FlowControlRow setRateLimit(String flowSlug, java.math.BigDecimal perSecond, Integer burst, boolean perKey)
            throws EngineRefusal, SQLException {
        return one("select " + FlowControlRow.COLUMNS + " from pgflow.set_rate_limit(?, ?::numeric, ?::int, ?)", EngineOperations::flowRow,
                flowSlug, perSecond, burst, perKey);
    }

    /** What a schedule operation did: the schedule's name, and whether the call created it (create only). */
    public record ScheduleChange(String name, boolean created) {
    }

    /**
     * {@code create_schedule(name, flow, cron, input, time_zone, catch_up)}; a schedule of that name
     * with the same definition is returned ({@code created} false), with another refused (CONFLICT).
     * Null {@code timeZone} or {@code catchUp} take the defaults (UTC, latest).
     */
    public ScheduleChange createSchedule(String name, String flowSlug, String cron, String inputJson, String timeZone, String catchUp)
            throws EngineRefusal, SQLException {
        return one("select (s).schedule_name, (s).created_at = now() from (select pgflow.create_schedule(?, ?, ?, coalesce(?::jsonb, '{}'),"
                        + " coalesce(?, 'UTC'), coalesce(?, 'latest')) s) x",
                rs -> new ScheduleChange(rs.getString(1), rs.getBoolean(2)), name, flowSlug, cron, inputJson, timeZone, catchUp);
    }

    /** {@code update_schedule(name, cron, input, time_zone, catch_up)}: a null keeps that value. */
    public ScheduleChange updateSchedule(String name, String cron, String inputJson, String timeZone, String catchUp)
            throws EngineRefusal, SQLException {
        return one("select (pgflow.update_schedule(?, ?, ?::jsonb, ?, ?)).schedule_name", rs -> new ScheduleChange(rs.getString(1), false),
                name, cron, inputJson, timeZone, catchUp);
    }

    /** {@code pause_schedule(name)} (true) or {@code resume_schedule(name)} (false). */
    public ScheduleChange pauseSchedule(String name, boolean pause) throws EngineRefusal, SQLException {
        return one("select (pgflow." + (pause ? "pause" : "resume") + "_schedule(?)).schedule_name",
                rs -> new ScheduleChange(rs.getString(1), false), name);
    }

    /** {@code delete_schedule(name)}: its runs stay. */
    public ScheduleChange deleteSchedule(String name) throws EngineRefusal, SQLException {
        return one("select (pgflow.delete_schedule(?)).schedule_name", rs -> new ScheduleChange(rs.getString(1), false), name);
    }

    /** {@code trigger_schedule(name)}: the run it started now (or started within this second). */
    public RunRow triggerSchedule(String name) throws EngineRefusal, SQLException {
        return one("select " + RunRow.COLUMNS + " from pgflow.trigger_schedule(?) r", RunRow::read, name);
    }

    /** {@code backfill_schedule(name, from, to)}: how many runs it started (firings started before are not counted). */
    public int backfillSchedule(String name, OffsetDateTime from, OffsetDateTime to) throws EngineRefusal, SQLException {
        return one("select pgflow.backfill_schedule(?, ?, ?)", rs -> rs.getInt(1), name, from, to);
    }

    /** Reads one row of a result. */
    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Runs the one-row query of a pgflow function; the engine's refusals become {@link EngineRefusal}. */
    private <T> T one(String sql, RowReader<T> reader, Object... params) throws EngineRefusal, SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return reader.read(rs);
        } catch (SQLException e) {
            throw EngineRefusal.refusalOr(e);
        }
    }

    private static FlowControlRow flowRow(ResultSet rs) throws SQLException {
        return new FlowControlRow(rs.getString(1), rs.getObject(2, OffsetDateTime.class), (Integer) rs.getObject(3),
                (Integer) rs.getObject(4), rs.getBigDecimal(5), (Integer) rs.getObject(6), rs.getBoolean(7));
    }

    /** The statement with {@code params} bound in order ({@code setObject}). */
    static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }
}
