package io.pgflowee.engine.client;

import io.pgflowee.client.AwaitTimeoutException;
import io.pgflowee.client.EventPublisher;
import io.pgflowee.client.PgflowException;
import io.pgflowee.client.RunEvent;
import io.pgflowee.client.RunHandleBase;
import io.pgflowee.client.RunStatus;
import io.pgflowee.client.StartOptions;
import io.pgflowee.engine.events.RunEventHub;

import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** A run of {@link InProcessPgflow}: reads are one statement, {@code await} and events follow the server's event hub. */
final class InProcessRunHandle<O> extends RunHandleBase<O> {

    /** The first re-read after a watch opens (a transition that committed while it opened sent no event). */
    static final long FIRST_RECHECK_MS = 1_000;
    /** Later re-reads: a safety net, not the way the end is noticed. */
    static final long RECHECK_MS = 10_000;

    private final InProcessPgflow pgflow;

    InProcessRunHandle(InProcessPgflow pgflow, UUID runId, String flowSlug, java.lang.reflect.Type outputType, boolean created) {
        super(runId, flowSlug, outputType, created, pgflow.json());
        this.pgflow = pgflow;
    }

    @Override
    public RunStatus status() {
        return pgflow.status(runId());
    }

    @Override
    public O await(Duration timeout) {
        if (pgflow.startedInThisTransaction(runId())) {
            throw new IllegalStateException("run " + runId() + " was started in the transaction that is still open: nobody else sees it"
                    + " before that transaction commits, so it cannot end within it. Await after the commit (for example in an"
                    + " @Observes(during = AFTER_SUCCESS) method or another request), or start it with StartOptions.withOwnTransaction()");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        ReentrantLock lock = new ReentrantLock();
        Condition changed = lock.newCondition();
        boolean[] signalled = {false};
        RunEventHub.Watcher watcher = new RunEventHub.Watcher() {
            @Override
            public void event(io.pgflowee.engine.events.RunEvent event) {
                if (event.terminal()) {
                    wake();
                }
            }

            @Override
            public void reconnected() {
                wake();
            }

            private void wake() {
                lock.lock();
                try {
                    signalled[0] = true;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        };
        try (RunEventHub.Watch watch = pgflow.hub().watch(runId(), null, watcher)) {
            long nextCheck = FIRST_RECHECK_MS;
            while (true) {
                RunStatus status = status();
                if (status.state().ended()) {
                    return outcome(status);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AwaitTimeoutException(runId(), flowSlug(), timeout, status.state());
                }
                lock.lock();
                try {
                    long wait = Math.min(left, TimeUnit.MILLISECONDS.toNanos(nextCheck));
                    while (!signalled[0] && wait > 0) {
                        wait = changed.awaitNanos(wait);
                    }
                    signalled[0] = false;
                } finally {
                    lock.unlock();
                }
                nextCheck = RECHECK_MS;
            }
        } catch (SQLException e) {
            throw new PgflowException("Database unavailable", "cannot watch run " + runId() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgflowException("Interrupted", "interrupted while awaiting " + this, e);
        }
    }

    @Override
    public RunStatus cancel(String reason) {
        pgflow.call(StartOptions.defaults(), () -> pgflow.engine().cancelRun(runId(), reason));
        return status();
    }

    @Override
    public RunStatus retry() {
        pgflow.call(StartOptions.defaults(), () -> pgflow.engine().retryRun(runId(), "java client"));
        return status();
    }

    /**
     * The run's events: the watch opens first, then its history is read from the tables and sent,
     * then live events follow (an event both read and received is sent once, by id).
     */
    @Override
    public Flow.Publisher<RunEvent> events() {
        return new EventPublisher(sink -> {
            Set<String> sent = new HashSet<>();
            Object guard = new Object();
            boolean[] replayed = {false};
            List<io.pgflowee.engine.events.RunEvent> early = new java.util.ArrayList<>();
            RunEventHub.Watch watch = pgflow.hub().watch(runId(), null, new RunEventHub.Watcher() {
                @Override
                public void event(io.pgflowee.engine.events.RunEvent event) {
                    synchronized (guard) {
                        if (!replayed[0]) {
                            early.add(event);
                            return;
                        }
                        deliver(event, sent, sink);
                    }
                }

                @Override
                public void reconnected() {
                    synchronized (guard) {
                        try {
                            pgflow.hub().runHistory(runId(), Long.MIN_VALUE).orElse(List.of()).forEach(e -> deliver(e, sent, sink));
                        } catch (SQLException e) {
                            sink.fail(new PgflowException("Database unavailable", "events of run " + runId() + " lost: " + e.getMessage(), e));
                        }
                    }
                }
            });
            try {
                List<io.pgflowee.engine.events.RunEvent> history = pgflow.hub().runHistory(runId(), Long.MIN_VALUE).orElseThrow(
                        () -> new io.pgflowee.client.RefusedException(io.pgflowee.client.RefusedException.Kind.NOT_FOUND, "Unknown run",
                                "run " + runId() + " does not exist"));
                synchronized (guard) {
                    history.forEach(e -> deliver(e, sent, sink));
                    early.stream().sorted(io.pgflowee.engine.events.RunEvent.ORDER).forEach(e -> deliver(e, sent, sink));
                    replayed[0] = true;
                }
            } catch (RuntimeException | SQLException e) {
                watch.close();
                throw e;
            }
            return watch;
        }, pgflow.executor());
    }

    private static void deliver(io.pgflowee.engine.events.RunEvent e, Set<String> sent, EventPublisher.Sink sink) {
        if (sink.closed() || !sent.add(e.id())) {
            return;
        }
        sink.next(new RunEvent(e.id(), e.type(), e.runId(), e.flowSlug(), e.stepSlug(), e.status(), e.at()));
        if (e.terminal()) {
            sink.end();
        }
    }
}
