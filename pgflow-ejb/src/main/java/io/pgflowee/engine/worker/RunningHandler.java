package io.pgflowee.engine.worker;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A handler running a task on a pooled thread: its deadline, whether it timed out or its run was
 * cancelled meanwhile, and the one way to interrupt it. Interrupts (timeout, run cancelled,
 * shutdown grace over) reach the thread only until the handler has {@link #finish() finished}, so a
 * late one cannot hit the next task that the pool gives the same thread.
 */
final class RunningHandler {
    private final Thread thread = Thread.currentThread();
    private final long deadlineNanos;
    private final AtomicBoolean timedOut = new AtomicBoolean();
    private final AtomicBoolean runCancelled = new AtomicBoolean();
    private boolean finished;

    /** @param timeoutNanos from now ({@link System#nanoTime()}) */
    RunningHandler(long timeoutNanos) {
        this.deadlineNanos = System.nanoTime() + timeoutNanos;
    }

    AtomicBoolean runCancelled() {
        return runCancelled;
    }

    AtomicBoolean timedOut() {
        return timedOut;
    }

    /**
     * Times the handler out when its deadline has passed at {@code nowNanos}: marks it timed out and
     * interrupts its thread, once. Returns whether it did.
     */
    boolean timeOutIfDue(long nowNanos) {
        if (nowNanos - deadlineNanos >= 0 && timedOut.compareAndSet(false, true)) {
            interruptIfRunning();
            return true;
        }
        return false;
    }

    synchronized void interruptIfRunning() {
        if (!finished) {
            thread.interrupt();
        }
    }

    /** Called by the handler's own thread when it is done: no interrupt after this, and a pending one is cleared. */
    synchronized void finish() {
        finished = true;
        Thread.interrupted();
    }
}
