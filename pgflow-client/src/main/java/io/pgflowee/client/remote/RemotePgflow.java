package io.pgflowee.client.remote;

import io.pgflowee.api.flow.TypedFlow;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.api.json.Jsonp;
import io.pgflowee.client.AccessDeniedException;
import io.pgflowee.client.FlowType;
import io.pgflowee.client.Pgflow;
import io.pgflowee.client.PgflowException;
import io.pgflowee.client.RefusedException;
import io.pgflowee.client.RunFailure;
import io.pgflowee.client.RunHandle;
import io.pgflowee.client.RunState;
import io.pgflowee.client.RunStatus;
import io.pgflowee.client.SignalOutcome;
import io.pgflowee.client.StartOptions;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

/**
 * {@link Pgflow} over the REST API of a pgflow server, from any JVM:
 *
 * <pre>{@code
 * Pgflow pgflow = RemotePgflow.builder(URI.create("https://flows.example.com/"))
 *         .basicAuth("svc-signup", System.getenv("PGFLOW_PASSWORD")).build();
 * GreetUser.Output out = pgflow.start(GreetUser.class, new GreetUser.Input("Alice", "Smith"))
 *         .await(Duration.ofSeconds(30));
 * }</pre>
 *
 * <ul>
 *   <li>Every call is one request, signed in with HTTP Basic (a user of the server's
 *       {@code pgflow.security.users} or realm: starting, cancelling, retrying and signalling need
 *       the operator role, reading the viewer role).</li>
 *   <li>A start is retried on a network error (the request may or may not have reached the server):
 *       it always carries an {@code Idempotency-Key} (yours, or {@code client:<uuid>} made for the
 *       call), so a repeat returns the run the first attempt started and never starts a second.</li>
 *   <li>{@code await} and {@code events()} read the run's server-sent events; a dropped connection
 *       is reopened with {@code Last-Event-ID} (the server replays what was missed) and events seen
 *       before are dropped by id.</li>
 *   <li>Problems ({@code application/problem+json}) become the same exceptions as in the server:
 *       404/409/422/400 {@link RefusedException}, 401/403 {@link AccessDeniedException}, others
 *       {@link PgflowException}, each with the server's title and detail.</li>
 * </ul>
 *
 * Thread-safe; one instance per server is enough (it keeps the HTTP client's connections).
 */
public final class RemotePgflow implements Pgflow {

    private final URI api;
    private final String authorization;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final int startAttempts;
    private final JsonCodec json;

    private RemotePgflow(Builder b) {
        String base = b.baseUri.toString();
        this.api = URI.create(base.endsWith("/") ? base + "api/" : base + "/api/");
        this.authorization = b.user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((b.user + ":" + b.password).getBytes(StandardCharsets.UTF_8));
        this.http = HttpClient.newBuilder().connectTimeout(b.connectTimeout).followRedirects(HttpClient.Redirect.NEVER).build();
        this.requestTimeout = b.requestTimeout;
        this.startAttempts = b.startAttempts;
        this.json = JsonCodec.create();
    }

    /** A client of the server at {@code baseUri} (its root, {@code http://host:8080/}; the API is {@code <root>/api}). */
    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    /** Settings of a {@link RemotePgflow}. */
    public static final class Builder {
        private final URI baseUri;
        private String user;
        private String password;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private int startAttempts = 3;

        private Builder(URI baseUri) {
            this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
            if (baseUri.getScheme() == null || !(baseUri.getScheme().equals("http") || baseUri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("the server's address must be http:// or https://, got " + baseUri);
            }
        }

        /** Signs every request in with HTTP Basic (use https beyond the loopback). */
        public Builder basicAuth(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** The longest one request may take (not {@code await}, which has its own timeout). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** How often a start is sent when the network fails (default 3; 1 never repeats). */
        public Builder startAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("startAttempts must be at least 1, got " + attempts);
            }
            this.startAttempts = attempts;
            return this;
        }

        public RemotePgflow build() {
            return new RemotePgflow(this);
        }
    }

    @Override
    public <I, O, F extends TypedFlow<I, O>> RunHandle<O> start(Class<F> flow, I input, StartOptions options) {
        FlowType type = FlowType.of(flow);
        StartOptions o = options == null ? StartOptions.defaults() : options;
        String key = o.idempotencyKey() != null ? o.idempotencyKey() : "client:" + UUID.randomUUID();
        String query = o.runId() == null ? "" : "?runId=" + o.runId();
        HttpRequest.Builder request = request("flows/" + path(type.slug()) + "/runs" + query)
                .header("Content-Type", "application/json").header("Prefer", "return=minimal").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(json.encode(input)));
        keys(request, o);
        Answer answer = sendRetrying(request.build());
        JsonObject run = answer.object().getJsonObject("run");
        return new RemoteRunHandle<>(this, UUID.fromString(run.getString("runId")), type.slug(), type.outputType(), answer.status == 201);
    }

    @Override
    public <I, O, F extends TypedFlow<I, O>> List<RunHandle<O>> startAll(Class<F> flow, List<? extends I> inputs, StartOptions options) {
        FlowType type = FlowType.of(flow);
        StartOptions o = options == null ? StartOptions.defaults() : options;
        if (o.runId() != null) {
            throw new IllegalArgumentException("startAll starts many runs: it takes no run id");
        }
        String key = o.idempotencyKey() != null ? o.idempotencyKey() : "client:" + UUID.randomUUID();
        StringBuilder body = new StringBuilder("[");
        for (I input : inputs) {
            body.append(body.length() > 1 ? "," : "").append(json.encode(input));
        }
        HttpRequest.Builder request = request("flows/" + path(type.slug()) + "/runs/batch").header("Content-Type", "application/json")
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body.append(']').toString()));
        keys(request, o);
        Answer answer = sendRetrying(request.build());
        List<RunHandle<O>> handles = new ArrayList<>();
        for (JsonValue item : answer.object().getJsonArray("runs")) {
            JsonObject i = item.asJsonObject();
            handles.add(new RemoteRunHandle<>(this, UUID.fromString(i.getString("runId")), type.slug(), type.outputType(),
                    i.getBoolean("created")));
        }
        return handles;
    }

    private static void keys(HttpRequest.Builder request, StartOptions o) {
        if (o.concurrencyKey() != null) {
            request.header("Pgflow-Concurrency-Key", o.concurrencyKey());
        }
        if (o.priority() != null) {
            request.header("Pgflow-Priority", o.priority().toString());
        }
    }

    @Override
    public <O> RunHandle<O> find(UUID runId, Class<? extends TypedFlow<?, O>> flow) {
        FlowType type = FlowType.of(flow);
        type.requireRunOf(runId, status(runId).flowSlug(), flow);
        return new RemoteRunHandle<>(this, runId, type.slug(), type.outputType(), false);
    }

    @Override
    public SignalOutcome signal(UUID runId, String stepSlug, Object payload) {
        Answer answer = send(request("runs/" + runId + "/steps/" + path(stepSlug) + "/signal").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.encode(payload))).build());
        return SignalOutcome.of(answer.object().getString("result"));
    }

    RunStatus status(UUID runId) {
        return runStatus(send(request("runs/" + runId).GET().build()).object());
    }

    RunStatus cancel(UUID runId, String reason) {
        String body = reason == null ? "" : Jsonp.createObjectBuilder().add("reason", reason).build().toString();
        return runStatus(send(request("runs/" + runId + "/cancel").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build()).object());
    }

    RunStatus retry(UUID runId) {
        return runStatus(send(request("runs/" + runId + "/retry").POST(HttpRequest.BodyPublishers.noBody()).build()).object());
    }

    JsonCodec json() {
        return json;
    }

    HttpClient http() {
        return http;
    }

    /** A request to {@code path} under /api, signed in. */
    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(api.resolve(path)).timeout(requestTimeout).header("Accept", "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    /** The SSE request of a run's events (no request timeout: the stream stays open until the run ends). */
    HttpRequest.Builder eventsRequest(UUID runId, String lastEventId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(api.resolve("runs/" + runId + "/events")).header("Accept", "text/event-stream");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return b;
    }

    private static String path(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A 2xx answer's status and body. */
    record Answer(int status, String body) {
        JsonObject object() {
            try (var reader = Jsonp.createReader(new StringReader(body))) {
                return reader.readObject();
            } catch (RuntimeException e) {
                throw new PgflowException("Unexpected answer", "the server answered " + status + " with a body that is not a JSON object: "
                        + abbreviate(body), e);
            }
        }
    }

    /** Sends an idempotent request, again after a network error (up to {@code startAttempts}). */
    private Answer sendRetrying(HttpRequest request) {
        for (int attempt = 1; ; attempt++) {
            try {
                return answer(request, http.send(request, HttpResponse.BodyHandlers.ofString()));
            } catch (IOException e) {
                if (attempt >= startAttempts) {
                    throw unreachable(request, e);
                }
                pause(Duration.ofMillis(250L * attempt));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PgflowException("Interrupted", request.method() + " " + request.uri() + " was interrupted", e);
            }
        }
    }

    Answer send(HttpRequest request) {
        try {
            return answer(request, http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw unreachable(request, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgflowException("Interrupted", request.method() + " " + request.uri() + " was interrupted", e);
        }
    }

    static PgflowException unreachable(HttpRequest request, IOException e) {
        return new PgflowException("Server unreachable", request.method() + " " + request.uri() + " failed: "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }

    private static Answer answer(HttpRequest request, HttpResponse<String> response) {
        if (response.statusCode() / 100 == 2) {
            return new Answer(response.statusCode(), response.body());
        }
        throw problem(request, response.statusCode(), response.body());
    }

    /** The exception an error answer stands for, with the problem's title and detail. */
    static PgflowException problem(HttpRequest request, int status, String body) {
        String title = "HTTP " + status;
        String detail = request.method() + " " + request.uri().getPath() + " answered " + status + (body == null || body.isBlank() ? ""
                : ": " + abbreviate(body));
        try (var reader = Jsonp.createReader(new StringReader(body == null ? "" : body))) {
            JsonObject p = reader.readObject();
            title = p.getString("title", title);
            detail = p.getString("detail", detail);
        } catch (RuntimeException notAProblem) {
            // an answer from a proxy or a servlet container's error page: keep the status and the text
        }
        return switch (status) {
            case 404 -> new RefusedException(RefusedException.Kind.NOT_FOUND, title, detail);
            case 409 -> new RefusedException(RefusedException.Kind.CONFLICT, title, detail);
            case 400, 413, 422 -> new RefusedException(RefusedException.Kind.INVALID, title, detail);
            case 401, 403 -> new AccessDeniedException(status, title, detail);
            default -> new PgflowException(title, detail);
        };
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgflowException("Interrupted", "interrupted while waiting to try again", e);
        }
    }

    /** A RunDetail answer ({@code {"run": {...}, "steps": [...]}}) as a status. */
    static RunStatus runStatus(JsonObject detail) {
        JsonObject run = detail.getJsonObject("run");
        RunState state = RunState.of(run.getString("status"));
        Instant ended = switch (state) {
            case COMPLETED -> time(run, "completedAt");
            case FAILED -> time(run, "failedAt");
            case CANCELLED -> time(run, "cancelledAt");
            default -> null;
        };
        RunFailure failure = state == RunState.FAILED ? failure(detail.getJsonArray("steps")).orElse(null) : null;
        JsonValue output = run.get("output");
        return new RunStatus(UUID.fromString(run.getString("runId")), run.getString("flowSlug"), state, run.getInt("remainingSteps"),
                time(run, "startedAt"), ended, failure, string(run, "cancelReason"),
                output == null || output.getValueType() == JsonValue.ValueType.NULL ? null : output.toString());
    }

    /** The first failed step and its failed task (or the step's own error when no task failed). */
    static Optional<RunFailure> failure(JsonArray steps) {
        if (steps == null) {
            return Optional.empty();
        }
        return steps.stream().map(JsonValue::asJsonObject).filter(s -> "failed".equals(s.getString("status", "")))
                .min(Comparator.comparing(s -> Optional.ofNullable(time(s, "failedAt")).orElse(Instant.MAX)))
                .map(s -> {
                    Optional<JsonObject> task = s.getJsonArray("tasks") == null ? Optional.empty() : s.getJsonArray("tasks").stream()
                            .map(JsonValue::asJsonObject).filter(t -> "failed".equals(t.getString("status", ""))).findFirst();
                    return task.map(t -> new RunFailure(s.getString("stepSlug"), t.getInt("taskIndex"), t.getInt("attempts"),
                                    string(t, "errorMessage"), time(s, "failedAt")))
                            .orElseGet(() -> new RunFailure(s.getString("stepSlug"), -1, 0, string(s, "errorMessage"), time(s, "failedAt")));
                });
    }

    private static String string(JsonObject o, String name) {
        JsonValue v = o.get(name);
        return v == null || v.getValueType() != JsonValue.ValueType.STRING ? null : o.getString(name);
    }

    private static Instant time(JsonObject o, String name) {
        String s = string(o, name);
        return s == null ? null : OffsetDateTime.parse(s).toInstant();
    }
}
