package io.pgflowee.engine.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Date;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The one change the engine makes to the Jakarta Batch job repository itself: an execution whose
 * server died is marked FAILED (exit status {@code SERVER_LOST}), with its running steps, so it
 * can be restarted from its last checkpoint and no longer shows as running. The Jakarta Batch API
 * has no operation for this (stop and abandon need the execution's own server), so it is done in
 * the repository's tables, which Payara names {@code [jbatch]executioninstancedata} and
 * {@code [jbatch]stepexecutioninstancedata} (the prefix is Payara Micro's). The repository is
 * reached through its data source, {@code pgflow.jobs.repositoryDataSource} (default
 * {@code jdbc/pgflow-batch}, as the launcher and {@code pgflow-batch.asadmin} create it).
 */
@ApplicationScoped
public class JobRepository {

    private static final String RUNNING = "('STARTING', 'STARTED', 'STOPPING')";

    @Inject
    @ConfigProperty(name = "pgflow.jobs.repositoryDataSource", defaultValue = "jdbc/pgflow-batch")
    String dataSourceName;

    /**
     * Marks a running execution of a lost server FAILED / SERVER_LOST. {@code createdAt} (the
     * execution's create time as the job operator reports it) tells it apart from an execution
     * with the same id in another repository of the same database.
     *
     * @throws JobService.JobRefusal when the repository or the execution is not found there
     */
    public void markLost(long executionId, Date createdAt) throws JobService.JobRefusal {
        DataSource ds;
        try {
            ds = (DataSource) new InitialContext().lookup(dataSourceName);
        } catch (NamingException | ClassCastException e) {
            throw new JobService.JobRefusal("execution " + executionId + " cannot be marked failed: the job repository's data source "
                    + dataSourceName + " is not found on this server (pgflow.jobs.repositoryDataSource; see docs/operations.md, Bulk operations)",
                    true);
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (String prefix : new String[] {"jbatch", ""}) {
                if (!exists(c, prefix + "executioninstancedata")) {
                    continue;
                }
                int jobs;
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + prefix + "executioninstancedata"
                        + " SET batchstatus = 'FAILED', exitstatus = 'SERVER_LOST', endtime = localtimestamp, updatetime = localtimestamp"
                        + " WHERE jobexecid = ? AND batchstatus IN " + RUNNING + " AND date_trunc('milliseconds', createtime) = ?")) {
                    ps.setLong(1, executionId);
                    ps.setTimestamp(2, new Timestamp(createdAt.getTime()));
                    jobs = ps.executeUpdate();
                }
                if (jobs == 1) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE " + prefix + "stepexecutioninstancedata"
                            + " SET batchstatus = 'FAILED', exitstatus = 'SERVER_LOST', endtime = localtimestamp"
                            + " WHERE jobexecid = ? AND batchstatus IN " + RUNNING)) {
                        ps.setLong(1, executionId);
                        ps.executeUpdate();
                    }
                    c.commit();
                    return;
                }
            }
            c.rollback();
        } catch (SQLException e) {
            throw new JobService.JobRefusal("execution " + executionId + " cannot be marked failed in the job repository: "
                    + e.getMessage(), true);
        }
        throw new JobService.JobRefusal("execution " + executionId + " is not running in the job repository behind " + dataSourceName
                + " (pgflow.jobs.repositoryDataSource)", true);
    }

    private static boolean exists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
