package io.pgflowee.client;

import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;

/**
 * A cold {@link Flow.Publisher} of a run's events: each subscriber gets a source of its own,
 * started when it subscribes and closed when it cancels or the run ends. Implementations supply the
 * source (the engine's event hub, an SSE stream).
 */
public final class EventPublisher implements Flow.Publisher<RunEvent> {

    /** Feeds one subscriber: {@link Sink#next} per event, {@link Sink#end} or {@link Sink#fail} once. */
    public interface Source {
        /** Starts delivering to {@code sink}; returns what closes the source early. */
        AutoCloseable open(Sink sink) throws Exception;
    }

    /** Where a source delivers. */
    public interface Sink {
        void next(RunEvent event);

        void end();

        void fail(Throwable error);

        /** Whether the subscriber is gone (the source may stop). */
        boolean closed();
    }

    private final Source source;
    private final Executor executor;

    public EventPublisher(Source source, Executor executor) {
        this.source = source;
        this.executor = executor;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super RunEvent> subscriber) {
        SubmissionPublisher<RunEvent> publisher = new SubmissionPublisher<>(executor, Flow.defaultBufferSize());
        AutoCloseable[] closer = new AutoCloseable[1];
        publisher.subscribe(new Flow.Subscriber<RunEvent>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscriber.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                        subscription.request(n);
                    }

                    @Override
                    public void cancel() {
                        subscription.cancel();
                        publisher.close();
                        closeQuietly(closer[0]);
                    }
                });
            }

            @Override
            public void onNext(RunEvent item) {
                subscriber.onNext(item);
            }

            @Override
            public void onError(Throwable throwable) {
                subscriber.onError(throwable);
            }

            @Override
            public void onComplete() {
                subscriber.onComplete();
            }
        });
        // the source may call from a thread that must not block (the server's event listener): events
        // queue here without bound and one task at a time hands them to the publisher on the executor
        java.util.Queue<Object> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable drain = new Runnable() {
            @Override
            public void run() {
                do {
                    for (Object item = queue.poll(); item != null; item = queue.poll()) {
                        if (item instanceof RunEvent event) {
                            if (!publisher.isClosed()) {
                                publisher.submit(event);
                            }
                        } else if (item instanceof Throwable error) {
                            publisher.closeExceptionally(error);
                        } else {
                            publisher.close();
                        }
                    }
                    draining.set(false);
                } while (!queue.isEmpty() && draining.compareAndSet(false, true));
            }
        };
        Runnable schedule = () -> {
            if (draining.compareAndSet(false, true)) {
                executor.execute(drain);
            }
        };
        Sink sink = new Sink() {
            private volatile boolean ended;

            @Override
            public void next(RunEvent event) {
                if (!ended) {
                    queue.add(event);
                    schedule.run();
                }
            }

            @Override
            public void end() {
                if (!ended) {
                    ended = true;
                    queue.add(Boolean.TRUE);
                    schedule.run();
                    closeQuietly(closer[0]);
                }
            }

            @Override
            public void fail(Throwable error) {
                if (!ended) {
                    ended = true;
                    queue.add(error);
                    schedule.run();
                    closeQuietly(closer[0]);
                }
            }

            @Override
            public boolean closed() {
                return ended || publisher.isClosed();
            }
        };
        try {
            closer[0] = source.open(sink);
            if (sink.closed()) {
                closeQuietly(closer[0]);
            }
        } catch (Exception e) {
            publisher.closeExceptionally(e);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                // closing an ended source: nothing to tell anyone
            }
        }
    }
}
