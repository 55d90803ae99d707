package io.pgflowee.engine.jobs.backfill;

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
 * The backfill job's SQL: a chunk's starts in one {@code start_flows} call (a refusal rolls the chunk
 * back), the operator's query read page by page in a read-only transaction, and whether a flow's root
 * step is a map. Each call in a transaction of its own, never inside a chunk's (see {@link io.pgflowee.engine.jobs.JobDatabase}).
 */
@Stateless
public class BackfillDatabase {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Resource
    SessionContext context;

    @Inject
    EngineOperations engine;

    /** The flows of this server: their concurrencyKey / priority functions give each backfilled run its key and priority. */
    @Inject
    io.pgflowee.engine.flows.FlowRegistry registry;

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
        List<io.pgflowee.api.flow.RunKeys> runKeys = runKeys(flow, items); // refused before anything is written
        try {
            for (EngineOperations.StartedItem run : engine.startFlows(flow, inputs, keys, runKeys)) {
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

    /**
     * Each item's concurrency key and priority from the flow's Java definition, or null when it
     * computes none (or the flow is not deployed here); a function that throws on an item refuses
     * the chunk naming the item (the job then skips it, as any refused item).
     */
    private List<io.pgflowee.api.flow.RunKeys> runKeys(String flow, List<BackfillItem> items) throws EngineRefusal {
        if (registry == null || registry.flow(flow).map(f -> !f.computesRunKeys()).orElse(true)) {
            return null;
        }
        List<io.pgflowee.api.flow.RunKeys> out = new ArrayList<>(items.size());
        for (BackfillItem item : items) {
            try {
                out.add(registry.runKeys(flow, item.json(), null, null));
            } catch (IllegalArgumentException e) {
                throw EngineRefusal.invalid("item " + item.key() + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** How many rows a backfill's query returns (its progress's total), read-only like {@link #queryPage}. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public long countQuery(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (var readOnly = c.createStatement()) {
                readOnly.execute("SET TRANSACTION READ ONLY");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM (" + sql + ") q"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
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
}
