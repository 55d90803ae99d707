package io.pgflowee.engine.worker;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A handler running a task on a pooled thread: whether the task's run was cancelled meanwhile,
 * and the one way to interrupt it. Interrupts (timeout, run cancelled, shutdown grace over) reach
 * the thread only until the handler has {@link #finish() finished}, so a late one cannot hit the
 * next task that the pool gives the same thread.
 */
final class RunningHandler {
    private final Thread thread = Thread.currentThread();
    private final AtomicBoolean runCancelled = new AtomicBoolean();
    private boolean finished;

    AtomicBoolean runCancelled() {
        return runCancelled;
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
