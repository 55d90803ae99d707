package io.pgflowee.client.remote;

import io.pgflowee.api.json.Jsonp;
import io.pgflowee.client.EventPublisher;
import io.pgflowee.client.PgflowException;
import io.pgflowee.client.RunEvent;

import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import jakarta.json.JsonObject;

/**
 * One run's server-sent events ({@code GET /api/runs/{id}/events}) for as long as it is open: the
 * run's transitions so far, then live ones, until the run ends (the server then closes the stream).
 * A stream that drops, or a server that is briefly unavailable (5xx), is reopened after a pause
 * (0.5 s doubling to 5 s) with {@code Last-Event-ID}; events already delivered are dropped by id.
 * A 4xx answer ends it with the problem's exception. Holds no thread: the JDK HTTP client calls back.
 */
final class SseRunStream implements AutoCloseable {

    /** Consecutive failed connections before the stream gives up. */
    static final int MAX_FAILURES = 20;

    private final RemotePgflow client;
    private final UUID runId;
    private final EventPublisher.Sink sink;
    private final Set<String> seen = new HashSet<>();
    private volatile boolean closed;
    private volatile Flow.Subscription subscription;
    private volatile String lastEventId;
    private volatile boolean terminal;
    private int failures;

    private SseRunStream(RemotePgflow client, UUID runId, EventPublisher.Sink sink) {
        this.client = client;
        this.runId = runId;
        this.sink = sink;
    }

    static SseRunStream open(RemotePgflow client, UUID runId, EventPublisher.Sink sink) {
        SseRunStream stream = new SseRunStream(client, runId, sink);
        stream.connect();
        return stream;
    }

    private void connect() {
        if (closed || sink.closed()) {
            return;
        }
        HttpRequest request = client.eventsRequest(runId, lastEventId).GET().build();
        client.http().sendAsync(request, info -> info.statusCode() == 200
                        ? HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.fromLineSubscriber(new Lines()), v -> (String) null)
                        : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8))
                .whenComplete((response, error) -> ended(request, response, error));
    }

    private void ended(HttpRequest request, HttpResponse<String> response, Throwable error) {
        if (closed || sink.closed()) {
            return;
        }
        if (error == null && response.statusCode() == 200 && terminal) {
            sink.end();
            return;
        }
        if (error == null && response.statusCode() / 100 == 4) {
            sink.fail(RemotePgflow.problem(request, response.statusCode(), response.body()));
            return;
        }
        if (error == null && response.statusCode() == 200) {
            failures = 0; // the server closed a healthy stream (it stopped, say): open it again
        } else if (++failures > MAX_FAILURES) {
            Throwable cause = error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
            sink.fail(cause instanceof IOException io ? RemotePgflow.unreachable(request, io)
                    : error != null ? new PgflowException("Event stream failed", String.valueOf(cause), cause)
                    : RemotePgflow.problem(request, response.statusCode(), response.body()));
            return;
        }
        long pause = Math.min(5_000L, 500L << Math.min(failures, 4));
        CompletableFuture.runAsync(this::connect, CompletableFuture.delayedExecutor(failures == 0 ? 100 : pause, TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
        closed = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }

    /** Reads the event stream line by line: {@code id:}, {@code event:}, {@code data:}, a blank line ends an event. */
    private final class Lines implements Flow.Subscriber<String> {
        private String id;
        private final StringBuilder data = new StringBuilder();

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (closed) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(String line) {
            if (line.isEmpty()) {
                dispatch();
            } else if (line.startsWith("id:")) {
                id = value(line);
            } else if (line.startsWith("data:")) {
                data.append(data.length() > 0 ? "\n" : "").append(value(line));
            }
            // "event:" repeats the data's eventType; ":" lines are keep-alive comments
        }

        private void dispatch() {
            if (id != null && data.length() > 0 && seen.add(id)) {
                lastEventId = id;
                RunEvent event = event(id, data.toString());
                if (event.terminal()) {
                    terminal = true;
                }
                if (!closed) {
                    sink.next(event);
                }
            }
            id = null;
            data.setLength(0);
        }

        @Override
        public void onError(Throwable throwable) {
            // whenComplete of the request sees it and reconnects
        }

        @Override
        public void onComplete() {
            dispatch();
        }
    }

    private static String value(String line) {
        String v = line.substring(line.indexOf(':') + 1);
        return v.startsWith(" ") ? v.substring(1) : v;
    }

    static RunEvent event(String id, String data) {
        try (var reader = Jsonp.createReader(new StringReader(data))) {
            JsonObject o = reader.readObject();
            return new RunEvent(id, o.getString("eventType"), UUID.fromString(o.getString("runId")), o.getString("flowSlug"),
                    o.containsKey("stepSlug") && !o.isNull("stepSlug") ? o.getString("stepSlug") : null, o.getString("status", null),
                    Instant.parse(o.getString("at")));
        } catch (RuntimeException e) {
            throw new PgflowException("Unexpected event", "event " + id + " is not a run event: " + data, e);
        }
    }
}
