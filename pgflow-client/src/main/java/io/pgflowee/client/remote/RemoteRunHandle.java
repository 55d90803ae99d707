package io.pgflowee.client.remote;

import io.pgflowee.client.AwaitTimeoutException;
import io.pgflowee.client.EventPublisher;
import io.pgflowee.client.PgflowException;
import io.pgflowee.client.RunEvent;
import io.pgflowee.client.RunHandleBase;
import io.pgflowee.client.RunStatus;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A run of a {@link RemotePgflow}: reads and actions are requests, {@code await} and events follow the run's SSE stream. */
final class RemoteRunHandle<O> extends RunHandleBase<O> {

    private final RemotePgflow client;

    RemoteRunHandle(RemotePgflow client, UUID runId, String flowSlug, java.lang.reflect.Type outputType, boolean created) {
        super(runId, flowSlug, outputType, created, client.json());
        this.client = client;
    }

    @Override
    public RunStatus status() {
        return client.status(runId());
    }

    @Override
    public O await(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            awaitEndEvent(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), timeout);
            RunStatus status = status();
            if (status.state().ended()) {
                return outcome(status);
            }
            // retried between its end event and this read: it runs again, wait for its next end
        }
    }

    private void awaitEndEvent(Duration left, Duration timeout) {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        try (SseRunStream stream = SseRunStream.open(client, runId(), new EventPublisher.Sink() {
            @Override
            public void next(RunEvent event) {
                if (event.terminal()) {
                    ended.complete(null);
                }
            }

            @Override
            public void end() {
                ended.complete(null);
            }

            @Override
            public void fail(Throwable error) {
                ended.completeExceptionally(error);
            }

            @Override
            public boolean closed() {
                return ended.isDone();
            }
        })) {
            ended.get(left.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AwaitTimeoutException(runId(), flowSlug(), timeout, status().state());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PgflowException p ? p : new PgflowException("Await failed", String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgflowException("Interrupted", "interrupted while awaiting " + this, e);
        }
    }

    @Override
    public RunStatus cancel(String reason) {
        return client.cancel(runId(), reason);
    }

    @Override
    public RunStatus retry() {
        return client.retry(runId());
    }

    @Override
    public Flow.Publisher<RunEvent> events() {
        return new EventPublisher(sink -> SseRunStream.open(client, runId(), sink), Runnable::run);
    }
}
