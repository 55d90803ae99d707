package io.pgflowee.engine.jobs.prune;

import io.pgflowee.engine.jobs.JobDatabase;
import io.pgflowee.engine.jobs.JobService;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

/**
 * With {@code pgflow.prune.daily=true}, starts pgflow-prune every day at 03:00 UTC, on one server
 * only: the first server to record the day in {@code pgflow_internal.job_items} starts it.
 */
@Singleton
public class PruneSchedule {

    private static final Logger LOG = Logger.getLogger(PruneSchedule.class.getName());

    @Inject
    @ConfigProperty(name = "pgflow.prune.daily", defaultValue = "false")
    boolean daily;

    @Inject
    JobService jobs;

    @Inject
    JobDatabase database;

    @jakarta.annotation.Resource
    jakarta.ejb.TimerService timers;

    @Schedule(hour = "3", minute = "0", timezone = "UTC", persistent = false)
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    void pruneDaily() {
        if (!daily) {
            return;
        }
        try {
            startFor(LocalDate.now(ZoneOffset.UTC)).ifPresent(execution ->
                    LOG.info("PGFLOW-091 daily pgflow-prune started as execution " + execution));
        } catch (SQLException | JobService.JobRefusal | RuntimeException e) {
            LOG.log(Level.WARNING, "PGFLOW-092 daily pgflow-prune not started: " + e.getMessage(), e);
        }
    }

    /**
     * Starts the day's pgflow-prune (every flow, its configured retention) unless a server started
     * it already: its execution id, or empty for every caller after the first of all servers.
     */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public java.util.Optional<Long> startFor(LocalDate day) throws SQLException, JobService.JobRefusal {
        if (!database.claimOnce("pgflow-prune-daily:" + day)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(jobs.start("pgflow-prune", Map.of()));
    }

    /** Whether the daily prune is on here ({@code pgflow.prune.daily}). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public boolean isDaily() {
        return daily;
    }

    /** When the schedule fires next on this server (it starts a prune only when {@link #isDaily()}). */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public java.util.Optional<java.util.Date> nextRun() {
        return timers.getTimers().stream().map(jakarta.ejb.Timer::getNextTimeout).min(java.util.Comparator.naturalOrder());
    }
}
