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

import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.query.WorkerQueries;
import io.pgflowee.it.support.ItWar;
import io.pgflowee.it.support.OnSharedServer;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * The runs and flows REST API: starting runs (idempotent, in bulk), listing and filtering, operators'
 * actions, the OpenAPI document, flows that differ from the database, and bad requests.
 */
public class RunsApiIT extends OnSharedServer {

    @Inject
    FlowRegistry registry;

    @Inject
    WorkerQueries workerQueries;

    @Test
    @RunAsClient
    void restStartsRunsWithTheFlowsKeyAndPriorityOrTheHeadersAndAdminsLimitEachKeyAndTheRate() throws Exception {
        String tenant = "t-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        assertEquals(200, post("api/flows/it_keyed/pause", "").statusCode());
        JsonObject run;
        HttpResponse<String> headers;
        try {
            HttpResponse<String> computed = post("api/flows/it_keyed/runs", "{\"tenant\": \"" + tenant + "\", \"tier\": 3}");
            assertEquals(201, computed.statusCode(), computed.body());
            run = json(computed).getJsonObject("run");
            assertEquals(tenant, run.getString("concurrencyKey"), "the flow's concurrencyKey function");
            assertEquals(3, run.getInt("priority"), "the flow's priority function");
            HttpRequest chosen = HttpRequest.newBuilder(base.toURI().resolve("api/flows/it_keyed/runs")).header("Content-Type", "application/json")
                    .header("Authorization", basic("it-operator", "it-operator-secret")).header("Pgflow-Concurrency-Key", tenant + "-vip")
                    .header("Pgflow-Priority", "-2").POST(HttpRequest.BodyPublishers.ofString("{\"tenant\": \"" + tenant + "\"}")).build();
            headers = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(chosen, HttpResponse.BodyHandlers.ofString());
            assertEquals(201, headers.statusCode(), headers.body());
            assertEquals(tenant + "-vip", json(headers).getJsonObject("run").getString("concurrencyKey"));
            assertEquals(-2, json(headers).getJsonObject("run").getInt("priority"));

            String id = run.getString("runId");
            HttpResponse<String> raised = post("api/runs/" + id + "/priority", "{\"priority\": 9}");
            assertEquals(200, raised.statusCode(), raised.body());
            assertEquals(9, json(raised).getJsonObject("run").getInt("priority"));
            assertProblem(post("api/runs/" + id + "/priority", "{\"priority\": 101}"), 422, "Priority refused",
                    "Run " + id + ": priority must be between -100 and 100 (higher runs first), got 101");
            HttpResponse<String> listed = get(base.toURI().resolve("api/runs?flow=it_keyed&key=" + tenant));
            assertEquals(1, json(listed).getJsonArray("runs").size(), listed.body());

            assertProblem(postAs("it-operator", "api/flows/it_keyed/key-concurrency", "{\"maxRunningPerKey\": 1}", null), 403, "Forbidden",
                    "user 'it-operator' may not POST /api/flows/it_keyed/key-concurrency: it needs pgflow-admin");
            HttpResponse<String> limited = post("api/flows/it_keyed/key-concurrency", "{\"maxRunningPerKey\": 1}");
            assertEquals(200, limited.statusCode(), limited.body());
            assertEquals(1, json(limited).getInt("maxRunningPerKey"));
            HttpResponse<String> rated = post("api/flows/it_keyed/rate-limit", "{\"perSecond\": 50, \"burst\": 10}");
            assertEquals("{\"perSecond\":50,\"burst\":10,\"perKey\":false}", json(rated).getJsonObject("rateLimit").toString());
            JsonObject flow = json(get(base.toURI().resolve("api/flows/it_keyed")));
            assertTrue(flow.getJsonArray("busiestKeys").getValuesAs(JsonObject.class).stream()
                    .anyMatch(k -> k.getString("key").equals(tenant) && k.getInt("queued") == 1 && k.getInt("running") == 0), flow.toString());
        } finally {
            post("api/flows/it_keyed/key-concurrency", "{\"maxRunningPerKey\": null}");
            post("api/flows/it_keyed/rate-limit", "{\"perSecond\": null}");
            post("api/flows/it_keyed/resume", "");
        }
        for (String id : List.of(run.getString("runId"), json(headers).getJsonObject("run").getString("runId"))) {
            String status = "started";
            for (int i = 0; i < 300 && status.equals("started"); i++) {
                Thread.sleep(100);
                status = json(get(base.toURI().resolve("api/runs/" + id))).getJsonObject("run").getString("status");
            }
            assertEquals("completed", status, "run " + id + " after the flow was resumed");
        }
    }

    @Test
    @RunAsClient
    void restStartsAreIdempotentWithAnIdempotencyKeyHeader() throws Exception {
        String key = "order-" + java.util.UUID.randomUUID();
        String input = "{\"first_name\": \"Ida\", \"last_name\": \"Key\"}";

        HttpResponse<String> first = post("api/flows/greet_user/runs", input, key);
        HttpResponse<String> repeat = post("api/flows/greet_user/runs", input, key);
        HttpResponse<String> otherInput = post("api/flows/greet_user/runs", "{\"first_name\": \"Other\"}", key);
        HttpResponse<String> tooLong = post("api/flows/greet_user/runs", input, "k".repeat(201));

        assertEquals(201, first.statusCode(), first.body());
        String runId = Json.createReader(new StringReader(first.body())).readObject().getJsonObject("run").getString("runId");
        assertEquals(200, repeat.statusCode(), repeat.body());
        assertEquals(runId, Json.createReader(new StringReader(repeat.body())).readObject().getJsonObject("run").getString("runId"));
        assertTrue(repeat.headers().firstValue("Content-Location").orElse("").endsWith("/api/runs/" + runId), repeat.headers().toString());
        assertProblem(otherInput, 409, "Idempotency key reused", "Idempotency key \"" + key + "\" of flow \"greet_user\" was already"
                + " used by run " + runId + " with a different input");
        assertProblem(tooLong, 400, "Invalid idempotency key", "the Idempotency-Key header must hold 1 to 200 characters, got 201");
    }

    @Test
    void restStartsManyRunsInOneRequestAllOrNoneIdempotentlyAndAMinimalAnswerSkipsTheSteps() throws Exception {
        String tag = "batch-" + java.util.UUID.randomUUID();
        StringBuilder inputs = new StringBuilder("[");
        for (int i = 1; i <= 50; i++) {
            inputs.append(i == 1 ? "" : ",").append("{\"first_name\": \"B").append(i).append("\", \"last_name\": \"").append(tag).append("\"}");
        }
        String batch = inputs.append(']').toString();

        HttpResponse<String> started = post("api/flows/greet_user/runs/batch", batch, tag);
        assertEquals(201, started.statusCode(), started.body());
        JsonObject body = Json.createReader(new StringReader(started.body())).readObject();
        assertEquals("greet_user", body.getString("flowSlug"));
        assertEquals(50, body.getInt("created"));
        List<JsonObject> runs = body.getJsonArray("runs").getValuesAs(JsonObject.class);
        assertEquals(java.util.stream.IntStream.rangeClosed(1, 50).boxed().toList(), runs.stream().map(r -> r.getInt("item")).toList());
        assertTrue(runs.stream().allMatch(r -> r.getBoolean("created")), started.body());
        for (JsonObject r : List.of(runs.get(0), runs.get(49))) {
            assertEquals("completed", awaitRunEnd(r.getString("runId")));
        }
        int item = 1;
        for (JsonObject r : runs) {
            assertEquals(List.of("completed {\"greeting\": \"Hello, B" + item + " " + tag + "!\"} " + tag + "#" + item),
                    query("select status, output::text, idempotency_key from pgflow.runs where run_id = '" + r.getString("runId") + "'"));
            item++;
        }

        // the same request again (a client retrying after a lost answer): nothing new, the same runs, 200
        HttpResponse<String> repeat = post("api/flows/greet_user/runs/batch", batch, tag);
        assertEquals(200, repeat.statusCode(), repeat.body());
        JsonObject again = Json.createReader(new StringReader(repeat.body())).readObject();
        assertEquals(0, again.getInt("created"));
        assertEquals(runs.stream().map(r -> r.getString("runId")).toList(),
                again.getJsonArray("runs").getValuesAs(JsonObject.class).stream().map(r -> r.getString("runId")).toList());
        assertEquals(List.of("50"), query("select count(*) from pgflow.runs where input->>'last_name' = '" + tag + "'"));

        // all or none: a refused element names its position and nothing of the request starts
        String mapTag = "batch-map-" + java.util.UUID.randomUUID();
        HttpResponse<String> refused = post("api/flows/greet_many/runs/batch", "[[{\"first_name\": \"A\", \"last_name\": \""
                + mapTag + "\"}], {\"tag\": \"" + mapTag + "\"}, []]");
        assertEquals(422, refused.statusCode(), refused.body());
        assertTrue(Json.createReader(new StringReader(refused.body())).readObject().getString("detail").startsWith("Flow \"greet_many\", item 2: "),
                refused.body());
        assertEquals(List.of("0"), query("select count(*) from pgflow.runs where flow_slug = 'greet_many' and input::text like '%" + mapTag + "%'"));
        assertProblem(post("api/flows/greet_user/runs/batch", "{\"first_name\": \"One\"}"), 400, "Not an array",
                "the body must be a JSON array of run inputs, got a JSON object (to start one run, POST it to /api/flows/greet_user/runs)");
        assertProblem(post("api/flows/greet_user/runs/batch", "[]"), 400, "No inputs", "the array is empty: send at least one run input");
        assertProblem(post("api/flows/greet_user/runs/batch", "[{}, "), 400, "Malformed JSON",
                Json.createReader(new StringReader(post("api/flows/greet_user/runs/batch", "[{}, ").body())).readObject().getString("detail"));
        assertProblem(post("api/flows/greet_user/runs/batch", "[" + "{},".repeat(1000) + "{}]"), 413, "Too many inputs",
                "the array has 1001 inputs; at most 1000 are started per request (pgflow.api.maxBatchRuns): split it");
        assertProblem(post("api/flows/no_such_flow/runs/batch", "[{}]"), 404, "Unknown flow",
                Json.createReader(new StringReader(post("api/flows/no_such_flow/runs", "{}").body())).readObject().getString("detail"));
        assertProblem(post("api/flows/greet_user/runs/batch", "[{}]", "k".repeat(191)), 400, "Invalid idempotency key",
                "the Idempotency-Key header of a batch must hold 1 to 190 characters (element i adds #i), got 191");

        // Prefer: return=minimal answers with the run alone (no steps read back)
        HttpRequest.Builder minimal = HttpRequest.newBuilder(base.toURI().resolve("api/flows/greet_user/runs"))
                .header("Content-Type", "application/json").header("Authorization", basic("it-admin", "it-admin-secret"))
                .header("Prefer", "respond-async, return=minimal")
                .POST(HttpRequest.BodyPublishers.ofString("{\"first_name\": \"Min\", \"last_name\": \"Imal\"}"));
        HttpResponse<String> small = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(minimal.build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, small.statusCode(), small.body());
        assertEquals("return=minimal", small.headers().firstValue("Preference-Applied").orElse(""), small.headers().toString());
        JsonObject smallBody = Json.createReader(new StringReader(small.body())).readObject();
        assertEquals(java.util.Set.of("run"), smallBody.keySet());
        JsonObject smallRun = smallBody.getJsonObject("run");
        String smallId = smallRun.getString("runId");
        assertTrue(small.headers().firstValue("Location").orElse("").endsWith("/api/runs/" + smallId), small.headers().toString());
        assertEquals("started greet_user 2 Min Imal", smallRun.getString("status") + " " + smallRun.getString("flowSlug") + " "
                + smallRun.getInt("remainingSteps") + " " + smallRun.getJsonObject("input").getString("first_name") + " "
                + smallRun.getJsonObject("input").getString("last_name"));
        assertEquals(2, smallRun.getJsonObject("input").size());
        assertEquals("completed", awaitRunEnd(smallId));
        // the full answer of the same run has the same run fields as GET (minus what changed since)
        JsonObject full = Json.createReader(new StringReader(get(base.toURI().resolve("api/runs/" + smallId)).body())).readObject();
        assertEquals(smallRun.getString("startedAt"), full.getJsonObject("run").getString("startedAt"));
        assertEquals(new java.util.TreeSet<>(smallRun.keySet()), new java.util.TreeSet<>(full.getJsonObject("run").keySet()));

        // the workers hold their own pool: their sessions are named pgflow-workers, the API's pgflow
        assertEquals(List.of("t"), query("select count(*) > 0 from pg_stat_activity where application_name = 'pgflow-workers'"));
    }

    @Test
    @RunAsClient
    void restListsRunsInFilteredPagesWithLinksAndTotalsAndServesFlowsAndWorkers() throws Exception {
        String tag = "list-" + java.util.UUID.randomUUID();
        List<String> started = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = post("api/flows/greet_user/runs", "{\"first_name\": \"" + tag + "\", \"last_name\": \"" + i + "\"}");
            assertEquals(201, r.statusCode(), r.body());
            started.add(Json.createReader(new StringReader(r.body())).readObject().getJsonObject("run").getString("runId"));
        }
        String filter = "api/runs?flow=greet_user&inputContains=" + java.net.URLEncoder.encode("{\"first_name\": \"" + tag + "\"}",
                java.nio.charset.StandardCharsets.UTF_8);

        HttpResponse<String> first = get(base.toURI().resolve(filter + "&limit=2"));
        assertEquals(200, first.statusCode(), first.body());
        JsonObject page1 = Json.createReader(new StringReader(first.body())).readObject();
        assertEquals(List.of(started.get(2), started.get(1)), page1.getJsonArray("runs").getValuesAs(JsonObject.class).stream()
                .map(r -> r.getString("runId")).toList(), "newest first");
        assertTrue(page1.isNull("previousCursor"), first.body());
        JsonObject totals = page1.getJsonObject("totals");
        assertEquals(3, totals.getInt("started") + totals.getInt("completed"), totals.toString());
        assertTrue(totals.getBoolean("exact"), totals.toString());
        String link = first.headers().firstValue("Link").orElseThrow();
        assertTrue(link.contains("rel=\"next\"") && link.contains("cursor=" + page1.getString("nextCursor")), link);

        JsonObject page2 = Json.createReader(new StringReader(get(base.toURI().resolve(filter + "&limit=2&cursor="
                + page1.getString("nextCursor"))).body())).readObject();
        assertEquals(List.of(started.get(0)), page2.getJsonArray("runs").getValuesAs(JsonObject.class).stream()
                .map(r -> r.getString("runId")).toList());
        assertTrue(page2.isNull("nextCursor"), page2.toString());
        assertTrue(!page2.isNull("previousCursor"), page2.toString());

        assertProblem(get(base.toURI().resolve("api/runs?status=paused")), 400, "Invalid query",
                "status 'paused' is not a run status (started, completed, failed, cancelled)");
        assertProblem(get(base.toURI().resolve("api/runs?limit=501")), 400, "Invalid query", "limit must be between 1 and 500, got 501");
        assertProblem(get(base.toURI().resolve("api/runs?startedAfter=yesterday")), 400, "Invalid query",
                "startedAfter 'yesterday' is not an ISO-8601 time with an offset, for example 2026-11-28T10:00:00Z");
        assertProblem(get(base.toURI().resolve("api/runs?cursor=zzz")), 400, "Invalid query",
                "cursor 'zzz' is not a cursor of this listing: pass the nextCursor or previousCursor of a page as it was returned");

        JsonObject flow = Json.createReader(new StringReader(get(base.toURI().resolve("api/flows/greet_user")).body())).readObject();
        assertEquals("verified", flow.getString("status"));
        assertEquals(2, flow.getJsonArray("steps").size());
        assertProblem(get(base.toURI().resolve("api/flows/nope")), 404, "Unknown flow", "Flow \"nope\" does not exist");

        List<JsonObject> workersJson = Json.createReader(new StringReader(get(base.toURI().resolve("api/workers")).body())).readArray()
                .getValuesAs(JsonObject.class);
        assertTrue(workersJson.stream().anyMatch(w -> w.getString("flowSlug").equals("greet_user") && w.getBoolean("live")
                && w.getJsonNumber("heartbeatAgeMs").longValue() <= 15_000), workersJson.toString());
    }

    @Test
    @RunAsClient
    void theOpenApiDocumentDescribesEveryEndpointOfTheWarWithItsResponses() throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest
                .newBuilder(base.toURI().resolve("/openapi")).header("Accept", "application/json").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonObject doc = Json.createReader(new StringReader(r.body())).readObject();
        JsonObject paths = doc.getJsonObject("paths");
        List<String> endpoints = endpointsOfTheWar();
        assertTrue(endpoints.size() >= 7, "endpoints found in the WAR: " + endpoints);
        List<String> problems = new java.util.ArrayList<>();
        java.util.Set<String> operationIds = new java.util.HashSet<>();
        for (String endpoint : endpoints) {
            String[] parts = endpoint.split(" ", 3);
            String key = paths.keySet().stream().filter(k -> k.endsWith(parts[1])).findFirst().orElse(null);
            JsonObject operation = key == null ? null : paths.getJsonObject(key).getJsonObject(parts[0]);
            if (operation == null) {
                problems.add(endpoint + ": not in the OpenAPI document");
                continue;
            }
            if (!operation.containsKey("summary") || operation.getString("summary").isBlank()) {
                problems.add(endpoint + ": no summary");
            }
            // a generated client needs unique operation ids and required path parameters
            if (!operation.containsKey("operationId") || !operationIds.add(operation.getString("operationId"))) {
                problems.add(endpoint + ": no operationId, or one used twice: " + operation.get("operationId"));
            }
            for (JsonObject parameter : operation.containsKey("parameters")
                    ? operation.getJsonArray("parameters").getValuesAs(JsonObject.class) : List.<JsonObject>of()) {
                if (parameter.getString("in", "").equals("path") && !parameter.getBoolean("required", false)) {
                    problems.add(endpoint + ": path parameter " + parameter.getString("name") + " not marked required");
                }
            }
            JsonObject responses = operation.getJsonObject("responses");
            if (responses == null || !(responses.containsKey("200") || responses.containsKey("201") || responses.containsKey("202"))) {
                problems.add(endpoint + ": no success response");
            } else if (parts[2].equals("takes input") && responses.keySet().stream().noneMatch(c -> c.startsWith("4"))) {
                problems.add(endpoint + ": takes input but documents no 4xx error");
            }
            if (responses != null) {
                // every endpoint needs a sign-in and a role; every error is a Problem (ProblemResponses, declared once)
                if (!responses.containsKey("401") || !responses.containsKey("403")) {
                    problems.add(endpoint + ": 401 or 403 not documented");
                }
                for (String code : responses.keySet()) {
                    JsonObject content = responses.getJsonObject(code).getJsonObject("content");
                    if ((code.startsWith("4") || code.startsWith("5")) && (content == null
                            || !content.getJsonObject("application/problem+json").getJsonObject("schema").getString("$ref", "")
                            .equals("#/components/schemas/Problem"))) {
                        problems.add(endpoint + ": " + code + " is not a Problem: " + responses.getJsonObject(code));
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
        JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
        assertTrue(schemas.keySet().containsAll(List.of("Run", "RunDetail", "RunPage", "Flow", "Worker", "Problem",
                "CancelRequest", "ConcurrencyRequest", "StartedRuns", "JobExecution", "SystemInfo", "RunEvent")), schemas.keySet().toString());
        assertTrue(schemas.getJsonObject("Run").getJsonObject("properties").containsKey("runId"), schemas.getJsonObject("Run").toString());
    }

    /** "get /api/runs/{id} takes input" and so on, for every JAX-RS resource method in the deployed WAR. */
    private static List<String> endpointsOfTheWar() throws Exception {
        return ItWar.endpoints().stream().map(e -> e.verb().toLowerCase(java.util.Locale.ROOT) + " " + e.path() + " "
                + (e.takesInput() ? "takes input" : "no input")).toList();
    }

    @Test
    @RunAsClient
    void operatorsPauseCancelRetryRestartAndResumeOverRest() throws Exception {
        JsonObject paused = Json.createReader(new StringReader(postAs("it-operator", "api/flows/greet_user/pause", "", null).body()))
                .readObject();
        assertTrue(!paused.isNull("pausedAt"), paused.toString());
        try {
            HttpResponse<String> started = post("api/flows/greet_user/runs", "{\"first_name\": \"Op\", \"last_name\": \"Erator\"}");
            String runId = Json.createReader(new StringReader(started.body())).readObject().getJsonObject("run").getString("runId");

            assertProblem(postAs("it-viewer", "api/runs/" + runId + "/cancel", "", null), 403, "Forbidden",
                    "user 'it-viewer' has role pgflow-viewer; POST /api/runs/" + runId + "/cancel needs pgflow-operator or pgflow-admin");
            HttpResponse<String> cancelled = postAs("it-operator", "api/runs/" + runId + "/cancel", "{\"reason\": \"over REST\"}", null);
            assertEquals(200, cancelled.statusCode(), cancelled.body());
            JsonObject run = Json.createReader(new StringReader(cancelled.body())).readObject().getJsonObject("run");
            assertEquals("cancelled", run.getString("status"));
            assertEquals("over REST", run.getString("cancelReason"));
            assertEquals(List.of("cancelled"), Json.createReader(new StringReader(cancelled.body())).readObject().getJsonArray("steps")
                    .getValuesAs(JsonObject.class).stream().map(s -> s.getString("status")).distinct().toList());
            assertEquals(200, postAs("it-operator", "api/runs/" + runId + "/cancel", "", null).statusCode(), "cancelling again");
            assertProblem(postAs("it-operator", "api/runs/" + runId + "/cancel", "not json", null), 400, "Invalid body",
                    "the body must be empty or {\"reason\": \"...\"}");

            HttpResponse<String> retried = postAs("it-operator", "api/runs/" + runId + "/retry", "", null);
            assertEquals(200, retried.statusCode(), retried.body());
            JsonObject again = Json.createReader(new StringReader(retried.body())).readObject().getJsonObject("run");
            assertEquals("started", again.getString("status"));
            assertEquals(1, again.getInt("retryCount"));
            assertProblem(postAs("it-operator", "api/runs/" + runId + "/retry", "", null), 409, "Not possible in this state",
                    "Run " + runId + " is started: only a failed or cancelled run can be retried");

            JsonObject resumed = Json.createReader(new StringReader(postAs("it-admin", "api/flows/greet_user/resume", "", null).body()))
                    .readObject();
            assertTrue(resumed.isNull("pausedAt"), resumed.toString());
            JsonObject done = null;
            for (int i = 0; i < 1800; i++) {
                done = Json.createReader(new StringReader(get(base.toURI().resolve("api/runs/" + runId)).body())).readObject().getJsonObject("run");
                if (!done.getString("status").equals("started")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals("completed", done.getString("status"), done.toString());
            assertEquals("Hello, Op Erator!", done.getJsonObject("output").getString("greeting"));

            HttpResponse<String> restarted = postAs("it-operator", "api/runs/" + runId + "/restart", "", null);
            assertEquals(201, restarted.statusCode(), restarted.body());
            JsonObject fresh = Json.createReader(new StringReader(restarted.body())).readObject().getJsonObject("run");
            assertEquals(runId, fresh.getString("restartOfRunId"));
            assertTrue(restarted.headers().firstValue("Location").orElse("").endsWith("/api/runs/" + fresh.getString("runId")));
            assertProblem(postAs("it-operator", "api/runs/" + runId + "/cancel", "", null), 409, "Not possible in this state",
                    "Run " + runId + " is completed: only a started run can be cancelled");
            String unknown = java.util.UUID.randomUUID().toString();
            assertProblem(postAs("it-operator", "api/runs/" + unknown + "/retry", "", null), 404, "Unknown run", "Run " + unknown + " does not exist");
            assertProblem(postAs("it-operator", "api/flows/nope/pause", "", null), 404, "Unknown flow", "Flow \"nope\" does not exist");

            // the concurrency limit
            HttpResponse<String> limited = postAs("it-operator", "api/flows/greet_user/concurrency", "{\"maxRunning\": 4}", null);
            assertEquals(200, limited.statusCode(), limited.body());
            assertEquals(4, Json.createReader(new StringReader(limited.body())).readObject().getInt("maxRunning"));
            assertProblem(postAs("it-viewer", "api/flows/greet_user/concurrency", "{\"maxRunning\": 9}", null), 403, "Forbidden",
                    "user 'it-viewer' has role pgflow-viewer; POST /api/flows/greet_user/concurrency needs pgflow-operator or pgflow-admin");
            assertProblem(postAs("it-operator", "api/flows/greet_user/concurrency", "{\"maxRunning\": 0}", null), 422, "Refused",
                    "Flow \"greet_user\": max_running must be at least 1, got 0 (NULL removes the limit; pgflow.pause_flow stops claiming)");
            assertProblem(postAs("it-operator", "api/flows/greet_user/concurrency", "{\"maxRunning\": \"4\"}", null), 400, "Invalid body",
                    "the body must be {\"maxRunning\": <a whole number, 1 or more>} or {\"maxRunning\": null}; got maxRunning \"4\"");
            assertProblem(postAs("it-operator", "api/flows/greet_user/concurrency", "{\"max\": 4}", null), 400, "Invalid body",
                    "the body must be {\"maxRunning\": <a whole number, 1 or more>} or {\"maxRunning\": null}; got the fields [max]");
            assertProblem(postAs("it-operator", "api/flows/nope/concurrency", "{\"maxRunning\": 2}", null), 404, "Unknown flow",
                    "Flow \"nope\" does not exist");
            assertEquals(4, Json.createReader(new StringReader(get(base.toURI().resolve("api/flows/greet_user")).body())).readObject()
                    .getInt("maxRunning"), "refused changes left the limit at 4");
            HttpResponse<String> unlimited = postAs("it-operator", "api/flows/greet_user/concurrency", "{\"maxRunning\": null}", null);
            assertEquals(200, unlimited.statusCode(), unlimited.body());
            assertTrue(Json.createReader(new StringReader(unlimited.body())).readObject().isNull("maxRunning"), unlimited.body());
        } finally {
            postAs("it-admin", "api/flows/greet_user/resume", "", null);
            postAs("it-admin", "api/flows/greet_user/concurrency", "{\"maxRunning\": null}", null);
        }
    }

    @Test
    @RunAsClient
    void restStartsARunAnswersWithItsLocationAndServesItUntilCompleted() throws Exception {
        HttpResponse<String> created = post("api/flows/greet_user/runs", "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}");
        assertEquals(201, created.statusCode(), created.body());
        JsonObject body = Json.createReader(new StringReader(created.body())).readObject();
        String runId = body.getJsonObject("run").getString("runId");
        assertEquals("greet_user", body.getJsonObject("run").getString("flowSlug"));
        assertEquals(List.of("full_name", "greeting"), body.getJsonArray("steps").getValuesAs(JsonObject.class).stream()
                .map(s -> s.getString("stepSlug")).toList());
        String location = created.headers().firstValue("Location").orElseThrow();
        assertTrue(location.endsWith("/api/runs/" + runId), location);

        JsonObject run = null;
        for (int i = 0; i < 1800; i++) {
            HttpResponse<String> got = get(URI.create(location));
            assertEquals(200, got.statusCode(), got.body());
            run = Json.createReader(new StringReader(got.body())).readObject();
            if (!run.getJsonObject("run").getString("status").equals("started")) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals("completed", run.getJsonObject("run").getString("status"), run.toString());
        assertEquals("Hello, Alice Smith!", run.getJsonObject("run").getJsonObject("output").getString("greeting"));
        assertEquals(List.of("completed \"Alice Smith\"", "completed \"Hello, Alice Smith!\""),
                run.getJsonArray("steps").getValuesAs(JsonObject.class).stream()
                        .map(s -> s.getString("status") + " " + s.get("output")).toList());

        HttpResponse<String> fixedId = post("api/flows/greet_user/runs?runId=" + runId, "{}");
        assertProblem(fixedId, 409, "Run exists", "Run " + runId + " already exists; start_flow needs a new run_id (or none)");
    }

    @Test
    void startingARunOfAFlowThatDiffersFromTheDatabaseAnswers409WithTheDifferencesAndTheFix() throws Exception {
        // the database's it_changed gets a second step behind the server's back; the server checks again
        query("select count(*) from pgflow.delete_flow_and_data('it_changed')");
        query("select flow_slug from pgflow.create_flow('it_changed')");
        query("select step_slug from pgflow.add_step('it_changed', 'only')");
        query("select step_slug from pgflow.add_step('it_changed', 'extra', ARRAY['only'])");
        registry.verifyAll();
        try {
            String refusal = registry.refusalToStart("it_changed").orElseThrow();
            assertEquals("flow 'it_changed' differs from the flow in the database and will not run (first = Java, second = database):"
                    + " Step count differs: 1 vs 2; Step at index 1: missing in first shape (second has 'extra'). Flows are immutable once"
                    + " applied: give the changed flow a new slug (for example it_changed_v2), or in development delete the old one with"
                    + " SELECT pgflow.delete_flow_and_data('it_changed'): the server checks again within 10 s, no restart needed. Until then a run started here would wait: no worker"
                    + " of this server runs the flow.", refusal);
            assertProblem(post("api/flows/it_changed/runs", "{}"), 409, "Flow differs from the database", refusal);
            assertEquals(List.of("0"), query("select count(*) from pgflow.runs where flow_slug = 'it_changed'"), "nothing was started");
            // from SQL it stays allowed: another server may run the database's version
            assertEquals(1, query("select run_id from pgflow.start_flow('it_changed', '{}')").size());
            assertTrue(registry.refusalToStart("greet_user").isEmpty(), "a verified flow starts");
        } finally {
            query("select count(*) from pgflow.delete_flow_and_data('it_changed')");
            registry.verifyAll(); // auto-compilation (on in these tests) creates it again from Java
        }
        assertTrue(registry.refusalToStart("it_changed").isEmpty());
        assertEquals(201, post("api/flows/it_changed/runs", "{}").statusCode());

        // a flow that no server runs (only in the database): the API says no live worker serves it or its run
        query("select flow_slug from pgflow.create_flow('it_nobody')");
        query("select step_slug from pgflow.add_step('it_nobody', 'waits')");
        try {
            String waiting = query("select run_id from pgflow.start_flow('it_nobody', '{}')").get(0);
            HttpResponse<String> flow = get(base.toURI().resolve("api/flows/it_nobody"));
            assertEquals(200, flow.statusCode(), flow.body());
            assertEquals(0, Json.createReader(new StringReader(flow.body())).readObject().getJsonNumber("liveWorkers").longValue());
            HttpResponse<String> run = get(base.toURI().resolve("api/runs/" + waiting));
            JsonObject detail = Json.createReader(new StringReader(run.body())).readObject();
            assertEquals("started", detail.getJsonObject("run").getString("status"));
            assertEquals(0, detail.getJsonNumber("liveWorkers").longValue(), run.body());
            assertEquals(0, workerQueries.liveWorkers("it_nobody"));
            assertTrue(workerQueries.liveWorkers("it_changed") >= 1, "it_changed was compiled again and its worker beats");
        } finally {
            query("select count(*) from pgflow.delete_flow_and_data('it_nobody')");
        }
    }

    @Test
    void anApprovalWaitsWithoutAThreadIsApprovedOverRestByKeyAndCompletes() throws Exception {
        String order = "order-" + java.util.UUID.randomUUID();
        HttpResponse<String> started = post("api/flows/order_approval/runs", "{\"orderId\": \"" + order + "\", \"total\": 120}", order);
        assertEquals(201, started.statusCode(), started.body());
        String run = Json.createReader(new StringReader(started.body())).readObject().getJsonObject("run").getString("runId");
        awaitTrue(() -> query("select status from pgflow.step_states where run_id = '" + run + "' and step_slug = 'approval'")
                .equals(List.of("started")), "the approval waits");
        assertEquals(List.of("0 started 2 days"), query("select (select count(*) from pgflow.step_tasks where run_id = ss.run_id"
                + " and step_slug = 'approval'), r.status, ss.wait_deadline - ss.started_at from pgflow.step_states ss"
                + " join pgflow.runs r using (run_id) where ss.run_id = '" + run + "' and ss.step_slug = 'approval'"),
                "no task, the run started, the deadline two days on");
        HttpResponse<String> detail = get(base.toURI().resolve("api/runs/" + run));
        JsonObject waiting = Json.createReader(new StringReader(detail.body())).readObject().getJsonArray("steps").getValuesAs(JsonObject.class)
                .stream().filter(st -> st.getString("stepSlug").equals("approval")).findFirst().orElseThrow();
        assertEquals("signal started true", waiting.getString("stepType") + " " + waiting.getString("status") + " "
                + waiting.isNull("signalAt"), waiting.toString());
        assertEquals(query("select floor(extract(epoch from wait_deadline))::bigint from pgflow.step_states"
                + " where run_id = '" + run + "' and step_slug = 'approval'").get(0),
                String.valueOf(java.time.OffsetDateTime.parse(waiting.getString("waitDeadline")).toEpochSecond()));

        String path = "api/flows/order_approval/runs/by-key/" + order + "/steps/approval/signal";
        assertProblem(postAs("it-viewer", path, "{\"approved\": true, \"by\": \"vic\"}", null), 403, "Forbidden",
                "user 'it-viewer' has role pgflow-viewer; POST /api/flows/order_approval/runs/by-key/" + order
                + "/steps/approval/signal needs pgflow-operator or pgflow-admin");
        HttpResponse<String> approved = postAs("it-operator", path, "{\"approved\": true, \"by\": \"ann\"}", null);
        assertEquals(200, approved.statusCode(), approved.body());
        assertEquals("{\"result\":\"delivered\"}", approved.body());
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"fulfil\": \"shipped " + order + " (120.00), approved by ann\"}"),
                query("select output::text from pgflow.runs where run_id = '" + run + "'"));
        assertEquals("{\"result\":\"ignored\"}", postAs("it-operator", path, "{\"approved\": false, \"by\": \"bob\"}", null).body(),
                "a second signal changes nothing");
        assertEquals("{\"result\":\"ignored\"}", post("api/runs/" + run + "/steps/approval/signal", "{\"approved\": true}").body());
        assertProblem(post("api/flows/order_approval/runs/by-key/no-such-order/steps/approval/signal", "{\"approved\": true}"), 404, "Unknown run",
                "Flow \"order_approval\" has no run started with idempotency key \"no-such-order\"");
        HttpResponse<String> wrongType = post(path, "{\"approved\": \"maybe\"}");
        assertEquals(422, wrongType.statusCode(), wrongType.body());
        assertTrue(Json.createReader(new StringReader(wrongType.body())).readObject().getString("detail").startsWith("Step \"approval\" of flow"
                + " \"order_approval\" takes a signal payload of type io.pgflowee.examples.OrderApproval$Approval, which this payload is not:"
                + " $.approved must be true or false, got \"maybe\""),
                wrongType.body());
    }

    @Test
    @RunAsClient
    void restListsFlowsWithTheirStepsAndWhetherThisServerRunsThem() throws Exception {
        assertEquals(201, post("api/flows/greet_user/runs", "{\"first_name\": \"Flo\", \"last_name\": \"Lister\"}").statusCode());
        HttpResponse<String> r = get(base.toURI().resolve("api/flows"));
        assertEquals(200, r.statusCode(), r.body());
        JsonObject greet = Json.createReader(new StringReader(r.body())).readArray().getValuesAs(JsonObject.class).stream()
                .filter(f -> f.getString("slug").equals("greet_user")).findFirst().orElseThrow();
        assertEquals("verified", greet.getString("status"));
        assertTrue(greet.getJsonNumber("liveWorkers").longValue() >= 1, greet.toString());
        assertEquals(3, greet.getInt("maxAttempts"));
        assertEquals(60, greet.getInt("timeout"));
        assertEquals(List.of("full_name []", "greeting [\"full_name\"]"), greet.getJsonArray("steps").getValuesAs(JsonObject.class)
                .stream().map(s -> s.getString("slug") + " " + s.getJsonArray("dependencies")).toList());
        assertTrue(greet.isNull("pausedAt"), greet.toString());
        assertTrue(greet.isNull("maxRunning"), greet.toString());
        assertTrue(greet.getJsonObject("runs").getBoolean("exact"), greet.toString());
        JsonObject runs = greet.getJsonObject("runs");
        assertTrue(runs.getInt("started") + runs.getInt("completed") >= 1, "the run started above: " + runs);
        assertEquals(List.of("atLeast", "cancelled", "completed", "exact", "failed", "started"), runs.keySet().stream().sorted().toList());
        assertEquals(0, runs.getJsonArray("atLeast").size(), runs.toString());
    }

    @Test
    @RunAsClient
    void restRejectsBadRequestsWithProblemDetailsAndLeavesNothingBehind() throws Exception {
        String id = "00000000-0000-0000-0000-0000000000a1";
        assertProblem(post("api/flows/no_such_flow/runs?runId=" + id, "{}"), 404, "Unknown flow", "Flow \"no_such_flow\" does not exist");
        HttpResponse<String> malformed = post("api/flows/greet_user/runs?runId=" + id, "{\"first_name\": \"Alice\",, }");
        assertEquals(400, malformed.statusCode(), malformed.body());
        assertTrue(malformed.body().contains("the run input is not valid JSON: invalid JSON at line 1, column"), malformed.body());
        assertProblem(post("api/flows/greet_user/runs", ""), 400, "Missing input",
                "the request body is empty: send the run input as JSON (for example {})");
        assertProblem(post("api/flows/greet_user/runs?runId=nope", "{}"), 400, "Invalid run id", "runId 'nope' is not a UUID");
        assertProblem(post("api/flows/greet_many/runs?runId=" + id, "{\"first_name\": \"Alice\"}"), 422, "Input rejected",
                "Flow greet_many has root map steps but input is not an array (got object)");
        // none of the refused requests wrote the run
        assertProblem(get(base.toURI().resolve("api/runs/" + id)), 404, "Unknown run", "Run " + id + " does not exist");
        assertProblem(get(base.toURI().resolve("api/runs/xyz")), 400, "Invalid run id", "'xyz' is not a UUID");

        HttpResponse<String> many = post("api/flows/greet_many/runs?runId=" + id,
                "[{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}, {\"first_name\": \"Bob\", \"last_name\": \"Jones\"}]");
        assertEquals(201, many.statusCode(), many.body());
        JsonObject run = null;
        for (int i = 0; i < 1800; i++) {
            run = Json.createReader(new StringReader(get(base.toURI().resolve("api/runs/" + id)).body())).readObject();
            if (!run.getJsonObject("run").getString("status").equals("started")) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals("{\"letter\":\"Hello, Alice Smith! Hello, Bob Jones!\"}", run.getJsonObject("run").get("output").toString());
    }

    /** A request of any method (PATCH, DELETE) as {@code user}, with a JSON body or none. */
    private HttpResponse<String> sendAs(String user, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.toURI().resolve(path)).header("Authorization", basic(user, user + "-secret"))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void schedulesOverRestFireOnceThroughTheServersTickAndEachChangeNeedsItsRole() throws Exception {
        // the example flow's declared schedules, created by its compiled changelog
        JsonObject declared = json(getAs("it-viewer", "it-viewer-secret", base.toURI().resolve("api/schedules?flow=daily_report")));
        assertEquals(List.of("daily_report_eu 0 7 * * MON-FRI Europe/Berlin true 5", "daily_report_us 0 8 * * MON-FRI America/New_York true 5"),
                declared.getJsonArray("schedules").getValuesAs(JsonObject.class).stream().map(s -> s.getString("name") + " " + s.getString("cron")
                        + " " + s.getString("timeZone") + " " + s.getBoolean("declared") + " " + s.getJsonArray("nextFirings").size()).toList());
        assertEquals(2, declared.getInt("total"));
        assertEquals(List.of(), registry.statuses().stream().filter(st -> st.slug().equals("daily_report")).findFirst().orElseThrow()
                .scheduleDifferences(), "the declaration and the database agree");

        String create = "{\"name\": \"it_rest_yearly\", \"flowSlug\": \"greet_user\", \"cron\": \"0 3 1 1 *\","
                + " \"input\": {\"first_name\": \"Sched\", \"last_name\": \"Uled\"}}";
        assertProblem(postAs("it-operator", "api/schedules", create, null), 403, "Forbidden",
                "user 'it-operator' may not POST /api/schedules: it needs pgflow-admin");
        HttpResponse<String> created = postAs("it-admin", "api/schedules", create, null);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(base.toURI().resolve("api/schedules/it_rest_yearly").toString(), created.headers().firstValue("Location").orElseThrow());
        try {
            // time moves by next_fire_at: the last firing (1 January, 03:00 UTC) is due, and the servers' tick starts it once
            query("update pgflow_internal.schedules set next_fire_at = date_trunc('year', now()) + interval '3 hours'"
                    + " where schedule_name = 'it_rest_yearly' returning 1");
            String key = "schedule:it_rest_yearly:" + query("select to_char(date_trunc('year', now() at time zone 'UTC'), 'YYYY') || '-01-01T03:00:00Z'").get(0);
            awaitTrue(() -> query("select count(*) from pgflow.runs where idempotency_key = '" + key + "' and status = 'completed'").get(0).equals("1"),
                    "the due firing's run completed");
            assertEquals(List.of("{\"greeting\": \"Hello, Sched Uled!\"}"), query("select output::text from pgflow.runs where idempotency_key = '" + key + "'"));
            assertEquals(List.of("true"), query("select (next_fire_at > now() and last_fired_at is not null)::text from pgflow_internal.schedules"
                    + " where schedule_name = 'it_rest_yearly'"));

            HttpResponse<String> triggered = postAs("it-operator", "api/schedules/it_rest_yearly/trigger", "", null);
            assertEquals(201, triggered.statusCode(), triggered.body());
            assertEquals("completed", awaitRunEnd(json(triggered).getString("runId")));

            assertProblem(sendAs("it-operator", "PATCH", "api/schedules/it_rest_yearly", "{\"cron\": \"0 4 1 1 *\"}"), 403, "Forbidden",
                    "user 'it-operator' may not PATCH /api/schedules/it_rest_yearly: it needs pgflow-admin");
            HttpResponse<String> changed = sendAs("it-admin", "PATCH", "api/schedules/it_rest_yearly", "{\"cron\": \"0 4 1 1 *\"}");
            assertEquals(200, changed.statusCode(), changed.body());
            assertEquals("0 4 1 1 *", json(changed).getString("cron"));
            assertProblem(sendAs("it-admin", "PATCH", "api/schedules/it_rest_yearly", "{\"cron\": \"0 4 1 1 * 2030\"}"), 422, "Refused",
                    "Cron \"0 4 1 1 * 2030\": 6 fields; the five standard fields are expected (minute hour day-of-month month day-of-week):"
                            + " seconds are not supported");

            String range = "{\"from\": \"2020-01-01T00:00:00Z\", \"to\": \"2022-12-31T00:00:00Z\"}";
            HttpResponse<String> backfilled = postAs("it-admin", "api/schedules/it_rest_yearly/backfill", range, null);
            assertEquals("{\"schedule\":\"it_rest_yearly\",\"started\":3}", backfilled.body());
            assertEquals("{\"schedule\":\"it_rest_yearly\",\"started\":0}",
                    postAs("it-admin", "api/schedules/it_rest_yearly/backfill", range, null).body(), "each firing once");
            awaitTrue(() -> query("select count(*) from pgflow.runs where idempotency_key like 'schedule:it_rest_yearly:%' and status = 'completed'")
                    .get(0).equals("5"), "the five runs completed");
            JsonObject one = json(get(base.toURI().resolve("api/schedules/it_rest_yearly")));
            assertEquals(5, one.getJsonArray("latestRuns").size());
            assertEquals(List.of("completed"), one.getJsonArray("latestRuns").getValuesAs(JsonObject.class).stream()
                    .map(r -> r.getString("status")).distinct().toList());

            assertEquals(200, postAs("it-admin", "api/schedules/it_rest_yearly/pause", "", null).statusCode());
            assertEquals(List.of("true"), query("select (paused_at is not null)::text from pgflow_internal.schedules where schedule_name = 'it_rest_yearly'"));
            assertProblem(sendAs("it-operator", "DELETE", "api/schedules/it_rest_yearly", null), 403, "Forbidden",
                    "user 'it-operator' may not DELETE /api/schedules/it_rest_yearly: it needs pgflow-admin");
        } finally {
            HttpResponse<String> deleted = sendAs("it-admin", "DELETE", "api/schedules/it_rest_yearly", null);
            assertEquals(200, deleted.statusCode(), deleted.body());
            assertEquals("it_rest_yearly", json(deleted).getString("name"));
        }
        assertProblem(get(base.toURI().resolve("api/schedules/it_rest_yearly")), 404, "Unknown schedule", "Schedule \"it_rest_yearly\" does not exist");

        // a firing the flow refuses (greet_many takes an array): kept as the schedule's last error, logged, the schedule moves on
        HttpResponse<String> refusing = postAs("it-admin", "api/schedules", "{\"name\": \"it_rest_refused\", \"flowSlug\": \"greet_many\","
                + " \"cron\": \"0 3 1 1 *\", \"input\": {\"first_name\": \"Not\", \"last_name\": \"Alist\"}}", null);
        assertEquals(201, refusing.statusCode(), refusing.body());
        String year = query("select to_char(now() at time zone 'UTC', 'YYYY')").get(0);
        try (CapturedLog log = new CapturedLog(io.pgflowee.engine.clock.Ticker.class.getName())) {
            query("update pgflow_internal.schedules set next_fire_at = date_trunc('year', now()) + interval '3 hours'"
                    + " where schedule_name = 'it_rest_refused' returning 1");
            awaitTrue(() -> log.records.stream().anyMatch(r -> r.getMessage().startsWith("PGFLOW-102")), "the refused firing logged");
            assertEquals("PGFLOW-102 1 scheduled firing(s) could not start, the schedules moved on: it_rest_refused (flow greet_many): firing "
                    + year + "-01-01T03:00:00Z: Flow greet_many has root map steps but input is not an array (got object)",
                    log.records.stream().filter(r -> r.getMessage().startsWith("PGFLOW-102")).findFirst().orElseThrow().getMessage());
            JsonObject refused = json(get(base.toURI().resolve("api/schedules/it_rest_refused")));
            assertEquals("firing " + year + "-01-01T03:00:00Z: Flow greet_many has root map steps but input is not an array (got object)",
                    refused.getString("lastError"));
            assertTrue(java.time.OffsetDateTime.parse(refused.getString("nextFireAt")).isAfter(java.time.OffsetDateTime.now()), "moved on");
            assertEquals(0, refused.getJsonArray("latestRuns").size());
        } finally {
            assertEquals(200, sendAs("it-admin", "DELETE", "api/schedules/it_rest_refused", null).statusCode());
        }
        assertProblem(postAs("it-admin", "api/schedules/it_rest_yearly/resume", "", null), 404, "Unknown schedule",
                "Schedule \"it_rest_yearly\" does not exist");
    }

    private static JsonObject json(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject();
    }

    @Test
    void anOrderRunsItsPaymentAndEachParcelsShippingAsChildRunsThatRestListsStreamsAndCancelsWithIt() throws Exception {
        String input = "{\"orderId\": \"it-o-1\", \"card\": \"4242\", \"parcels\": [{\"id\": \"p-1\", \"grams\": 500, \"cents\": 700},"
                + " {\"id\": \"p-2\", \"grams\": 25000, \"cents\": 300}, {\"id\": \"p-3\", \"grams\": 100, \"cents\": 50}]}";
        HttpResponse<String> started = post("api/flows/order_fulfilment/runs", input);
        assertEquals(201, started.statusCode(), started.body());
        String order = json(started).getJsonObject("run").getString("runId");
        try (io.pgflowee.it.support.SseClient live = new io.pgflowee.it.support.SseClient(base.toURI().resolve("api/runs/" + order + "/events"),
                null)) {
            assertEquals("completed", awaitRunEnd(order));
            live.ended.get(30, java.util.concurrent.TimeUnit.SECONDS);
            List<String> childEvents = live.names().stream().filter(n -> n.startsWith("run:child_")).sorted().toList();
            assertEquals(List.of("run:child_finished pay#0", "run:child_finished ship#0", "run:child_finished ship#1",
                    "run:child_finished ship#2", "run:child_started pay#0", "run:child_started ship#0", "run:child_started ship#1",
                    "run:child_started ship#2"), childEvents, live.names().toString());
            try (io.pgflowee.it.support.SseClient late = new io.pgflowee.it.support.SseClient(
                    base.toURI().resolve("api/runs/" + order + "/events"), null)) {
                late.ended.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(live.ids().stream().filter(i -> i.contains("#")).sorted().toList(),
                        late.ids().stream().filter(i -> i.contains("#")).sorted().toList(), "the replay gives the live events' ids");
            }
        }
        JsonObject run = json(get(base.toURI().resolve("api/runs/" + order)));
        assertEquals("{\"summary\":{\"orderId\":\"it-o-1\",\"tracking\":[\"TRK-it-o-1-p-1\",\"TRK-it-o-1-p-2\",\"TRK-it-o-1-p-3\"],"
                + "\"authorization\":\"auth-it-o-1-1050\"}}", run.getJsonObject("run").get("output").toString());
        assertEquals(order, run.getJsonObject("run").getString("rootRunId"));
        JsonObject pay = run.getJsonArray("steps").getJsonObject(1);
        assertEquals("pay subflow payment", pay.getString("stepSlug") + " " + pay.getString("stepType") + " " + pay.getString("subflowSlug"));
        String payment = pay.getJsonArray("tasks").getJsonObject(0).getString("childRunId");

        JsonObject children = json(get(base.toURI().resolve("api/runs?parent=" + order)));
        assertEquals("{\"started\":0,\"completed\":4,\"failed\":0,\"cancelled\":0,\"exact\":true,\"atLeast\":[]}", children.getJsonObject("totals").toString());
        List<String> listed = children.getJsonArray("runs").getValuesAs(JsonObject.class).stream()
                .map(c -> c.getString("flowSlug") + " " + c.getString("parentStepSlug") + "[" + c.getInt("parentTaskIndex") + "] "
                        + c.getString("parentRunId").equals(order) + " " + c.getString("rootRunId").equals(order)).sorted().toList();
        assertEquals(List.of("payment pay[0] true true", "shipping ship[0] true true", "shipping ship[1] true true",
                "shipping ship[2] true true"), listed);
        JsonObject child = json(get(base.toURI().resolve("api/runs/" + payment)));
        assertEquals("{\"receipt\":{\"cents\":1050,\"orderId\":\"it-o-1\",\"authorization\":\"auth-it-o-1-1050\"}}",
                child.getJsonObject("run").get("output").toString());
        assertEquals(order, child.getJsonObject("run").getString("parentRunId"));
        assertProblem(get(base.toURI().resolve("api/runs?parent=nope")), 400, "Invalid query",
                "parent 'nope' is not a run id (a UUID such as 0f8a6c1e-3b8e-4a57-9b8e-2d9c1d6f5a10)");

        // with shipping paused the children wait; cancelling the order cancels them in the same transaction
        assertEquals(200, post("api/flows/shipping/pause", "").statusCode());
        try {
            HttpResponse<String> second = post("api/flows/order_fulfilment/runs", input.replace("it-o-1", "it-o-2"));
            String waiting = json(second).getJsonObject("run").getString("runId");
            awaitTrue(() -> query("select count(*) from pgflow.runs where parent_run_id = '" + waiting + "' and flow_slug = 'shipping'")
                    .get(0).equals("3"), "three shipping children wait");
            HttpResponse<String> cancelled = post("api/runs/" + waiting + "/cancel", "{\"reason\": \"customer called\"}");
            assertEquals(200, cancelled.statusCode(), cancelled.body());
            assertEquals(List.of("cancelled cancelled with run " + waiting + ": customer called"),
                    query("select distinct status || ' ' || cancel_reason from pgflow.runs where parent_run_id = '" + waiting
                            + "' and flow_slug = 'shipping'"));
        } finally {
            assertEquals(200, post("api/flows/shipping/resume", "").statusCode());
        }
    }
}
