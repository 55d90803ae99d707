package io.pgflowee.client.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.TypedFlow;
import io.pgflowee.client.PgflowException;
import io.pgflowee.client.RefusedException;
import io.pgflowee.client.RunFailedException;
import io.pgflowee.client.RunHandle;

/**
 * What a real server rarely does on cue, played by a loopback HTTP server: a start whose
 * connection drops is sent again with the same Idempotency-Key; an event stream that drops is
 * reopened with Last-Event-ID and replayed events are dropped by id; problems and non-problem
 * error pages become typed exceptions. (The real server: ClientIT in pgflow-it.)
 */
class RemotePgflowTest {

    /** A typed flow as users write them. */
    public static class Echo implements TypedFlow<Echo.In, Echo.Out> {
        public record In(String word) {
        }

        public record Out(String echo) {
        }

        @Override
        public Flow<In> flow() {
            Flow<In> flow = Flow.define("echo", In.class);
            flow.step("echo", String.class).run(in -> in.word());
            return flow;
        }
    }

    private HttpServer server;
    private RemotePgflow client;
    private final UUID run = UUID.fromString("0191b5c2-0000-7000-8000-000000000001");
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Map<String, List<String>> headers = new ConcurrentHashMap<>();

    @BeforeEach
    void server() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.start();
        client = RemotePgflow.builder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"))
                .basicAuth("svc", "s3cret").build();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void record(HttpExchange ex) {
        requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
        for (String h : List.of("Idempotency-Key", "Last-Event-ID", "Authorization", "Prefer")) {
            String v = ex.getRequestHeaders().getFirst(h);
            if (v != null) {
                headers.computeIfAbsent(h, k -> new CopyOnWriteArrayList<>()).add(v);
            }
        }
    }

    private static void answer(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private String detail(String status, String output, String steps) {
        return "{\"run\": {\"runId\": \"" + run + "\", \"flowSlug\": \"echo\", \"status\": \"" + status + "\", \"output\": " + output
                + ", \"remainingSteps\": 0, \"startedAt\": \"2026-12-03T10:00:00Z\", \"completedAt\": "
                + ("completed".equals(status) ? "\"2026-12-03T10:00:01Z\"" : "null") + ", \"failedAt\": "
                + ("failed".equals(status) ? "\"2026-12-03T10:00:02Z\"" : "null") + ", \"cancelledAt\": null, \"cancelReason\": null},"
                + " \"steps\": " + steps + "}";
    }

    @Test
    void aStartWhoseConnectionDropsIsSentAgainWithTheSameIdempotencyKey() {
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/api/flows/echo/runs", ex -> {
            record(ex);
            if (calls.incrementAndGet() == 1) {
                ex.close(); // the request reached the server; the answer never reaches the client
                return;
            }
            answer(ex, 200, "application/json", detail("started", "null", "[]"));
        });

        RunHandle<Echo.Out> handle = client.start(Echo.class, new Echo.In("hi"));

        assertThat(handle.runId()).isEqualTo(run);
        assertThat(handle.created()).as("200: the run the first attempt started").isFalse();
        assertThat(requests).containsExactly("POST /api/flows/echo/runs", "POST /api/flows/echo/runs");
        assertThat(headers.get("Idempotency-Key")).hasSize(2).allMatch(k -> k.startsWith("client:"));
        assertThat(headers.get("Idempotency-Key").get(1)).isEqualTo(headers.get("Idempotency-Key").get(0));
        assertThat(headers.get("Authorization")).containsOnly("Basic c3ZjOnMzY3JldA==");
        assertThat(headers.get("Prefer")).containsOnly("return=minimal");
    }

    @Test
    void aDroppedEventStreamIsReopenedWithLastEventIdAndNothingIsDeliveredTwice() throws Exception {
        String started = "1000/0/" + run + "/";
        String completed = "2000/4/" + run + "/";
        AtomicInteger streams = new AtomicInteger();
        server.createContext("/api/runs/" + run + "/events", ex -> {
            record(ex);
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write(event(started, "run:started", "started", "2026-12-03T10:00:00.000000Z"));
            if (streams.incrementAndGet() == 1) {
                out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                ex.close(); // dropped before the run ended
                return;
            }
            out.write(event(completed, "run:completed", "completed", "2026-12-03T10:00:01.000000Z"));
            out.close();
        });
        server.createContext("/api/runs/" + run, ex -> {
            record(ex);
            answer(ex, 200, "application/json", detail("completed", "{\"echo\": \"hi\"}", "[]"));
        });
        RunHandle<Echo.Out> handle = client.find(run, Echo.class);
        requests.clear();
        headers.clear();

        List<String> seen = io.pgflowee.client.testing.RunEvents.of(handle, Duration.ofSeconds(10), e -> e.type() + " " + e.id() + " " + e.at());

        assertThat(seen).containsExactly("run:started " + started + " 2026-12-03T10:00:00Z",
                "run:completed " + completed + " 2026-12-03T10:00:01Z");
        assertThat(requests).containsExactly("GET /api/runs/" + run + "/events", "GET /api/runs/" + run + "/events");
        assertThat(headers.get("Last-Event-ID")).containsExactly(started);

        streams.set(0);
        headers.clear();
        assertThat(handle.await(Duration.ofSeconds(10))).isEqualTo(new Echo.Out("hi"));
        assertThat(headers.get("Last-Event-ID")).containsExactly(started);
    }

    private byte[] event(String id, String type, String status, String at) {
        return ("id: " + id + "\nevent: " + type + "\ndata: {\"id\": \"" + id + "\", \"eventType\": \"" + type + "\", \"runId\": \"" + run
                + "\", \"flowSlug\": \"echo\", \"status\": \"" + status + "\", \"at\": \"" + at + "\"}\n\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void problemsAndErrorPagesBecomeTypedExceptions() {
        server.createContext("/api/flows/echo/runs", ex -> {
            record(ex);
            answer(ex, 409, "application/problem+json", "{\"type\": \"about:blank\", \"title\": \"Run exists\", \"status\": 409,"
                    + " \"detail\": \"idempotency key k1 was used with another input\"}");
        });
        server.createContext("/api/runs/" + run, ex -> {
            record(ex);
            answer(ex, 502, "text/html", "<html>Bad Gateway</html>");
        });

        assertThatThrownBy(() -> client.start(Echo.class, new Echo.In("x")))
                .isInstanceOfSatisfying(RefusedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RefusedException.Kind.CONFLICT);
                    assertThat(e.title()).isEqualTo("Run exists");
                    assertThat(e.detail()).isEqualTo("idempotency key k1 was used with another input");
                }).hasMessage("Run exists: idempotency key k1 was used with another input");
        assertThat(requests).as("a refusal is an answer: not sent again").hasSize(1);
        assertThatThrownBy(() -> client.find(run, Echo.class)).isExactlyInstanceOf(PgflowException.class)
                .hasMessage("HTTP 502: GET /api/runs/" + run + " answered 502: <html>Bad Gateway</html>");
    }

    @Test
    void aFailedRunsDetailNamesTheFirstFailedStepItsTaskAndAttempt() {
        server.createContext("/api/runs/" + run, ex -> {
            record(ex);
            answer(ex, 200, "application/json", detail("failed", "null", "[{\"stepSlug\": \"fetch\", \"status\": \"failed\","
                    + " \"failedAt\": \"2026-12-03T10:00:02Z\", \"errorMessage\": \"2 tasks failed\", \"tasks\": [{\"taskIndex\": 0,"
                    + " \"status\": \"completed\", \"attempts\": 1}, {\"taskIndex\": 3, \"status\": \"failed\", \"attempts\": 3,"
                    + " \"errorMessage\": \"java.io.IOException: timeout\\n\\tat x.y\"}]}, {\"stepSlug\": \"save\", \"status\": \"created\","
                    + " \"tasks\": []}]"));
        });
        server.createContext("/api/runs/" + run + "/events", ex -> {
            record(ex);
            answer(ex, 200, "text/event-stream", new String(event("3000/4/" + run + "/", "run:failed", "failed",
                    "2026-12-03T10:00:02.000000Z"), StandardCharsets.UTF_8));
        });

        RunHandle<Echo.Out> handle = client.find(run, Echo.class);
        assertThatThrownBy(() -> handle.await(Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(RunFailedException.class, e -> {
                    assertThat(e.failure().stepSlug()).isEqualTo("fetch");
                    assertThat(e.failure().taskIndex()).isEqualTo(3);
                    assertThat(e.failure().attempt()).isEqualTo(3);
                    assertThat(e.failure().error()).isEqualTo("java.io.IOException: timeout\n\tat x.y");
                })
                .hasMessage("Run failed: run " + run + " of flow 'echo' failed: step 'fetch' task 3 failed on attempt 3:"
                        + " java.io.IOException: timeout");
    }
}
