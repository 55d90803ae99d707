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
 * next poll. It also takes the tasks claimed with a batch of completions ({@link ReportBatcher.NextTasks}):
 * the free slots are reserved for that call, and a claim that found them reserved runs again once
 * they are given back.
 */
final class ClaimLoop implements ReportBatcher.NextTasks {

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
    /** No claim before this time (epoch ms): {@link #throttle(long)}. */
    private volatile long throttledUntil;
    /** Reservations for claims made with reports, not given back yet. */
    private final java.util.concurrent.atomic.AtomicInteger reservations = new java.util.concurrent.atomic.AtomicInteger();
    /** A claim found no free slot while a reservation held some: claim again when it ends. */
    private final AtomicBoolean missedWhileReserved = new AtomicBoolean();

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

    /**
     * Claims nothing until {@code untilMillis} (epoch ms): the last claim got nothing because a rate
     * limit holds the tasks back until its next token (wake-ups and polls before then are ignored;
     * the worker triggers a claim at that time).
     */
    void throttle(long untilMillis) {
        throttledUntil = untilMillis;
    }

    /** Claims now (or makes the claim running now go round again), unless a rate limit holds the tasks back. */
    void poll() {
        if (System.currentTimeMillis() < throttledUntil) {
            return;
        }
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

    /**
     * Takes the free slots (at most the batch size) for a claim made with a report; none while
     * stopping, and none while the last claim was full: with tasks waiting, this loop claims as
     * handlers end, beside the reports (measured: claiming only with the reports, one call at a
     * time, sustained 10-20 % fewer steps/s at saturation; at moderate load the reports' claims
     * take a run's next step without a wake-up).
     */
    @Override
    public int reserve() {
        if (stopping.getAsBoolean() || lastClaimFull) {
            return 0;
        }
        reservations.incrementAndGet();
        int taken = takeFreeSlots();
        if (taken == 0) {
            reservations.decrementAndGet();
        }
        return taken;
    }

    /**
     * Starts the tasks a report claimed (their slots were reserved), gives the unused slots back
     * and claims again when a claim missed them or this one was full.
     */
    @Override
    public void claimed(List<Task> tasks, int reserved) {
        if (reserved == 0) {
            return;
        }
        startInTakenSlots(tasks, reserved);
        reservations.decrementAndGet();
        if (missedWhileReserved.getAndSet(false) || lastClaimFull) {
            trigger();
        }
    }

    /** Whether the last claim got all it asked for (tasks are likely waiting). */
    boolean lastClaimFull() {
        return lastClaimFull;
    }

    private void claimWhileSlotsAndTasks() {
        try {
            while (!stopping.getAsBoolean()) {
                // the slots are taken before the claim (and the unused ones given back after it), so
                // that this claim and one made with a report never hold more tasks than there are slots
                int asked = takeFreeSlots();
                if (asked == 0) {
                    if (reservations.get() > 0) {
                        missedWhileReserved.set(true); // the reservation's end claims again
                        if (reservations.get() == 0 && slots.availablePermits() > 0) {
                            continue; // it ended meanwhile, perhaps before it could see the flag
                        }
                    }
                    return; // lastClaimFull stays as it was: the next freed slot claims again if it was full
                }
                List<Task> tasks;
                try {
                    tasks = claims.claim(asked);
                } catch (Exception e) {
                    slots.release(asked);
                    throw e;
                }
                startInTakenSlots(tasks, asked);
                if (!lastClaimFull) {
                    return;
                }
            }
        } catch (Exception e) {
            lastClaimFull = false; // back to polling until a claim works again
            problem.accept(e);
        }
    }

    /**
     * Starts claimed tasks in the {@code taken} slots a claim took before it ran, gives the unused
     * back, and records whether the claim got all it asked for.
     */
    private void startInTakenSlots(List<Task> tasks, int taken) {
        lastClaimFull = tasks.size() == taken;
        for (Task task : tasks) {
            start.accept(task);
        }
        slots.release(taken - tasks.size());
    }

    /** Takes the free slots, at most the batch size; returns how many. */
    private int takeFreeSlots() {
        int taken = 0;
        while (taken < batchSize && slots.tryAcquire()) {
            taken++;
        }
        return taken;
    }
}
