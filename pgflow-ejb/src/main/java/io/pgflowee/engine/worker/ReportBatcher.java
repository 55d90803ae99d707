package io.pgflowee.engine.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A worker's completions, reported together: a completion waits at most {@code linger} (or until
 * {@code maxBatch} are waiting) and goes with the others in one {@code complete_tasks} call. When a
 * batch call fails, its completions are reported one by one, so that one bad task cannot hold the
 * others back; one that still fails is logged, and its lease returns the task (as after a crash
 * between handler and report: nothing is lost, the task runs again). One report is in flight at a
 * time, in the order the handlers ended.
 */
final class ReportBatcher {

    /** A handler's output, to report. */
    record Completion(Task task, String output) {
    }

    /** The database calls. */
    interface Reports {
        void completeAll(List<Completion> batch) throws Exception;

        void completeOne(Completion completion) throws Exception;
    }

    private final Reports reports;
    private final ScheduledExecutorService scheduler;
    private final long lingerMicros;
    private final int maxBatch;
    private final BiConsumer<Completion, Exception> lost;
    private final List<Completion> pending = new ArrayList<>();
    private final Object sending = new Object();
    private boolean flushScheduled;

    /** @param lost told of a completion that could not be reported (its lease will return the task) */
    ReportBatcher(Reports reports, ScheduledExecutorService scheduler, java.time.Duration linger, int maxBatch,
                  BiConsumer<Completion, Exception> lost) {
        this.reports = reports;
        this.scheduler = scheduler;
        this.lingerMicros = Math.max(0, linger.toNanos() / 1000);
        this.maxBatch = Math.max(1, maxBatch);
        this.lost = lost;
    }

    /** Queues a completion; it is reported within the linger. */
    void complete(Task task, String output) {
        boolean full;
        boolean schedule = false;
        synchronized (this) {
            pending.add(new Completion(task, output));
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
                List<Completion> batch;
                synchronized (this) {
                    if (pending.isEmpty()) {
                        flushScheduled = false;
                        return;
                    }
                    List<Completion> head = pending.subList(0, Math.min(maxBatch, pending.size()));
                    batch = new ArrayList<>(head);
                    head.clear();
                }
                send(batch);
            }
        }
    }

    /** How many completions wait to be reported. */
    synchronized int pending() {
        return pending.size();
    }

    private void send(List<Completion> batch) {
        try {
            reports.completeAll(batch);
            return;
        } catch (Exception e) {
            if (batch.size() == 1) {
                lost.accept(batch.get(0), e);
                return;
            }
        }
        for (Completion c : batch) {
            try {
                reports.completeOne(c);
            } catch (Exception e) {
                lost.accept(c, e);
            }
        }
    }
}
