package io.pgflowee.engine.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.db.PgflowDataSource;
import jakarta.annotation.Resource;
import jakarta.ejb.SessionContext;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

/**
 * Everything the batch jobs do in the engine's database, each in a transaction of its own: never
 * inside a chunk's transaction, whose job-repository writes (the checkpoint) are a second resource.
 * A chunk's runs therefore commit before its checkpoint; a crash in between makes the restarted job
 * read the chunk again, and the idempotency keys make its starts no-ops.
 */
@Stateless
public class JobDatabase {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Resource
    SessionContext context;

    @Inject
    EngineOperations engine;

    /** What one chunk's starts did. */
    public record Started(int created, int existing) {
    }

    /**
     * Starts a run of {@code flow} per item, keyed {@code <keyPrefix><item key>}, with one
     * set-based {@code start_flows} call in one transaction: an engine refusal rolls the chunk back
     * and is thrown.
     */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public Started startRuns(String flow, List<BackfillItem> items, String keyPrefix) throws EngineRefusal, SQLException {
        int created = 0;
        int existing = 0;
        List<String> inputs = new ArrayList<>(items.size());
        List<String> keys = new ArrayList<>(items.size());
        for (BackfillItem item : items) {
            inputs.add(item.json());
            keys.add(keyPrefix + item.key());
        }
        try {
            for (EngineOperations.StartedItem run : engine.startFlows(flow, inputs, keys)) {
                if (run.created()) {
                    created++;
                } else {
                    existing++;
                }
            }
        } catch (EngineRefusal | SQLException | RuntimeException e) {
            context.setRollbackOnly();
            throw e;
        }
        return new Started(created, existing);
    }

    /** Records a skipped item (once per item, however often its chunk is read again). */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public void recordSkip(String instanceKey, String itemKey, String reason) throws SQLException {
        update("INSERT INTO pgflow_internal.job_skips (instance_key, item_key, reason) VALUES (?, ?, ?)"
                + " ON CONFLICT (instance_key, item_key) DO UPDATE SET reason = excluded.reason",
                instanceKey, itemKey, reason.length() > 2000 ? reason.substring(0, 2000) + "…" : reason);
    }

    /** The skipped items of a job instance, by key. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<String[]> skips(String instanceKey, int max) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT item_key, reason FROM pgflow_internal.job_skips WHERE instance_key = ?"
                        + " ORDER BY length(item_key), item_key LIMIT ?")) {
            ps.setString(1, instanceKey);
            ps.setInt(2, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        return out;
    }

    /**
     * The next {@code limit} rows of an operator's query after {@code afterKey} (null: from the
     * start), by key: the query must return the columns {@code key} and {@code input}.
     */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<String[]> queryPage(String sql, String afterKey, int limit) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            // the operator's query runs in a read-only transaction: it can read anything the engine's role can, and write nothing
            c.setAutoCommit(false);
            try (var readOnly = c.createStatement()) {
                readOnly.execute("SET TRANSACTION READ ONLY");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT q.key::text, q.input::text FROM (" + sql + ") q"
                    + " WHERE ?::text IS NULL OR q.key::text > ? ORDER BY q.key::text LIMIT ?")) {
                ps.setString(1, afterKey);
                ps.setString(2, afterKey);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
        return out;
    }

    /** What {@link #actOnce} did with a run. */
    public enum Outcome {
        ACTED, REFUSED, DONE_BEFORE
    }

    /** What a bulk job does to each run. */
    public enum Action {
        RETRY("retried"), RESTART("restarted"), CANCEL("cancelled");

        final String outcome;

        Action(String outcome) {
            this.outcome = outcome;
        }

        /** The action of a job's {@code mode} parameter (retry when absent). */
        static Action of(String mode) {
            return mode == null ? RETRY : valueOf(mode.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /**
     * Retries, restarts or cancels (with {@code reason}) one run for a job instance, once: the run's
     * record in {@code pgflow_internal.job_items} commits with the action, so a chunk read again finds
     * it done. A refusal (the run was retried or ended meanwhile) rolls this transaction back and is counted.
     */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public Outcome actOnce(String instanceKey, java.util.UUID runId, Action action, String reason) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO pgflow_internal.job_items (instance_key, item_key, outcome) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, instanceKey);
            ps.setString(2, runId.toString());
            ps.setString(3, action.outcome);
            if (ps.executeUpdate() == 0) {
                return Outcome.DONE_BEFORE;
            }
        }
        try {
            switch (action) {
                case RESTART -> engine.restartRun(runId);
                case CANCEL -> engine.cancelRun(runId, reason); // a run that ended meanwhile is refused
                default -> engine.retryRun(runId);
            }
            return Outcome.ACTED;
        } catch (EngineRefusal e) {
            context.setRollbackOnly(); // the refusal aborted the transaction: nothing of this run is kept
            return Outcome.REFUSED;
        }
    }

    /** The next runs matching a bulk job's selection after {@code after}, by (started_at, run_id). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<RunRef> matchingRuns(RunSelection s, RunRef after, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT r.run_id, r.started_at"
                + " FROM pgflow.runs r WHERE r.status = ANY (?)"
                + " AND (CAST(? AS text) IS NULL OR r.flow_slug = ?)"
                + " AND (CAST(? AS timestamptz) IS NULL OR r.started_at >= ?)"
                + " AND (CAST(? AS timestamptz) IS NULL OR r.started_at < ?)"
                + " AND (CAST(? AS text) IS NULL OR EXISTS (SELECT 1 FROM pgflow.step_states ss WHERE ss.run_id = r.run_id"
                + "      AND strpos(lower(ss.error_message), lower(?)) > 0))"
                + " AND (CAST(? AS timestamptz) IS NULL OR (r.started_at, r.run_id) > (?, CAST(? AS uuid)))"
                + " ORDER BY r.started_at, r.run_id LIMIT ?")) {
            ps.setArray(1, c.createArrayOf("text", s.statuses().toArray()));
            ps.setString(2, s.flow());
            ps.setString(3, s.flow());
            ps.setObject(4, s.startedAfter());
            ps.setObject(5, s.startedAfter());
            ps.setObject(6, s.startedBefore());
            ps.setObject(7, s.startedBefore());
            ps.setString(8, s.errorContains());
            ps.setString(9, s.errorContains());
            ps.setObject(10, after == null ? null : after.startedAt());
            ps.setObject(11, after == null ? null : after.startedAt());
            ps.setObject(12, after == null ? null : after.runId());
            ps.setInt(13, limit);
            return refs(ps);
        }
    }

    /** A flow's runs that finished before {@code cutoff}, after {@code after}, by (finish time, run_id). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<RunRef> prunableRuns(String flow, java.time.OffsetDateTime cutoff, RunRef after, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT r.run_id,"
                + " coalesce(r.completed_at, r.failed_at, r.cancelled_at) AS finished FROM pgflow.runs r"
                + " WHERE r.flow_slug = ? AND r.status IN ('completed', 'failed', 'cancelled')"
                + " AND coalesce(r.completed_at, r.failed_at, r.cancelled_at) < ?"
                + " AND (CAST(? AS timestamptz) IS NULL OR (coalesce(r.completed_at, r.failed_at, r.cancelled_at), r.run_id)"
                + "      > (?, CAST(? AS uuid)))"
                + " ORDER BY 2, 1 LIMIT ?")) {
            ps.setString(1, flow);
            ps.setObject(2, cutoff);
            ps.setObject(3, after == null ? null : after.startedAt());
            ps.setObject(4, after == null ? null : after.startedAt());
            ps.setObject(5, after == null ? null : after.runId());
            ps.setInt(6, limit);
            return refs(ps);
        }
    }

    private static List<RunRef> refs(PreparedStatement ps) throws SQLException {
        List<RunRef> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new RunRef(rs.getObject(1, java.util.UUID.class), rs.getObject(2, java.time.OffsetDateTime.class)));
            }
        }
        return out;
    }

    /**
     * Writes the runs with their step states and tasks to {@code file} (gzip-compressed JSON lines,
     * one run per line: {@code {"run": {...}, "steps": [...], "tasks": [...]}}; written to a
     * temporary file and moved into place), then deletes them, in this one transaction. The rows are
     * locked first, so the file holds exactly what is deleted. Returns how many runs.
     */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public int exportAndDelete(List<java.util.UUID> runs, java.nio.file.Path file, String instanceKey, String partition)
            throws SQLException, java.io.IOException {
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Path partial = file.resolveSibling(file.getFileName() + ".partial");
        int count = 0;
        try (Connection c = dataSource.getConnection()) {
            java.sql.Array ids = c.createArrayOf("uuid", runs.toArray());
            try (PreparedStatement lock = c.prepareStatement("SELECT 1 FROM pgflow.runs r WHERE r.run_id = ANY (?) FOR UPDATE")) {
                lock.setArray(1, ids);
                lock.executeQuery().close();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT jsonb_build_object('run', to_jsonb(r),"
                    + " 'steps', coalesce((SELECT jsonb_agg(to_jsonb(ss) ORDER BY ss.step_slug) FROM pgflow.step_states ss"
                    + "   WHERE ss.run_id = r.run_id), '[]'::jsonb),"
                    + " 'tasks', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.step_slug, t.task_index) FROM pgflow.step_tasks t"
                    + "   WHERE t.run_id = r.run_id), '[]'::jsonb))::text"
                    + " FROM pgflow.runs r WHERE r.run_id = ANY (?) ORDER BY r.run_id");
                 var out = new java.io.BufferedWriter(new java.io.OutputStreamWriter(new java.util.zip.GZIPOutputStream(
                         java.nio.file.Files.newOutputStream(partial)), java.nio.charset.StandardCharsets.UTF_8))) {
                ps.setArray(1, ids);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.write(rs.getString(1));
                        out.write('\n');
                        count++;
                    }
                }
            }
            java.nio.file.Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            for (String table : List.of("pgflow.step_tasks", "pgflow.step_states", "pgflow.runs")) {
                try (PreparedStatement del = c.prepareStatement("DELETE FROM " + table + " x WHERE x.run_id = ANY (?)")) {
                    del.setArray(1, ids);
                    del.executeUpdate();
                }
            }
            try (PreparedStatement progress = c.prepareStatement("INSERT INTO pgflow_internal.job_partitions (instance_key, partition, items)"
                    + " VALUES (?, ?, ?) ON CONFLICT (instance_key, partition) DO UPDATE"
                    + " SET items = job_partitions.items + excluded.items, updated_at = now()")) {
                progress.setString(1, instanceKey);
                progress.setString(2, partition);
                progress.setLong(3, count);
                progress.executeUpdate();
            }
        }
        return count;
    }

    /** Records a one-time event (a day's scheduled job): true for the first caller of all servers. */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public boolean claimOnce(String key) throws SQLException {
        return update("INSERT INTO pgflow_internal.job_items (instance_key, item_key, outcome) VALUES ('schedule', ?, 'claimed')"
                + " ON CONFLICT DO NOTHING", key) == 1;
    }

    /**
     * Whether the flow has a root map step (its input must be an array). Read outside any chunk's
     * transaction: the engine's data source must not join the job repository's.
     */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public boolean hasRootMap(String flow) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM pgflow.steps s WHERE s.flow_slug = ? AND s.step_type = 'map' AND s.deps_count = 0)")) {
            ps.setString(1, flow);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Every flow's slug, in order (for the prune job's partitions). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<String> flowSlugs() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT f.flow_slug FROM pgflow.flows f ORDER BY f.flow_slug"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Records that this server runs the execution (again, after a restart on it). */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public void recordExecution(String instanceKey, long executionId, java.util.UUID serverId, String server) throws SQLException {
        update("INSERT INTO pgflow_internal.job_executions (instance_key, execution_id, server_id, server) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (instance_key, execution_id) DO UPDATE SET server_id = excluded.server_id, server = excluded.server,"
                + " heartbeat_at = now(), ended_at = NULL", instanceKey, executionId, serverId, server);
    }

    /** Records that the execution ended on its server. */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public void endExecution(String instanceKey, long executionId) throws SQLException {
        update("UPDATE pgflow_internal.job_executions SET ended_at = now() WHERE instance_key = ? AND execution_id = ?",
                instanceKey, executionId);
    }

    /** The heartbeat of every execution this server runs; how many there are. */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public int heartbeat(java.util.UUID serverId) throws SQLException {
        return update("UPDATE pgflow_internal.job_executions SET heartbeat_at = now() WHERE server_id = ? AND ended_at IS NULL", serverId);
    }

    /** Who runs (or ran) the execution, if a server recorded it. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public java.util.Optional<ExecutionOwner> owner(String instanceKey, long executionId) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT server, server_id, extract(epoch FROM clock_timestamp() - heartbeat_at)::float8, ended_at IS NOT NULL"
                        + " FROM pgflow_internal.job_executions WHERE instance_key = ? AND execution_id = ?")) {
            ps.setString(1, instanceKey);
            ps.setLong(2, executionId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.Optional.of(new ExecutionOwner(rs.getString(1), rs.getObject(2, java.util.UUID.class), rs.getDouble(3),
                        rs.getBoolean(4))) : java.util.Optional.empty();
            }
        }
    }

    /** A partition of a job instance: items done, whether it read everything, seconds since its last progress. */
    public record Partition(String partition, long items, boolean done, double secondsSinceUpdate) {
    }

    /** Records that a partition started (items unchanged) or read everything ({@code done}). */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public void partition(String instanceKey, String partition, boolean done) throws SQLException {
        update("INSERT INTO pgflow_internal.job_partitions (instance_key, partition, done) VALUES (?, ?, ?)"
                + " ON CONFLICT (instance_key, partition) DO UPDATE SET done = excluded.done, updated_at = now()", instanceKey, partition, done);
    }

    /** The partitions of a job instance, by name. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<Partition> partitions(String instanceKey) throws SQLException {
        List<Partition> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT partition, items, done, extract(epoch FROM clock_timestamp() - updated_at)::float8"
                        + " FROM pgflow_internal.job_partitions WHERE instance_key = ? ORDER BY partition")) {
            ps.setString(1, instanceKey);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Partition(rs.getString(1), rs.getLong(2), rs.getBoolean(3), rs.getDouble(4)));
                }
            }
        }
        return out;
    }

    /** One statement on a connection of its own (in the caller's transaction attribute); the rows it changed. */
    private int update(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
        }
    }
}
