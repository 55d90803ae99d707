package io.pgflowee.client.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.pgflowee.client.RunEvent;
import io.pgflowee.client.RunHandle;

/**
 * For tests of both clients (test-jar): subscribes to a run's {@code events()} and collects them
 * until the publisher completes (the run ended), failing when it signals an error or does not
 * complete in time.
 */
public final class RunEvents {

    private RunEvents() {
    }

    /** The run's events as "type" or "type step", in the order delivered. */
    public static List<String> of(RunHandle<?> run, Duration timeout) throws Exception {
        return of(run, timeout, e -> e.stepSlug() == null ? e.type() : e.type() + " " + e.stepSlug());
    }

    /** The run's events described by {@code describe}, in the order delivered. */
    public static List<String> of(RunHandle<?> run, Duration timeout, Function<RunEvent, String> describe) throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> done = new CompletableFuture<>();
        run.events().subscribe(new Flow.Subscriber<RunEvent>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(RunEvent e) {
                seen.add(describe.apply(e));
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        });
        done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return List.copyOf(seen);
    }
}
