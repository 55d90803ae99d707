package io.pgflowee.engine.jobs;

import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Which server runs which job execution. The job repository knows an execution's status but not
 * whether the server running it is still alive: after a SIGKILL its execution stays STARTED for
 * ever. So each server records the executions it runs ({@code pgflow_internal.job_executions}) and
 * beats for them every third of {@code pgflow.jobs.serverLostAfterSeconds} (default 30); an
 * execution whose server has not beaten for that long counts as lost, and may be restarted on any
 * server from its last checkpoint ({@link JobService#restart}).
 */
@ApplicationScoped
public class JobExecutions {

    private static final Logger LOG = Logger.getLogger(JobExecutions.class.getName());

    @Inject
    JobDatabase database;

    @Inject
    io.pgflowee.engine.system.ServerIdentity identity;

    @Inject
    @ConfigProperty(name = "pgflow.jobs.serverLostAfterSeconds", defaultValue = "30")
    int lostAfterSeconds;

    @Resource
    ManagedScheduledExecutorService scheduler;

    private ScheduledFuture<?> heartbeat;

    /** Called as an execution starts on this server (the job listener {@link JobOwnership}). */
    public void started(String instanceKey, long executionId) throws SQLException {
        database.recordExecution(instanceKey, executionId, identity.id(), identity.name());
        startHeartbeat();
    }

    /** Called as an execution ends on this server, whatever its status. */
    public void ended(String instanceKey, long executionId) throws SQLException {
        database.endExecution(instanceKey, executionId);
    }

    /** The execution's server as recorded. */
    public Optional<ExecutionOwner> owner(String instanceKey, long executionId) throws SQLException {
        return database.owner(instanceKey, executionId);
    }

    /** Whether the execution's server is this one (this deployment of it). */
    public boolean isThisServer(ExecutionOwner owner) {
        return owner.serverId().equals(identity.id());
    }

    /**
     * Whether the execution's server is lost: another server that has not beaten for the limit, or
     * that recorded the end of an execution the repository still shows running (it died between the
     * two writes).
     */
    public boolean isLost(ExecutionOwner owner) {
        return !isThisServer(owner) && (owner.ended() || owner.secondsSinceHeartbeat() > lostAfterSeconds);
    }

    public int lostAfterSeconds() {
        return lostAfterSeconds;
    }

    private synchronized void startHeartbeat() {
        if (heartbeat == null) {
            long every = Math.max(1000L, lostAfterSeconds * 1000L / 3);
            heartbeat = scheduler.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
        }
    }

    private void beat() {
        try {
            database.heartbeat(identity.id());
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.WARNING, "PGFLOW-094 batch job heartbeat of " + identity.name() + " failed: " + e.getMessage()
                    + " (its running executions count as lost after " + lostAfterSeconds + " s without one)");
        }
    }

    @PreDestroy
    synchronized void stop() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
    }
}
