package io.pgflowee.engine.jobs;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import jakarta.batch.operations.JobExecutionNotRunningException;
import jakarta.batch.operations.JobOperator;
import jakarta.batch.operations.JobRestartException;
import jakarta.batch.operations.NoSuchJobException;
import jakarta.batch.operations.NoSuchJobExecutionException;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.JobExecution;
import jakarta.batch.runtime.Metric;
import jakarta.batch.runtime.StepExecution;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The engine's batch jobs through the Jakarta Batch {@link JobOperator}: start with checked
 * parameters, stop, restart, and what an execution did (status, step metrics, skipped items). The
 * job repository is the server's (kept in PostgreSQL, see docs/operations.md, "Bulk operations"), so every
 * server sees every execution and a restart can run on any of them.
 */
@ApplicationScoped
public class JobService {

    /** The jobs of this application. */
    public static final Set<String> JOBS = java.util.Collections.unmodifiableSortedSet(
            new java.util.TreeSet<>(Set.of("pgflow-backfill", "pgflow-bulk-retry", "pgflow-cancel-stuck", "pgflow-prune")));

    @Inject
    @jakarta.enterprise.inject.Any
    jakarta.enterprise.inject.Instance<JobCheck> checks;

    @Inject
    JobDatabase database;

    @Inject
    JobExecutions executions;

    @Inject
    JobRepository repository;

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(JobService.class.getName());

    /** An execution as the API and the console show it. */
    public record ExecutionView(long executionId, long instanceId, String job, String status, String exitStatus,
                                java.util.Date createdAt, java.util.Date startedAt, java.util.Date endedAt, Map<String, String> parameters,
                                List<StepView> steps, List<String[]> skipped, String failure, String server, boolean serverLost,
                                List<JobDatabase.Partition> partitions) {

        /** Seconds from start to end, or to now while it runs; null before it started. */
        public Long elapsedSeconds() {
            return startedAt == null ? null : ((endedAt == null ? System.currentTimeMillis() : endedAt.getTime()) - startedAt.getTime()) / 1000;
        }
    }

    /** A step execution: status, the runtime's counts (read, write, process skip, commit, rollback...), its own data. */
    public record StepView(String step, String status, Map<String, Long> metrics, String data) {
    }

    /** A refused start or action: the message names the parameter or state. */
    public static final class JobRefusal extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean conflict;

        public JobRefusal(String message, boolean conflict) {
            super(message);
            this.conflict = conflict;
        }

        /** True for "not now" (409: not running, not restartable); false for bad input (400) or unknown (404 by the caller). */
        public boolean conflict() {
            return conflict;
        }
    }

    /** The job parameter that names a job instance everywhere: {@code instanceKey}, a UUID the server sets at start. */
    public static final String INSTANCE_KEY = "instanceKey";

    /** The instance key of the running job (see {@link #INSTANCE_KEY}). */
    public static String instanceKey(jakarta.batch.runtime.context.JobContext job) {
        return operator().getParameters(job.getExecutionId()).getProperty(INSTANCE_KEY);
    }

    private static JobOperator operator() {
        return BatchRuntime.getJobOperator();
    }

    /** The parameter check of {@code job} (each job's package has one). */
    private JobCheck check(String job) {
        for (JobCheck check : checks) {
            if (check.job().equals(job)) {
                return check;
            }
        }
        throw new IllegalStateException("job " + job + " has no JobCheck bean");
    }

    /** Starts a job after checking its parameters; its execution id. */
    public long start(String job, Map<String, String> parameters) throws JobRefusal {
        if (!JOBS.contains(job)) {
            throw new JobRefusal("unknown job '" + job + "': the jobs are " + JOBS, false);
        }
        Properties p = new Properties();
        parameters.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                p.setProperty(k, v.trim());
            }
        });
        check(job).check(p);
        // what the job's runs and records are keyed by: unique across job repositories (instance ids are
        // not: a second server's or a new repository starts again at 1), kept by restarts (same parameters)
        p.setProperty(INSTANCE_KEY, java.util.UUID.randomUUID().toString());
        return operator().start(job, p);
    }

    /** The latest executions of this application's jobs, newest first. */
    public List<ExecutionView> recent(int max) {
        return recent(max, false);
    }

    /** The latest executions, newest first; with {@code detail}, each with its steps and skipped items too. */
    public List<ExecutionView> recent(int max, boolean detail) {
        List<JobExecution> all = new ArrayList<>();
        for (String job : JOBS) {
            try {
                for (var instance : operator().getJobInstances(job, 0, max)) {
                    all.addAll(operator().getJobExecutions(instance));
                }
            } catch (NoSuchJobException e) {
                // never started
            }
        }
        all.sort(Comparator.comparingLong(JobExecution::getExecutionId).reversed());
        return all.stream().limit(max).map(e -> view(e, detail)).toList();
    }

    public Optional<ExecutionView> execution(long executionId) {
        try {
            JobExecution e = operator().getJobExecution(executionId);
            return JOBS.contains(e.getJobName()) ? Optional.of(view(e, true)) : Optional.empty();
        } catch (NoSuchJobExecutionException e) {
            return Optional.empty();
        } catch (jakarta.batch.operations.JobSecurityException e) {
            // an execution of another application in a shared job repository (Jakarta Batch tags each
            // job instance with the name of the application that started it): not one of ours here
            return Optional.empty();
        }
    }

    public void stop(long executionId) throws JobRefusal {
        requireOurs(executionId);
        try {
            operator().stop(executionId);
        } catch (JobExecutionNotRunningException e) {
            throw new JobRefusal("execution " + executionId + " is not running (" + operator().getJobExecution(executionId)
                    .getBatchStatus() + ")", true);
        }
    }

    /**
     * Restarts a stopped or failed execution from its last checkpoint: the new execution's id. An
     * execution still STARTED whose server is lost (no heartbeat for
     * {@code pgflow.jobs.serverLostAfterSeconds}: killed, crashed) is first marked FAILED with exit
     * status SERVER_LOST, then restarted here; one whose server is alive is refused.
     */
    public long restart(long executionId) throws JobRefusal {
        requireOurs(executionId);
        JobExecution execution = operator().getJobExecution(executionId);
        jakarta.batch.runtime.BatchStatus status = execution.getBatchStatus();
        if (running(status)) {
            ExecutionOwner owner = owner(execution).orElseThrow(() -> new JobRefusal("execution " + executionId + " is " + status
                    + " and no server recorded running it, so it cannot be told from a running one; stop it on its server", true));
            if (executions.isThisServer(owner)) {
                throw new JobRefusal("execution " + executionId + " is " + status + " on this server (" + owner.server() + "); stop it first",
                        true);
            }
            if (!executions.isLost(owner)) {
                throw new JobRefusal(String.format(java.util.Locale.ROOT, "execution %d is %s on server %s (last heartbeat %.0f s ago):"
                        + " stop it there, or restart it once that server is lost (no heartbeat for %d s)", executionId, status, owner.server(),
                        owner.secondsSinceHeartbeat(), executions.lostAfterSeconds()), true);
            }
            repository.markLost(executionId, execution.getCreateTime());
            LOG.warning(String.format(java.util.Locale.ROOT, "PGFLOW-096 job %s execution %d: its server %s is lost (no heartbeat for %.0f s);"
                    + " marked FAILED (SERVER_LOST), restarting it from its last checkpoint", execution.getJobName(), executionId,
                    owner.server(), owner.secondsSinceHeartbeat()));
        }
        try {
            return operator().restart(executionId, operator().getParameters(executionId));
        } catch (JobRestartException | jakarta.batch.operations.JobExecutionAlreadyCompleteException
                 | jakarta.batch.operations.JobExecutionIsRunningException e) {
            throw new JobRefusal("execution " + executionId + " cannot be restarted (" + operator().getJobExecution(executionId)
                    .getBatchStatus() + "): " + e.getMessage(), true);
        }
    }

    private static boolean running(jakarta.batch.runtime.BatchStatus status) {
        return status == jakarta.batch.runtime.BatchStatus.STARTING || status == jakarta.batch.runtime.BatchStatus.STARTED
                || status == jakarta.batch.runtime.BatchStatus.STOPPING;
    }

    /** The server recorded as running the execution. */
    private Optional<ExecutionOwner> owner(JobExecution e) throws JobRefusal {
        Properties p = e.getJobParameters();
        String key = p == null ? null : p.getProperty(INSTANCE_KEY);
        if (key == null) {
            return Optional.empty();
        }
        try {
            return executions.owner(key, e.getExecutionId());
        } catch (SQLException ex) {
            throw new JobRefusal("the server of execution " + e.getExecutionId() + " cannot be read: " + ex.getMessage(), true);
        }
    }

    private void requireOurs(long executionId) throws JobRefusal {
        if (execution(executionId).isEmpty()) {
            throw new JobRefusal("no execution " + executionId + " of the pgflow jobs", false);
        }
    }

    private ExecutionView view(JobExecution e, boolean detail) {
        long instanceId = operator().getJobInstance(e.getExecutionId()).getInstanceId();
        Map<String, String> params = new LinkedHashMap<>();
        Properties p = e.getJobParameters();
        if (p != null) {
            p.stringPropertyNames().stream().sorted().forEach(k -> params.put(k, p.getProperty(k)));
        }
        List<StepView> steps = new ArrayList<>();
        List<String[]> skipped = List.of();
        List<JobDatabase.Partition> partitions = List.of();
        if (detail) {
            for (StepExecution s : operator().getStepExecutions(e.getExecutionId())) {
                Map<String, Long> metrics = new LinkedHashMap<>();
                for (Metric m : s.getMetrics()) {
                    metrics.put(m.getType().name(), m.getValue());
                }
                steps.add(new StepView(s.getStepName(), String.valueOf(s.getBatchStatus()), metrics,
                        s.getPersistentUserData() == null ? null : s.getPersistentUserData().toString()));
            }
            try {
                skipped = p == null || p.getProperty(INSTANCE_KEY) == null ? List.of() : database.skips(p.getProperty(INSTANCE_KEY), 1000);
            } catch (SQLException ex) {
                skipped = List.<String[]>of(new String[] {"?", "skipped items not readable: " + ex.getMessage()});
            }
            try {
                partitions = p == null || p.getProperty(INSTANCE_KEY) == null ? List.of() : database.partitions(p.getProperty(INSTANCE_KEY));
            } catch (SQLException ex) {
                partitions = List.of(new JobDatabase.Partition("? (not readable: " + ex.getMessage() + ")", 0, false, 0));
            }
        }
        String failure = null;
        List<String[]> items = new ArrayList<>();
        for (String[] k : skipped) {
            if (k[0].equals(JobFailures.ITEM)) {
                failure = k[1];
            } else {
                items.add(k);
            }
        }
        String server = null;
        boolean lost = false;
        try {
            Optional<ExecutionOwner> owner = owner(e);
            if (owner.isPresent()) {
                server = owner.get().server();
                lost = running(e.getBatchStatus()) && executions.isLost(owner.get());
            }
        } catch (JobRefusal ex) {
            server = "? (" + ex.getMessage() + ")";
        }
        return new ExecutionView(e.getExecutionId(), instanceId, e.getJobName(), String.valueOf(e.getBatchStatus()), e.getExitStatus(),
                e.getCreateTime(), e.getStartTime(), e.getEndTime(), params, steps, items, failure, server, lost, partitions);
    }
}
