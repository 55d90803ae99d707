package io.pgflowee.engine.worker;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A worker's claiming: while it has free handler slots and the queue has tasks, it claims as many
 * tasks as slots are free (at most {@code batchSize}) in one call, takes a slot for each and starts
 * it. One claim runs at a time; a trigger that arrives meanwhile makes the running one go round
 * again. Three things trigger it: the poll interval (the fallback of an idle worker), a wake-up
 * ({@code pgflow_tasks}), and a freed slot when the last claim was full ({@link #slotFreed()}): a
 * busy worker that saw queued tasks claims again as soon as a handler ends, without waiting for the
 * next poll.
 */
final class ClaimLoop {

    /** One {@code claim_tasks} call. */
    interface Claims {
        List<Task> claim(int max) throws Exception;
    }

    private final Semaphore slots;
    private final int batchSize;
    private final Claims claims;
    private final Consumer<Task> start;
    private final Executor executor;
    private final BooleanSupplier stopping;
    private final Consumer<Exception> problem;
    private final AtomicBoolean polling = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    /** A poll handed to the executor and not begun yet: at most one waits there. */
    private final AtomicBoolean queued = new AtomicBoolean();
    private volatile boolean lastClaimFull;

    /**
     * @param slots the worker's handler slots; the loop takes one per task it starts (the handler gives it back)
     * @param start runs a claimed task (its slot taken)
     * @param executor where a claim triggered by a freed slot runs
     * @param problem told when a claim fails (the next trigger tries again)
     */
    ClaimLoop(Semaphore slots, int batchSize, Claims claims, Consumer<Task> start, Executor executor, BooleanSupplier stopping,
              Consumer<Exception> problem) {
        this.slots = slots;
        this.batchSize = batchSize;
        this.claims = claims;
        this.start = start;
        this.executor = executor;
        this.stopping = stopping;
        this.problem = problem;
    }

    /** Claims now (or makes the claim running now go round again). */
    void poll() {
        again.set(true);
        while (again.get() && polling.compareAndSet(false, true)) {
            try {
                while (again.getAndSet(false) && !stopping.getAsBoolean()) {
                    claimWhileSlotsAndTasks();
                }
            } finally {
                polling.set(false);
            }
        }
    }

    /** A handler ended and gave its slot back: claim at once when the last claim found the queue full. */
    void slotFreed() {
        if (lastClaimFull) {
            trigger();
        }
    }

    /**
     * Claims soon on the executor (a wake-up, a freed slot): a claim running now goes round again,
     * otherwise one poll is handed to the executor, unless one already waits there. However many
     * handlers end or wake-ups arrive, at most one poll waits in the executor's queue (without this,
     * every ended handler queued one: 60,000 and more at 2,000 tasks/s behind a busy scheduler).
     */
    void trigger() {
        if (stopping.getAsBoolean()) {
            return;
        }
        again.set(true);
        if (polling.get() || !queued.compareAndSet(false, true)) {
            return; // the running claim sees again (it checks it after it stops), or the queued poll will run
        }
        try {
            executor.execute(() -> {
                queued.set(false);
                poll();
            });
        } catch (RuntimeException e) {
            queued.set(false); // the executor is shutting down: so is the worker
        }
    }

    /** Whether the last claim got all it asked for (tasks are likely waiting). */
    boolean lastClaimFull() {
        return lastClaimFull;
    }

    private void claimWhileSlotsAndTasks() {
        try {
            while (!stopping.getAsBoolean()) {
                int free = slots.availablePermits();
                if (free == 0) {
                    return; // lastClaimFull stays as it was: the next freed slot claims again if it was full
                }
                int asked = Math.min(batchSize, free);
                List<Task> tasks = claims.claim(asked);
                lastClaimFull = tasks.size() == asked;
                for (Task task : tasks) {
                    slots.acquireUninterruptibly();
                    start.accept(task);
                }
                if (!lastClaimFull) {
                    return;
                }
            }
        } catch (Exception e) {
            lastClaimFull = false; // back to polling until a claim works again
            problem.accept(e);
        }
    }
}
