package io.pgflowee.engine.jobs.bulk;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

import javax.sql.DataSource;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.jobs.RunRef;
import jakarta.annotation.Resource;
import jakarta.ejb.SessionContext;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

/**
 * The bulk jobs' SQL (pgflow-bulk-retry, pgflow-cancel-stuck): the runs a selection matches, page by
 * page, and each run's action applied once however often its chunk is read again. Each call in a
 * transaction of its own (see {@link io.pgflowee.engine.jobs.JobDatabase}).
 */
@Stateless
public class BulkDatabase {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Resource
    SessionContext context;

    @Inject
    EngineOperations engine;

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

    /** How many runs a bulk job's selection matches now (its progress's total). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public long countMatching(RunSelection s) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pgflow.runs r"
                + " WHERE r.status = ANY (?)" + MATCHING)) {
            bindSelection(c, ps, s);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static final String MATCHING = " AND (CAST(? AS text) IS NULL OR r.flow_slug = ?)"
            + " AND (CAST(? AS timestamptz) IS NULL OR r.started_at >= ?)"
            + " AND (CAST(? AS timestamptz) IS NULL OR r.started_at < ?)"
            + " AND (CAST(? AS text) IS NULL OR EXISTS (SELECT 1 FROM pgflow.step_states ss WHERE ss.run_id = r.run_id"
            + "      AND strpos(lower(ss.error_message), lower(?)) > 0))";

    /** Binds the selection's parameters 1 to 9 of a statement that starts with {@code r.status = ANY (?)} then {@link #MATCHING}. */
    private static void bindSelection(Connection c, PreparedStatement ps, RunSelection s) throws SQLException {
        ps.setArray(1, c.createArrayOf("text", s.statuses().toArray()));
        ps.setString(2, s.flow());
        ps.setString(3, s.flow());
        ps.setObject(4, s.startedAfter());
        ps.setObject(5, s.startedAfter());
        ps.setObject(6, s.startedBefore());
        ps.setObject(7, s.startedBefore());
        ps.setString(8, s.errorContains());
        ps.setString(9, s.errorContains());
    }

    /** The next runs matching a bulk job's selection after {@code after}, by (started_at, run_id). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public List<RunRef> matchingRuns(RunSelection s, RunRef after, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT r.run_id, r.started_at"
                + " FROM pgflow.runs r WHERE r.status = ANY (?)" + MATCHING
                + " AND (CAST(? AS timestamptz) IS NULL OR (r.started_at, r.run_id) > (?, CAST(? AS uuid)))"
                + " ORDER BY r.started_at, r.run_id LIMIT ?")) {
            bindSelection(c, ps, s);
            ps.setObject(10, after == null ? null : after.startedAt());
            ps.setObject(11, after == null ? null : after.startedAt());
            ps.setObject(12, after == null ? null : after.runId());
            ps.setInt(13, limit);
            return RunRef.all(ps);
        }
    }
}
