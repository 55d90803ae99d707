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
import io.pgflowee.engine.control.StartedRun;
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
     * Starts a run of {@code flow} per item, keyed {@code <keyPrefix><item key>}, all in one
     * transaction: an engine refusal rolls the chunk back and is thrown.
     */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public Started startRuns(String flow, List<BackfillItem> items, String keyPrefix) throws EngineRefusal, SQLException {
        int created = 0;
        int existing = 0;
        try {
            for (BackfillItem item : items) {
                StartedRun run = engine.startFlow(flow, item.json(), null, keyPrefix + item.key());
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
    public void recordSkip(long jobInstanceId, String itemKey, String reason) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO pgflow_internal.job_skips (job_instance_id, item_key, reason) VALUES (?, ?, ?)"
                        + " ON CONFLICT (job_instance_id, item_key) DO UPDATE SET reason = excluded.reason")) {
            ps.setLong(1, jobInstanceId);
            ps.setString(2, itemKey);
            ps.setString(3, reason.length() > 2000 ? reason.substring(0, 2000) + "…" : reason);
            ps.executeUpdate();
        }
    }

    /** The skipped items of a job instance, by key. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<String[]> skips(long jobInstanceId, int max) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT item_key, reason FROM pgflow_internal.job_skips WHERE job_instance_id = ?"
                        + " ORDER BY length(item_key), item_key LIMIT ?")) {
            ps.setLong(1, jobInstanceId);
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
}
