package io.pgflowee.engine.worker;

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
 * reports outcomes in batches ({@link ReportBatcher}: one {@code complete_tasks} and, when handlers
 * failed, one {@code fail_tasks} call per few milliseconds), makes every SQL call through
 * {@link TaskQueue}, heartbeats,
 * cancels the handlers of runs cancelled meanwhile ({@code cancel_run}: checked every
 * {@code cancelCheckInterval} while handlers run; interrupt, nothing reported), and on
 * {@link #stop()} stops claiming, lets running handlers finish up to the shutdown timeout and marks
 * itself stopped.
 */
final class FlowWorker {

    private static final Logger LOG = Logger.getLogger(FlowWorker.class.getName());

    private final Flow<?> flow;
    private final UUID workerId = UUID.randomUUID();
    private final java.util.concurrent.ExecutorService executor;
    private final ScheduledExecutorService scheduler;
    private final WorkerSettings settings;
    private final String functionName;
    private final Semaphore slots;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final ClaimLoop claims;
    private final ReportBatcher reports;
    private final TaskQueue queue;
    /** Set when the shutdown grace period ended with handlers still running: they are cancelled. */
    private final AtomicBoolean graceOver = new AtomicBoolean();
    private final Map<Task, RunningHandler> running = new ConcurrentHashMap<>();
    private final List<ScheduledFuture<?>> loops = new ArrayList<>();
    /** The timeout sweep: runs until the last handler has finished, also during the shutdown grace period. */
    private volatile ScheduledFuture<?> timeouts;
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
        this.executor = executor;
        this.scheduler = scheduler;
        this.settings = settings;
        this.functionName = functionName;
        this.slots = new Semaphore(settings.maxConcurrent());
        this.queue = new TaskQueue(dataSource, flow.slug(), workerId, flow.steps().stream().anyMatch(s -> s.stepType().isMap()));
        this.execution = new TaskExecution(flow, codec, running, graceOver, new TaskExecution.Outcomes() {
            @Override
            public void completed(Task task, String output) {
                reports.complete(task, output);
            }

            @Override
            public void failed(Task task, String error) {
                reports.fail(task, error);
            }

            @Override
            public void snoozed(Task task, java.time.Instant wakeAt) {
                snooze(task, wakeAt);
            }
        }, metrics, settings.maxOutputBytes());
        this.claims = new ClaimLoop(slots, settings.batchSize(), this::claim, this::submit, scheduler, stopping::get, this::claimFailed);
        this.reports = new ReportBatcher(queue, settings.claimWithReports() ? claims : ReportBatcher.NextTasks.NONE, scheduler,
                settings.reportLinger(), settings.reportBatchSize(),
                (r, e) -> LOG.log(Level.WARNING, "PGFLOW-033 could not report " + (r.failure() ? "the failure of" : "the completion of")
                        + " task " + describe(r.task()) + " (" + e.getMessage() + "); its lease will return it to the queue"));
    }

    /** Hands a snoozed task back until {@code wakeAt}, on the handler's thread; when that fails, its lease returns it (the attempt then counts). */
    private void snooze(Task task, java.time.Instant wakeAt) {
        try {
            queue.snooze(task, wakeAt);
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "PGFLOW-049 could not snooze task " + describe(task) + " until " + wakeAt + " (" + e.getMessage()
                    + "); its lease will return it to the queue");
        }
    }

    UUID workerId() {
        return workerId;
    }

    /** Runs each task attempt in a span of {@code spans} (before {@link #start()}). */
    void tracing(TaskSpans spans) {
        execution.tracing(spans, workerId);
    }

    String flowSlug() {
        return flow.slug();
    }

    void start() throws SQLException {
        queue.register(functionName);
        timeouts = scheduler.scheduleWithFixedDelay(execution::timeOutOverdue, TaskExecution.SWEEP_MILLIS, TaskExecution.SWEEP_MILLIS,
                TimeUnit.MILLISECONDS);
        loops.add(scheduler.scheduleWithFixedDelay(claims::poll, 0, settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS));
        loops.add(scheduler.scheduleWithFixedDelay(this::heartbeat, settings.heartbeatInterval().toMillis(),
                settings.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS));
        loops.add(scheduler.scheduleWithFixedDelay(this::cancelHandlersOfCancelledRuns, settings.cancelCheckInterval().toMillis(),
                settings.cancelCheckInterval().toMillis(), TimeUnit.MILLISECONDS));
        LOG.info(() -> "PGFLOW-030 worker " + workerId + " started for flow " + flow.slug() + " (" + settings + ")");
    }

    /** A wake-up from {@code pgflow_tasks}: claim now instead of at the next poll. */
    void wake() {
        claims.trigger();
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
        long t0 = System.nanoTime();
        List<Task> tasks = queue.claim(max);
        if (metrics != null) {
            metrics.claimed(flow.slug(), System.nanoTime() - t0);
        }
        lastPollProblem = null;
        if (tasks.isEmpty()) {
            // a rate limit may hold tasks back: wait for its next token instead of claiming at every wake-up and poll
            java.time.Instant ready = queue.claimReadyAt();
            if (ready != null) {
                long wait = Math.max(1, java.time.Duration.between(java.time.Instant.now(), ready).toMillis());
                claims.throttle(System.currentTimeMillis() + wait);
                scheduler.schedule(claims::trigger, wait, TimeUnit.MILLISECONDS);
            }
        }
        return tasks;
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
        try {
            for (Task t : queue.cancelledAmong(List.copyOf(running.keySet()))) {
                RunningHandler handler = running.get(t);
                if (handler != null && handler.runCancelled().compareAndSet(false, true)) {
                    LOG.info(() -> "PGFLOW-042 run " + t.runId() + " was cancelled: cancelling the handler of " + describe(t));
                    handler.interruptIfRunning();
                }
            }
        } catch (SQLException e) {
            LOG.fine(() -> "cancellation check failed (retried at the next interval): " + e.getMessage());
        }
    }

    private void heartbeat() {
        try {
            if (!queue.heartbeat() && !stopping.get()) {
                LOG.warning("PGFLOW-034 worker " + workerId + " (flow " + flow.slug()
                        + ") was marked stopped or deprecated in pgflow.workers: it stops claiming");
                stopping.set(true);
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

    /** Reports, marks stopped and hands back through {@code direct} connections from now on (see {@link TaskQueue#useConnectionsOf}). */
    void useConnectionsOf(DataSource direct) {
        queue.useConnectionsOf(direct);
    }

    /** Stops claiming and marks the worker stopped in pgflow.workers; running handlers go on. */
    void beginStop() {
        stopping.set(true);
        loops.forEach(f -> f.cancel(false));
        try {
            queue.markStopped();
        } catch (SQLException e) {
            LOG.warning("PGFLOW-035 could not mark worker " + workerId + " stopped: " + e.getMessage());
        }
    }

    /**
     * Waits until running handlers have finished, or until {@code deadlineNanos} ({@link System#nanoTime()});
     * handlers still running then are cancelled ({@link TaskContext#isCancelled()} turns true and
     * their threads are interrupted) and their tasks are handed back ({@code release_tasks}):
     * claimable by another server at once, the attempt not counted.
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
        reports.flush(); // what the finished handlers returned, before the worker counts as stopped
        if (timeouts != null) {
            timeouts.cancel(false);
        }
        if (drained) {
            slots.release(settings.maxConcurrent());
            LOG.info(() -> "PGFLOW-036 worker " + workerId + " (flow " + flow.slug() + ") stopped");
        } else {
            graceOver.set(true);
            int cancelled = running.size();
            running.values().forEach(RunningHandler::interruptIfRunning);
            int released = release();
            LOG.warning(() -> "PGFLOW-036 worker " + workerId + " (flow " + flow.slug() + ") stopped; " + cancelled
                    + " handler(s) still running after the shutdown grace period were cancelled, " + released
                    + " task(s) handed back to the queue (claimable at once, the attempt not counted)");
        }
        return drained;
    }

    /** Hands back what this worker still holds; -1 when the database could not be reached (the leases expire then). */
    private int release() {
        try {
            return queue.release();
        } catch (SQLException e) {
            LOG.warning("PGFLOW-047 worker " + workerId + " could not hand back its tasks (they return when their leases expire): "
                    + e.getMessage());
            return -1;
        }
    }

    Duration shutdownTimeout() {
        return settings.shutdownTimeout();
    }

    private String describe(Task task) {
        return execution.describe(task);
    }
}
