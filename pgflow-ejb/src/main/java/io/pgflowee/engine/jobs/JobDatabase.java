package io.pgflowee.engine.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import io.pgflowee.engine.db.PgflowDataSource;
import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;

/**
 * The bookkeeping every batch job shares in the engine's database (skipped items, which server runs
 * an execution and its heartbeat, partitions, once-a-day claims); each job's own SQL is in its
 * package ({@code BackfillDatabase}, {@code BulkDatabase}, {@code PruneDatabase}). The rule for all of
 * them: each call in a transaction of its own, never inside a chunk's transaction, whose
 * job-repository writes (the checkpoint) are a second resource. A chunk's work therefore commits
 * before its checkpoint; a crash in between makes the restarted job read the chunk again, and the
 * idempotency keys and once-per-run records make that a no-op.
 */
@Stateless
public class JobDatabase {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

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

    /** Records a one-time event (a day's scheduled job): true for the first caller of all servers. */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public boolean claimOnce(String key) throws SQLException {
        return update("INSERT INTO pgflow_internal.job_items (instance_key, item_key, outcome) VALUES ('schedule', ?, 'claimed')"
                + " ON CONFLICT DO NOTHING", key) == 1;
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

    /**
     * Keeps how many items a job instance's partition ({@code ""} for an unpartitioned job) will act
     * on, counted when its reader first opened; a count kept already stays (a restart reads on).
     */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public void total(String instanceKey, String partition, long total) throws SQLException {
        update("INSERT INTO pgflow_internal.job_totals (instance_key, partition, total) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                instanceKey, partition, total);
    }

    /**
     * A job instance's progress: items done, counted from the rows its work writes in its own
     * transactions (so it moves while the job runs, not only at checkpoints), and the total its
     * reader counted when it started (null when not counted).
     */
    public record Progress(long done, Long total) {
    }

    /** {@link Progress} of a job instance: {@code job} is its name, {@code flow} a backfill's flow. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public Progress progress(String instanceKey, String job, String flow) throws SQLException {
        String done;
        List<String> params = new ArrayList<>();
        switch (job) {
            case "pgflow-prune" -> {
                done = "SELECT coalesce(sum(items), 0) FROM pgflow_internal.job_partitions WHERE instance_key = ?";
                params.add(instanceKey);
            }
            case "pgflow-backfill" -> { // the runs it started or found (their idempotency keys carry the instance), and its skips
                done = "SELECT (SELECT count(*) FROM pgflow.runs r WHERE r.flow_slug = ? AND r.idempotency_key LIKE ?)"
                        + " + (SELECT count(*) FROM pgflow_internal.job_skips s WHERE s.instance_key = ?)";
                params.add(flow);
                params.add(io.pgflowee.engine.db.LikePatterns.startingWith(io.pgflowee.engine.jobs.backfill.BackfillWriter.keyPrefix(instanceKey)));
                params.add(instanceKey);
            }
            default -> {
                done = "SELECT count(*) FROM pgflow_internal.job_items WHERE instance_key = ?";
                params.add(instanceKey);
            }
        }
        params.add(instanceKey);
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT (" + done + "),"
                + " (SELECT sum(total) FROM pgflow_internal.job_totals WHERE instance_key = ?)")) {
            for (int i = 0; i < params.size(); i++) {
                ps.setString(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long doneCount = rs.getLong(1);
                long total = rs.getLong(2);
                return new Progress(doneCount, rs.wasNull() ? null : total);
            }
        }
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
