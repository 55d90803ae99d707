package io.pgflowee.engine.jobs.prune;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.jobs.RunRef;
import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;

/**
 * The prune job's SQL: a flow's runs finished before the cutoff, page by page, and a chunk exported
 * and deleted in one transaction (the export file is written before the commit). Each call in a
 * transaction of its own (see {@link io.pgflowee.engine.jobs.JobDatabase}).
 */
@Stateless
public class PruneDatabase {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    /** How many runs of {@code flow} finished before {@code cutoff} (a prune partition's total). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public long countPrunable(String flow, java.time.OffsetDateTime cutoff) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pgflow.runs r"
                + " WHERE r.flow_slug = ? AND r.status IN ('completed', 'failed', 'cancelled')"
                + " AND coalesce(r.completed_at, r.failed_at, r.cancelled_at) < ?")) {
            ps.setString(1, flow);
            ps.setObject(2, cutoff);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
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
            return RunRef.all(ps);
        }
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
            for (String table : List.of("pgflow.step_tasks", "pgflow.step_states", "pgflow_internal.run_keys", "pgflow.runs")) {
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

    /**
     * Drops the run partitions whose time range ended and that hold no run any more (the prune
     * step deleted their runs): {@code pgflow.drop_run_partitions(now(), true)}. Returns their names,
     * and the names of those left because their tables stayed busy through every try (each is
     * named by a NOTICE of the call).
     */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public Drops dropEmptyPartitions() throws SQLException {
        List<String> busy = new ArrayList<>();
        List<String> dropped = texts("SELECT d.partition FROM pgflow.drop_run_partitions(now(), true) d", notice -> {
            Matcher m = NOT_DROPPED.matcher(String.valueOf(notice.getMessage()));
            if (m.find()) {
                busy.add(m.group(1));
            }
        });
        return new Drops(List.copyOf(dropped), List.copyOf(busy));
    }

    private static final Pattern NOT_DROPPED = Pattern.compile("^run partition (\\S+) not dropped: ");

    /** The run partitions dropped, and those left for the next prune because their tables stayed busy. */
    public record Drops(List<String> dropped, List<String> busy) {
    }

    /** Every flow's slug, in order (for the prune job's partitions). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<String> flowSlugs() throws SQLException {
        return texts("SELECT f.flow_slug FROM pgflow.flows f ORDER BY f.flow_slug");
    }

    /** The first column of every row of {@code sql}, in its own connection. */
    private List<String> texts(String sql) throws SQLException {
        return texts(sql, notice -> { });
    }

    /** The first column of every row of {@code sql}; each NOTICE or warning the statement raised goes to {@code notices}. */
    private List<String> texts(String sql, Consumer<SQLWarning> notices) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            for (SQLWarning w = ps.getWarnings(); w != null; w = w.getNextWarning()) {
                notices.accept(w);
            }
        }
        return out;
    }
}
