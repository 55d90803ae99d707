package io.pgflowee.engine.worker;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.TaskContext;
import io.pgflowee.api.json.JsonCodec;

/**
 * The worker of one flow: registers in {@code pgflow.workers}, claims tasks while it has free
 * handler slots ({@link ClaimLoop}: a freed slot claims again at once while tasks wait), runs each
 * handler on the managed executor ({@link TaskExecution}: its timeout enforced by interrupt, then
 * {@code fail_task}; the context it sees),
 * reports completions in batches ({@link ReportBatcher}: one {@code complete_tasks} call per few
 * milliseconds) and failures one by one ({@code fail_task}), heartbeats,
 * cancels the handlers of runs cancelled meanwhile ({@code cancel_run}: checked every
 * {@code cancelCheckInterval} while handlers run; interrupt, nothing reported), and on
 * {@link #stop()} stops claiming, lets running handlers finish up to the shutdown timeout and marks
 * itself stopped.
 */
final class FlowWorker {

    private static final Logger LOG = Logger.getLogger(FlowWorker.class.getName());

    private final Flow<?> flow;
    private final UUID workerId = UUID.randomUUID();
    private final DataSource dataSource;
    private final java.util.concurrent.ExecutorService executor;
    private final ScheduledExecutorService scheduler;
    private final WorkerSettings settings;
    private final JsonCodec codec;
    private final String functionName;
    private final Semaphore slots;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final ClaimLoop claims;
    private final ReportBatcher completions;
    /** Set when the shutdown grace period ended with handlers still running: they are cancelled. */
    private final AtomicBoolean graceOver = new AtomicBoolean();
    private final Map<Task, RunningHandler> running = new ConcurrentHashMap<>();
    private final List<ScheduledFuture<?>> loops = new ArrayList<>();
    private final TaskExecution execution;
    private volatile String lastPollProblem;
    private final io.pgflowee.engine.metrics.PgflowMetrics metrics;

    FlowWorker(Flow<?> flow, DataSource dataSource, java.util.concurrent.ExecutorService executor,
               ScheduledExecutorService scheduler, WorkerSettings settings, JsonCodec codec, String functionName) {
        this(flow, dataSource, executor, scheduler, settings, codec, functionName, null);
    }

    /** With {@code metrics} (may be null) recording claim and handler durations. */
    FlowWorker(Flow<?> flow, DataSource dataSource, java.util.concurrent.ExecutorService executor,
               ScheduledExecutorService scheduler, WorkerSettings settings, JsonCodec codec, String functionName,
               io.pgflowee.engine.metrics.PgflowMetrics metrics) {
        this.metrics = metrics;
        this.flow = flow;
        this.dataSource = dataSource;
        this.executor = executor;
        this.scheduler = scheduler;
        this.settings = settings;
        this.codec = codec;
        this.functionName = functionName;
        this.slots = new Semaphore(settings.maxConcurrent());
        this.execution = new TaskExecution(flow, codec, scheduler, running, graceOver, new TaskExecution.Outcomes() {
            @Override
            public void completed(Task task, String output) {
                completions.complete(task, output);
            }

            @Override
            public void failed(Task task, String error) {
                report("select pgflow.fail_task(?, ?, ?, ?)", task, error);
            }
        }, metrics);
        this.claims = new ClaimLoop(slots, settings.batchSize(), this::claim, this::submit, scheduler, stopping::get, this::claimFailed);
        this.completions = new ReportBatcher(new ReportBatcher.Reports() {
            @Override
            public void completeAll(List<ReportBatcher.Completion> batch) throws SQLException {
                completeTasks(batch);
            }

            @Override
            public void completeOne(ReportBatcher.Completion c) throws SQLException {
                call("select pgflow.complete_task(?, ?, ?, ?::jsonb)", c.task().runId(), c.task().stepSlug(), c.task().taskIndex(), c.output());
            }
        }, scheduler, settings.reportLinger(), settings.reportBatchSize(), (c, e) -> LOG.log(Level.WARNING, "PGFLOW-033 could not report task "
                + describe(c.task()) + " (" + e.getMessage() + "); its lease will return it to the queue"));
    }

    UUID workerId() {
        return workerId;
    }

    String flowSlug() {
        return flow.slug();
    }

    void start() throws SQLException {
        call("select pgflow.register_worker(?, ?, ?)", workerId, flow.slug(), functionName);
        loops.add(scheduler.scheduleWithFixedDelay(claims::poll, 0, settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS));
        loops.add(scheduler.scheduleWithFixedDelay(this::heartbeat, settings.heartbeatInterval().toMillis(),
                settings.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS));
        loops.add(scheduler.scheduleWithFixedDelay(this::cancelHandlersOfCancelledRuns, settings.cancelCheckInterval().toMillis(),
                settings.cancelCheckInterval().toMillis(), TimeUnit.MILLISECONDS));
        LOG.info(() -> "PGFLOW-030 worker " + workerId + " started for flow " + flow.slug() + " (" + settings + ")");
    }

    /** A wake-up from {@code pgflow_tasks}: claim now instead of at the next poll. */
    void wake() {
        if (!stopping.get()) {
            try {
                scheduler.execute(claims::poll);
            } catch (RuntimeException e) {
                // the scheduler is shutting down; the poll loop is gone too
            }
        }
    }

    private void claimFailed(Exception e) {
        String problem = e.getMessage();
        if (problem == null || !problem.equals(lastPollProblem)) {
            LOG.log(Level.WARNING, "PGFLOW-031 worker " + workerId + " (flow " + flow.slug() + ") cannot claim tasks: "
                    + problem + " (retrying every " + settings.pollInterval().toMillis() + " ms)");
        }
        lastPollProblem = problem;
    }

    private List<Task> claim(int max) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select run_id, step_slug, task_index, input::text, flow_input::text,"
                     + " attempts_count, timeout_seconds from pgflow.claim_tasks(?, ?, ?)")) {
            ps.setString(1, flow.slug());
            ps.setObject(2, workerId);
            ps.setInt(3, max);
            List<Task> tasks = new ArrayList<>();
            long t0 = System.nanoTime();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tasks.add(new Task(rs.getObject(1, UUID.class), rs.getString(2), rs.getInt(3), rs.getString(4),
                            rs.getString(5), rs.getInt(6), rs.getInt(7)));
                }
            }
            if (metrics != null) {
                metrics.claimed(flow.slug(), System.nanoTime() - t0);
            }
            lastPollProblem = null;
            return tasks;
        }
    }

    private void submit(Task task) {
        try {
            executor.submit(() -> {
                try {
                    execution.run(task);
                } finally {
                    slots.release();
                    claims.slotFreed();
                }
            });
        } catch (RuntimeException e) {
            slots.release();
            LOG.log(Level.WARNING, "PGFLOW-032 could not start task " + describe(task) + "; its lease will return it: " + e);
        }
    }

    /**
     * Cancels the handlers whose tasks were cancelled in the database ({@code cancel_run}): their
     * {@link TaskContext#isCancelled()} turns true and their threads are interrupted. One query per
     * interval while handlers run, none while idle.
     */
    private void cancelHandlersOfCancelledRuns() {
        if (running.isEmpty()) {
            return;
        }
        List<Task> tasks = List.copyOf(running.keySet());
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select t.run_id, t.step_slug, t.task_index from pgflow.step_tasks t"
                     + " join unnest(?::uuid[], ?::text[], ?::int[]) as mine(run_id, step_slug, task_index)"
                     + " on t.run_id = mine.run_id and t.step_slug = mine.step_slug and t.task_index = mine.task_index"
                     + " where t.status = 'cancelled'")) {
            ps.setArray(1, c.createArrayOf("uuid", tasks.stream().map(Task::runId).toArray()));
            ps.setArray(2, c.createArrayOf("text", tasks.stream().map(Task::stepSlug).toArray()));
            ps.setArray(3, c.createArrayOf("int4", tasks.stream().map(Task::taskIndex).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID runId = rs.getObject(1, UUID.class);
                    String stepSlug = rs.getString(2);
                    int taskIndex = rs.getInt(3);
                    tasks.stream().filter(t -> t.runId().equals(runId) && t.stepSlug().equals(stepSlug) && t.taskIndex() == taskIndex)
                            .forEach(t -> {
                                RunningHandler handler = running.get(t);
                                if (handler != null && handler.runCancelled().compareAndSet(false, true)) {
                                    LOG.info(() -> "PGFLOW-042 run " + runId + " was cancelled: cancelling the handler of "
                                            + describe(t));
                                    handler.interruptIfRunning();
                                }
                            });
                }
            }
        } catch (SQLException e) {
            LOG.fine(() -> "cancellation check failed (retried at the next interval): " + e.getMessage());
        }
    }

    private void report(String sql, Task task, String value) {
        try {
            call(sql, task.runId(), task.stepSlug(), task.taskIndex(), value);
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "PGFLOW-033 could not report task " + describe(task) + " (" + e.getMessage()
                    + "); its lease will return it to the queue");
        }
    }

    /** One {@code complete_tasks} call for a batch of completions. */
    private void completeTasks(List<ReportBatcher.Completion> batch) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])")) {
            ps.setArray(1, c.createArrayOf("uuid", batch.stream().map(b -> b.task().runId()).toArray()));
            ps.setArray(2, c.createArrayOf("text", batch.stream().map(b -> b.task().stepSlug()).toArray()));
            ps.setArray(3, c.createArrayOf("int4", batch.stream().map(b -> b.task().taskIndex()).toArray()));
            ps.setArray(4, c.createArrayOf("text", batch.stream().map(ReportBatcher.Completion::output).toArray()));
            ps.executeQuery().close();
        }
    }

    private void heartbeat() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select pgflow.heartbeat(?)")) {
            ps.setObject(1, workerId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1) && !stopping.get()) {
                    LOG.warning("PGFLOW-034 worker " + workerId + " (flow " + flow.slug()
                            + ") was marked stopped or deprecated in pgflow.workers: it stops claiming");
                    stopping.set(true);
                }
            }
        } catch (SQLException e) {
            LOG.fine(() -> "heartbeat failed: " + e.getMessage());
        }
    }

    /**
     * Stops claiming (and marks the worker stopped first, so no claim can slip in), waits up to the
     * shutdown timeout for running handlers to finish and report.
     */
    void stop() {
        beginStop();
        awaitDrained(System.nanoTime() + settings.shutdownTimeout().toNanos());
    }

    /** Stops claiming and marks the worker stopped in pgflow.workers; running handlers go on. */
    void beginStop() {
        stopping.set(true);
        loops.forEach(f -> f.cancel(false));
        try {
            call("select pgflow.mark_worker_stopped(?)", workerId);
        } catch (SQLException e) {
            LOG.warning("PGFLOW-035 could not mark worker " + workerId + " stopped: " + e.getMessage());
        }
    }

    /**
     * Waits until running handlers have finished, or until {@code deadlineNanos} ({@link System#nanoTime()});
     * handlers still running then are cancelled ({@link TaskContext#isCancelled()} turns true and
     * their threads are interrupted) and their tasks return to the queue when their leases expire.
     *
     * @return true when every handler had finished
     */
    boolean awaitDrained(long deadlineNanos) {
        boolean drained = false;
        try {
            drained = slots.tryAcquire(settings.maxConcurrent(), Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        completions.flush(); // what the finished handlers returned, before the worker counts as stopped
        if (drained) {
            slots.release(settings.maxConcurrent());
            LOG.info(() -> "PGFLOW-036 worker " + workerId + " (flow " + flow.slug() + ") stopped");
        } else {
            graceOver.set(true);
            int cancelled = running.size();
            running.values().forEach(RunningHandler::interruptIfRunning);
            LOG.warning(() -> "PGFLOW-036 worker " + workerId + " (flow " + flow.slug() + ") stopped; " + cancelled
                    + " handler(s) still running after the shutdown grace period were cancelled: their tasks return"
                    + " to the queue when their leases expire");
        }
        return drained;
    }

    Duration shutdownTimeout() {
        return settings.shutdownTimeout();
    }

    private void call(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.execute();
        }
    }

    private String describe(Task task) {
        return execution.describe(task);
    }
}
