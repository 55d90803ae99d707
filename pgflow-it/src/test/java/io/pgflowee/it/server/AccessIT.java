package io.pgflowee.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import org.jboss.arquillian.container.test.api.RunAsClient;
import org.junit.jupiter.api.Test;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.it.support.ItFailingResource;
import io.pgflowee.it.support.OnSharedServer;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * Who may do what over the API, and what a client sees when something goes wrong: sign-in, every
 * endpoint for every role, two hundred bad requests, and an unexpected failure without a stack trace.
 */
public class AccessIT extends OnSharedServer {

    @Inject
    EngineOperations engine;

    @Test
    @RunAsClient
    void theApiNeedsSignInAndOnlyOperatorsAndAdminsMayChangeAnything() throws Exception {
        URI runs = base.toURI().resolve("api/runs");
        HttpResponse<String> anonymous = getAs(null, null, runs);
        assertProblem(anonymous, 401, "Sign-in required", "send the credentials of a pgflow user with HTTP Basic (curl -u name:password)");
        assertEquals("Basic realm=\"pgflow\", charset=\"UTF-8\"", anonymous.headers().firstValue("WWW-Authenticate").orElse(""));
        assertProblem(getAs("it-viewer", "wrong", runs), 401, "Sign-in failed", "unknown user or wrong password");
        assertProblem(getAs("nobody", "nobody-secret", runs), 401, "Sign-in failed", "unknown user or wrong password");
        assertEquals(200, getAs("it-viewer", "it-viewer-secret", runs).statusCode());
        assertEquals(200, getAs("it-operator", "it-operator-secret", base.toURI().resolve("api/workers")).statusCode());

        String input = "{\"first_name\": \"Role\", \"last_name\": \"Check\"}";
        assertProblem(postAs(null, "api/flows/greet_user/runs", input, null), 401, "Sign-in required",
                "send the credentials of a pgflow user with HTTP Basic (curl -u name:password)");
        assertProblem(postAs("it-viewer", "api/flows/greet_user/runs", input, null), 403, "Forbidden",
                "user 'it-viewer' has role pgflow-viewer; POST /api/flows/greet_user/runs needs pgflow-operator or pgflow-admin");
        HttpResponse<String> byOperator = postAs("it-operator", "api/flows/greet_user/runs", input, null);
        assertEquals(201, byOperator.statusCode(), byOperator.body());
        // the refused starts wrote nothing: only the operator's run has this input
        JsonObject listed = Json.createReader(new StringReader(get(base.toURI().resolve("api/runs?inputContains="
                + java.net.URLEncoder.encode(input, java.nio.charset.StandardCharsets.UTF_8))).body())).readObject();
        assertEquals(1, listed.getJsonArray("runs").size(), listed.toString());

        assertEquals(200, getAs(null, null, base.toURI().resolve("/health/ready")).statusCode(), "health stays open");
        assertEquals(200, getAs(null, null, base.toURI().resolve("/openapi")).statusCode(), "the OpenAPI document stays open");
    }

    @Test
    void everyEndpointAnswersEveryRoleAsItsRoleAllows() throws Exception {
        String done = query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Ro\", \"last_name\": \"Les\"}')").get(0);
        assertEquals("completed", awaitRunEnd(done));
        List<String> reads = List.of("api/runs", "api/runs/" + done, "api/runs/" + done + "/events", "api/flows", "api/flows/greet_user",
                "api/workers", "api/system", "api/system/partitions", "metrics", "api/events?flow=greet_user");
        List<String> wrong = new java.util.ArrayList<>();
        for (String user : List.of("it-viewer", "it-operator", "it-admin")) {
            for (String path : reads) {
                HttpResponse<java.io.InputStream> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                        HttpRequest.newBuilder(base.toURI().resolve(path)).header("Authorization", basic(user, user + "-secret")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                r.body().close(); // the flow's event stream would stay open
                if (r.statusCode() != 200) {
                    wrong.add("GET " + path + " as " + user + ": " + r.statusCode());
                }
            }
            // every action, in an order that makes each one possible; a viewer gets 403 for each and changes nothing
            String run = null;
            int expectedPause = user.equals("it-viewer") ? 403 : 200;
            wrong.addAll(expect(user, "api/flows/greet_user/pause", "", expectedPause));
            if (user.equals("it-viewer")) {
                engine.pauseFlow("greet_user"); // what the viewer could not do, so its run waits like the others'
            }
            HttpResponse<String> started = postAs(user, "api/flows/greet_user/runs", "{\"first_name\": \"Ro\", \"last_name\": \"Le\"}", null);
            wrong.addAll(expect(user, "api/flows/greet_user/runs/batch", "[{\"first_name\": \"Ro\", \"last_name\": \"Batch\"}]",
                    user.equals("it-viewer") ? 403 : 201));
            if (started.statusCode() != (user.equals("it-viewer") ? 403 : 201)) {
                wrong.add("start as " + user + ": " + started.statusCode());
            }
            run = user.equals("it-viewer") ? query("select run_id::text from pgflow.start_flow('greet_user', '{}')").get(0)
                    : Json.createReader(new StringReader(started.body())).readObject().getJsonObject("run").getString("runId");
            int ok = user.equals("it-viewer") ? 403 : 200;
            wrong.addAll(expect(user, "api/flows/greet_user/concurrency", "{\"maxRunning\": 3}", ok));
            wrong.addAll(expect(user, "api/runs/" + run + "/cancel", "{\"reason\": \"role check\"}", ok));
            if (user.equals("it-viewer")) {
                engine.cancelRun(java.util.UUID.fromString(run), "role check");
            }
            wrong.addAll(expect(user, "api/runs/" + run + "/retry", "", ok));
            wrong.addAll(expect(user, "api/runs/" + done + "/restart", "", user.equals("it-viewer") ? 403 : 201));
            wrong.addAll(expect(user, "api/flows/greet_user/concurrency", "{\"maxRunning\": null}", ok));
            wrong.addAll(expect(user, "api/flows/greet_user/resume", "", ok));
            if (user.equals("it-viewer")) {
                engine.resumeFlow("greet_user");
                engine.retryRun(java.util.UUID.fromString(run));
            }
            assertEquals("completed", awaitRunEnd(run));
        }
        // batch jobs: admin only
        for (String user : List.of("it-viewer", "it-operator", "it-admin")) {
            int read = getAs(user, user + "-secret", base.toURI().resolve("api/jobs")).statusCode();
            if (read != (user.equals("it-admin") ? 200 : 403)) {
                wrong.add("GET api/jobs as " + user + ": " + read);
            }
            wrong.addAll(expect(user, "api/jobs/pgflow-backfill", "{}", user.equals("it-admin") ? 400 : 403));
        }
        assertEquals(List.of(), wrong);
        assertEquals(List.of("- -"), query("select coalesce(paused_at::text, '-'), coalesce(max_running::text, '-') from pgflow.flows"
                + " where flow_slug = 'greet_user'"));
    }

    private List<String> expect(String user, String path, String body, int status) throws Exception {
        HttpResponse<String> r = postAs(user, path, body, null);
        return r.statusCode() == status ? List.of() : List.of("POST " + path + " as " + user + ": expected " + status + ", got "
                + r.statusCode() + " " + shorten(r.body()));
    }

    @Test
    void twoHundredBadRequestsGetProblemDetailsNever5xxAndChangeNothing() throws Exception {
        String completedRun = query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Bad\", \"last_name\": \"Input\"}')").get(0);
        assertEquals("completed", awaitRunEnd(completedRun));
        String snapshotSql = "select (select count(*) from pgflow.runs) || ' ' || (select count(*) from pgflow.step_states) || ' '"
                + " || (select count(*) from pgflow.step_tasks) || ' ' || (select string_agg(flow_slug || ':' || coalesce(paused_at::text, '-')"
                + " || ':' || coalesce(max_running::text, '-'), ',' order by flow_slug) from pgflow.flows) || ' '"
                + " || (select string_agg(run_id::text || status || retry_count || coalesce(cancel_reason, ''), ',' order by run_id) from pgflow.runs)";
        String before = query(snapshotSql).get(0);
        record Bad(String method, String path, String user, String contentType, byte[] body, int status) {
        }
        List<Bad> bad = new java.util.ArrayList<>();
        String unknownRun = "00000000-0000-0000-0000-00000000dead";
        List<String[]> endpoints = List.of(
                new String[] {"GET", "api/runs"}, new String[] {"GET", "api/runs/" + completedRun},
                new String[] {"GET", "api/runs/" + completedRun + "/events"}, new String[] {"GET", "api/events?flow=greet_user"},
                new String[] {"GET", "api/flows"}, new String[] {"GET", "api/flows/greet_user"}, new String[] {"GET", "api/workers"},
                new String[] {"POST", "api/flows/greet_user/runs"}, new String[] {"POST", "api/runs/" + completedRun + "/cancel"},
                new String[] {"POST", "api/runs/" + completedRun + "/retry"}, new String[] {"POST", "api/runs/" + completedRun + "/restart"},
                new String[] {"POST", "api/flows/greet_user/pause"}, new String[] {"POST", "api/flows/greet_user/resume"},
                new String[] {"GET", "metrics"});
        byte[] hello = "{\"first_name\": \"Eve\", \"last_name\": \"Il\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // missing and wrong credentials: 401 everywhere; a viewer's changes: 403
        for (String[] e : endpoints) {
            for (String who : new String[] {null, "it-admin:wrong", "nobody:nobody-secret", "!not-base64", "bearer"}) {
                bad.add(new Bad(e[0], e[1], who == null ? "-" : who, "application/json", e[0].equals("POST") ? hello : null, 401));
            }
            if (e[0].equals("POST")) {
                bad.add(new Bad(e[0], e[1], "it-viewer", "application/json", hello, 403));
            }
        }
        // malformed JSON
        for (String body : List.of("{", "}", "{\"first_name\":}", "[1, 2", "nul", "{'first_name': 'x'}", "{\"a\": 1}}", "{} x",
                "{\"a\": 1,}", "NaN", "Infinity", "01", "--", "<run><first_name>x</first_name></run>", "SELECT 1",
                "'; DROP TABLE pgflow.runs; --", "{\"a\": \"\\x\"}", "\"unterminated", "{\"a\" 1}", "[1,,2]",
                "[".repeat(100_000) + "]".repeat(100_000), " ", "\uFEFF")) {
            bad.add(new Bad("POST", "api/flows/greet_user/runs", "it-admin", "application/json",
                    body.getBytes(java.nio.charset.StandardCharsets.UTF_8), 400));
        }
        // huge bodies: 10 MiB, with a Content-Length and chunked (null content type marks chunked below)
        byte[] huge = ("{\"pad\": \"" + "x".repeat(10 * 1024 * 1024) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        bad.add(new Bad("POST", "api/flows/greet_user/runs", "it-admin", "application/json", huge, 413));
        bad.add(new Bad("POST", "api/flows/greet_user/runs", "it-admin", "chunked", huge, 413));
        bad.add(new Bad("POST", "api/runs/" + completedRun + "/cancel", "it-admin", "application/json", huge, 413));
        // wrong types and unknown fields in the cancel body
        for (String body : List.of("{\"reason\": 5}", "{\"reason\": {}}", "{\"reason\": []}", "{\"reasons\": \"x\"}",
                "{\"reason\": \"x\", \"force\": true}", "[]", "\"x\"", "42", "{\"reason\": \"" + "r".repeat(1001) + "\"}")) {
            bad.add(new Bad("POST", "api/runs/" + completedRun + "/cancel", "it-operator", "application/json",
                    body.getBytes(java.nio.charset.StandardCharsets.UTF_8), 400));
        }
        // bad UUIDs
        for (String id : List.of("nope", "1234", "00000000-0000-0000-0000-00000000000g", "' OR 1=1 --", "%00", "x".repeat(3000),
                "00000000000000000000000000000000dead")) {
            String enc = java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
            bad.add(new Bad("GET", "api/runs/" + enc, "it-viewer", null, null, 400));
            bad.add(new Bad("GET", "api/runs/" + enc + "/events", "it-viewer", null, null, 400));
            bad.add(new Bad("POST", "api/runs/" + enc + "/cancel", "it-operator", "application/json", null, 400));
            bad.add(new Bad("POST", "api/runs/" + enc + "/retry", "it-operator", "application/json", null, 400));
            bad.add(new Bad("POST", "api/runs/" + enc + "/restart", "it-operator", "application/json", null, 400));
            bad.add(new Bad("POST", "api/flows/greet_user/runs?runId=" + enc, "it-operator", "application/json", hello, 400));
        }
        for (String op : List.of("cancel", "retry", "restart")) {
            bad.add(new Bad("POST", "api/runs/" + unknownRun + "/" + op, "it-operator", "application/json", null, 404));
        }
        // hostile slugs
        for (String slug : List.of("x'; DROP TABLE pgflow.runs; --", "greet_user' OR '1'='1", "<script>alert(1)</script>", "GREET_USER",
                "greet user", "\u00e9t\u00e9", "$$;$$", "greet_user;", "a".repeat(5000), "null", "greet_user%00", "-1")) {
            String enc = java.net.URLEncoder.encode(slug, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
            bad.add(new Bad("POST", "api/flows/" + enc + "/runs", "it-operator", "application/json", hello, 404));
            bad.add(new Bad("POST", "api/flows/" + enc + "/pause", "it-operator", "application/json", null, 404));
            bad.add(new Bad("POST", "api/flows/" + enc + "/resume", "it-operator", "application/json", null, 404));
            bad.add(new Bad("GET", "api/flows/" + enc, "it-viewer", null, null, 404));
            bad.add(new Bad("GET", "api/events?flow=" + enc, "it-viewer", null, null, 404));
        }
        // a backslash in the path: the HTTP listener itself refuses it (400, before the application; no problem document)
        bad.add(new Bad("GET", "api/flows/%5C", "it-viewer", null, null, -400));
        // bad query parameters
        for (String q : List.of("limit=0", "limit=501", "limit=-1", "limit=abc", "limit=1e3", "limit=99999999999", "status=bogus",
                "status=42", "startedAfter=yesterday", "startedBefore=2026-13-45T00:00:00Z", "cursor=garbage", "cursor=%25%25%25",
                "cursor=" + "A".repeat(500), "runIdPrefix=zz'", "runIdPrefix=%27%3B%20DROP", "inputContains=%7Bbad")) {
            bad.add(new Bad("GET", "api/runs?" + q, "it-viewer", null, null, 400));
        }
        // wrong content types
        for (String type : List.of("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/json-patch+json")) {
            bad.add(new Bad("POST", "api/flows/greet_user/runs", "it-operator", type, hello, 415));
            bad.add(new Bad("POST", "api/runs/" + completedRun + "/cancel", "it-operator", type,
                    "{\"reason\": \"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8), 415));
        }
        // wrong methods and paths, an over-long idempotency key, a run id that exists
        bad.add(new Bad("DELETE", "api/runs/" + completedRun, "it-admin", null, null, 405));
        bad.add(new Bad("PUT", "api/flows/greet_user", "it-admin", "application/json", hello, 405));
        bad.add(new Bad("GET", "api/nothing/here", "it-admin", null, null, 404));
        bad.add(new Bad("POST", "api/flows/greet_user/runs#long-idempotency-key", "it-admin", "application/json", hello, 400));
        bad.add(new Bad("POST", "api/flows/greet_user/runs?runId=" + completedRun, "it-admin", "application/json", hello, 409));
        bad.add(new Bad("POST", "api/runs/" + completedRun + "/cancel", "it-operator", "application/json", null, 409));
        bad.add(new Bad("POST", "api/runs/" + completedRun + "/retry", "it-operator", "application/json", null, 409));

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<String> wrong = new java.util.ArrayList<>();
        for (Bad b : bad) {
            boolean longKey = b.path().endsWith("#long-idempotency-key");
            HttpRequest.Builder request = HttpRequest.newBuilder(base.toURI().resolve(b.path().replace("#long-idempotency-key", "")));
            byte[] body = b.body() == null ? new byte[0] : b.body();
            HttpRequest.BodyPublisher publisher = "chunked".equals(b.contentType())
                    ? HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))
                    : HttpRequest.BodyPublishers.ofByteArray(body);
            request.method(b.method(), b.method().equals("GET") || b.method().equals("DELETE") ? HttpRequest.BodyPublishers.noBody() : publisher);
            if (b.contentType() != null && !b.contentType().equals("chunked")) {
                request.header("Content-Type", b.contentType());
            } else if ("chunked".equals(b.contentType())) {
                request.header("Content-Type", "application/json");
            }
            switch (b.user()) {
                case "-" -> { }
                case "!not-base64" -> request.header("Authorization", "Basic !!!not-base64!!!");
                case "bearer" -> request.header("Authorization", "Bearer eyJhbGciOiJub25lIn0.e30.");
                default -> request.header("Authorization", basic(b.user().split(":")[0],
                        b.user().contains(":") ? b.user().split(":")[1] : b.user() + "-secret"));
            }
            if (longKey) {
                request.header("Idempotency-Key", "k".repeat(201));
            }
            HttpResponse<String> r;
            try {
                r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                // the server may close the connection while a refused 10 MiB upload is still being sent
                wrong.add(b.method() + " " + shorten(b.path()) + ": " + e);
                continue;
            }
            String type = r.headers().firstValue("content-type").orElse("");
            if (b.status() < 0) {
                if (r.statusCode() != -b.status()) {
                    wrong.add(b.method() + " " + shorten(b.path()) + ": expected " + -b.status() + ", got " + r.statusCode());
                }
            } else if (r.statusCode() != b.status() || !type.equals("application/problem+json")) {
                wrong.add(b.method() + " " + shorten(b.path()) + " as " + b.user() + " (" + b.contentType() + "): expected "
                        + b.status() + " problem+json, got " + r.statusCode() + " " + type + " " + shorten(r.body()));
            } else {
                JsonObject problem = Json.createReader(new StringReader(r.body())).readObject();
                if (problem.getInt("status") != b.status() || problem.getString("title").isBlank() || problem.getString("detail").isBlank()) {
                    wrong.add(b.method() + " " + shorten(b.path()) + ": incomplete problem " + shorten(r.body()));
                }
            }
        }
        assertTrue(bad.size() >= 200, bad.size() + " requests");
        assertEquals(List.of(), wrong, "of " + bad.size() + " requests");
        assertEquals(before, query(snapshotSql).get(0), "the database is unchanged");
    }

    private static String shorten(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    @Test
    void anUnexpectedFailureAnswers500WithAnErrorIdThatTheLogHasAndNoStackTraceOrMessage() throws Exception {
        try (CapturedLog log = new CapturedLog("io.pgflowee.web.rest.ApiErrors")) {
            HttpResponse<String> r = getAs("it-viewer", "it-viewer-secret", base.toURI().resolve("api/it/failing"));
            assertEquals(500, r.statusCode(), r.body());
            assertEquals("application/problem+json", r.headers().firstValue("content-type").orElse(""));
            JsonObject problem = Json.createReader(new StringReader(r.body())).readObject();
            String errorId = problem.getString("errorId");
            assertEquals("Internal error", problem.getString("title"));
            assertEquals("the server failed unexpectedly; its log has the details under error id " + errorId,
                    problem.getString("detail"));
            assertEquals("/api/it/failing", problem.getString("instance"));
            assertTrue(!r.body().contains("hunter2") && !r.body().contains("IllegalStateException") && !r.body().contains("at io."),
                    "no message or stack trace in the answer: " + r.body());
            awaitTrue(() -> !log.records.isEmpty(), "the error logged");
            java.util.logging.LogRecord record = log.records.get(0);
            assertEquals(java.util.logging.Level.SEVERE, record.getLevel());
            assertEquals("PGFLOW-081 error " + errorId + " answering /api/it/failing", record.getMessage());
            assertEquals(ItFailingResource.SECRET_MESSAGE, record.getThrown().getMessage(), "the log has the exception");
        }
    }
}
