package io.pgflowee.engine.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A worker's outcomes, reported together: a completion or failure waits at most {@code linger} (or
 * until {@code maxBatch} are waiting) and goes with the others of its kind in one call
 * ({@code complete_tasks}, {@code fail_tasks}; completions first). When a batch call fails, its
 * reports are made one by one, so that one bad task cannot hold the others back; one that still
 * fails is logged, and its lease returns the task (as after a crash between handler and report:
 * nothing is lost, the task runs again). One batch is in flight at a time, in the order the
 * handlers ended. A batch of completions can also claim the worker's next tasks ({@link NextTasks}:
 * the free slots are taken before the call, the claimed tasks start in them after it, the slots
 * left over go back, also when the call fails).
 */
final class ReportBatcher {

    /** A handler's outcome, to report: its output, or (when {@code error} is not null) its failure. */
    record Report(Task task, String output, String error) {
        boolean failure() {
            return error != null;
        }
    }

    /** The database calls. */
    interface Reports {
        /** Completes the batch and claims up to {@code claim} tasks in the same call (none when 0); returns them. */
        List<Task> completeAll(List<Report> completions, int claim) throws Exception;

        void failAll(List<Report> failures) throws Exception;

        /** One completion or failure on its own. */
        void reportOne(Report report) throws Exception;
    }

    /** Where the tasks claimed with a batch of completions go. */
    interface NextTasks {
        /** Takes free slots for the tasks a report may claim; 0: claim nothing. */
        int reserve();

        /** Starts the tasks claimed with a report, each in one of the {@code reserved} slots, and gives the others back. */
        void claimed(List<Task> tasks, int reserved);

        NextTasks NONE = new NextTasks() {
            @Override
            public int reserve() {
                return 0;
            }

            @Override
            public void claimed(List<Task> tasks, int reserved) {
            }
        };
    }

    private final Reports reports;
    private final NextTasks next;
    private final ScheduledExecutorService scheduler;
    private final long lingerMicros;
    private final int maxBatch;
    private final BiConsumer<Report, Exception> lost;
    private final List<Report> pending = new ArrayList<>();
    private final Object sending = new Object();
    private boolean flushScheduled;

    /** Without claiming: {@link NextTasks#NONE}. */
    ReportBatcher(Reports reports, ScheduledExecutorService scheduler, java.time.Duration linger, int maxBatch,
                  BiConsumer<Report, Exception> lost) {
        this(reports, NextTasks.NONE, scheduler, linger, maxBatch, lost);
    }

    /**
     * @param next takes the tasks claimed with completions
     * @param lost told of an outcome that could not be reported (its lease will return the task)
     */
    ReportBatcher(Reports reports, NextTasks next, ScheduledExecutorService scheduler, java.time.Duration linger, int maxBatch,
                  BiConsumer<Report, Exception> lost) {
        this.reports = reports;
        this.next = next;
        this.scheduler = scheduler;
        this.lingerMicros = Math.max(0, linger.toNanos() / 1000);
        this.maxBatch = Math.max(1, maxBatch);
        this.lost = lost;
    }

    /** Queues a completion; it is reported within the linger. */
    void complete(Task task, String output) {
        add(new Report(task, output, null));
    }

    /** Queues a failure (the handler's error); it is reported within the linger. */
    void fail(Task task, String error) {
        add(new Report(task, null, java.util.Objects.requireNonNull(error, "error")));
    }

    private void add(Report report) {
        boolean full;
        boolean schedule = false;
        synchronized (this) {
            pending.add(report);
            full = pending.size() >= maxBatch;
            if (!full && !flushScheduled) {
                flushScheduled = true;
                schedule = true;
            }
        }
        try {
            if (full) {
                scheduler.execute(this::flush);
            } else if (schedule) {
                scheduler.schedule(this::flush, lingerMicros, TimeUnit.MICROSECONDS);
            }
        } catch (RuntimeException e) {
            flush(); // the scheduler is shutting down: report on this thread
        }
    }

    /** Reports everything queued now, on the calling thread (also at shutdown). */
    void flush() {
        synchronized (sending) {
            while (true) {
                List<Report> batch;
                synchronized (this) {
                    if (pending.isEmpty()) {
                        flushScheduled = false;
                        return;
                    }
                    List<Report> head = pending.subList(0, Math.min(maxBatch, pending.size()));
                    batch = new ArrayList<>(head);
                    head.clear();
                }
                sendCompletions(batch.stream().filter(r -> !r.failure()).toList());
                send(batch.stream().filter(Report::failure).toList(), reports::failAll);
            }
        }
    }

    /** How many completions wait to be reported. */
    synchronized int pending() {
        return pending.size();
    }

    /** A call with reports of one kind. */
    private interface BatchCall {
        void send(List<Report> batch) throws Exception;
    }

    /** Completions, claiming into the slots {@link NextTasks#reserve()} took; the slots go back whatever happens. */
    private void sendCompletions(List<Report> batch) {
        if (batch.isEmpty()) {
            return;
        }
        int reserved = next.reserve();
        List<Task> claimed = new ArrayList<>();
        try {
            send(batch, completions -> claimed.addAll(reports.completeAll(completions, reserved)));
        } finally {
            next.claimed(claimed, reserved);
        }
    }

    private void send(List<Report> batch, BatchCall call) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            call.send(batch);
            return;
        } catch (Exception e) {
            if (batch.size() == 1) {
                lost.accept(batch.get(0), e);
                return;
            }
        }
        for (Report r : batch) {
            try {
                reports.reportOne(r);
            } catch (Exception e) {
                lost.accept(r, e);
            }
        }
    }
}
