package io.pgflowee.web.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.RunRow;
import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.Run;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

/** {@link RunsResource} in-JVM on a real PostgreSQL: the JSON of runs, pages and actions, and every error answer. */
@ExtendWith(PgflowDatabaseExtension.class)
class RunsResourceTest {

    private ApiFixture api;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        api = new ApiFixture(ds);
        api.twoStepFlow("rq");
    }

    @AfterEach
    void close() {
        api.close();
    }

    private UUID start(String input) {
        return api.db.one("select run_id from pgflow.start_flow('rq', ?::jsonb)", input);
    }

    /** The answer's body as a JSON object. */
    static JsonObject json(Response r) {
        return Json.createReader(new StringReader((String) r.getEntity())).readObject();
    }

    @Test
    void aRunReadsWithItsStepsTasksAndLiveWorkersInTheApiOrder() {
        UUID run = start("{\"n\": 1}");

        Response r = api.runs("runs/" + run).get(run.toString());

        assertThat(r.getStatus()).isEqualTo(200);
        JsonObject body = json(r);
        assertThat(body.keySet()).containsExactly("run", "steps", "liveWorkers");
        assertThat(body.getJsonObject("run").keySet()).containsExactly("runId", "flowSlug", "status", "input", "output", "remainingSteps",
                "startedAt", "completedAt", "failedAt", "cancelledAt", "cancelReason", "retryCount", "lastRetriedAt", "restartOfRunId",
                "idempotencyKey", "parentRunId", "parentStepSlug", "parentTaskIndex", "rootRunId", "concurrencyKey", "priority");
        assertThat(body.getJsonObject("run").getString("rootRunId")).as("a run nobody started is its own root").isEqualTo(run.toString());
        assertThat(body.getJsonObject("run").isNull("parentRunId")).isTrue();
        assertThat(body.getJsonObject("run").toString()).startsWith("{\"runId\":\"" + run + "\",\"flowSlug\":\"rq\",\"status\":\"started\","
                + "\"input\":{\"n\":1},\"output\":null,\"remainingSteps\":2,\"startedAt\":\"");
        assertThat(body.getJsonArray("steps").getValuesAs(JsonObject.class)).extracting(s -> s.getString("stepSlug") + " "
                + s.getString("status") + " " + s.getJsonArray("tasks").size()).containsExactly("a started 1", "b created 0");
        JsonObject task = body.getJsonArray("steps").getJsonObject(0).getJsonArray("tasks").getJsonObject(0);
        assertThat(body.getJsonArray("steps").getJsonObject(0).keySet()).containsExactly("stepSlug", "stepIndex", "stepType", "status",
                "initialTasks", "remainingTasks", "remainingDeps", "output", "errorMessage", "skipReason", "createdAt", "startedAt",
                "completedAt", "failedAt", "skippedAt", "cancelledAt", "waitDeadline", "signalAt", "subflowSlug", "tasks");
        assertThat(task.keySet()).containsExactly("taskIndex", "status", "attempts", "output", "errorMessage", "queuedAt", "startedAt",
                "completedAt", "failedAt", "cancelledAt", "lastWorkerId", "childRunId", "earlierAttempts");
        assertThat(task.getString("status")).isEqualTo("queued");
        assertThat(body.getInt("liveWorkers")).isZero();
    }

    @Test
    void aRunFromAnEngineFunctionAndFromTheReadModelIsTheSameJson() throws Exception {
        UUID run = start("{\"n\": 2}");

        RunRow cancelled = api.engine.cancelRun(run, "not needed");

        String fromRow = ApiJson.write(Run.of(cancelled));
        String fromReadModel = ApiJson.write(Run.of(api.runQueries.detail(run).orElseThrow().run()));
        assertThat(fromRow).isEqualTo(fromReadModel).contains("\"status\":\"cancelled\"", "\"cancelReason\":\"not needed\"");
    }

    @Test
    void pagesListNewestFirstWithCursorsInTheBodyAndTheLinkHeader() {
        UUID older = start("{\"n\": 1}");
        UUID newer = start("{\"n\": 2}");

        Response first = api.runs("runs?flow=rq&limit=1").list("rq", List.of(), null, null, null, null, null, null, null, null, null, "1", null);

        assertThat(first.getStatus()).isEqualTo(200);
        JsonObject page = json(first);
        assertThat(page.keySet()).containsExactly("runs", "nextCursor", "previousCursor", "totals");
        assertThat(page.getJsonArray("runs").getJsonObject(0).getString("runId")).isEqualTo(newer.toString());
        assertThat(page.isNull("previousCursor")).isTrue();
        assertThat(page.getJsonObject("totals").toString()).isEqualTo("{\"started\":2,\"completed\":0,\"failed\":0,\"cancelled\":0,"
                + "\"exact\":true,\"atLeast\":[]}");
        String next = page.getString("nextCursor");
        assertThat(first.getHeaderString("Link")).isEqualTo("<http://localhost:8080/api/runs?cursor=" + next + "&limit=1&flow=rq>;"
                + " rel=\"next\"");

        JsonObject second = json(api.runs("runs?flow=rq&limit=1&cursor=" + next).list("rq", List.of(), null, null, null, null, null, null, null, null, null, "1", next));
        assertThat(second.getJsonArray("runs").getJsonObject(0).getString("runId")).isEqualTo(older.toString());
        assertThat(second.isNull("nextCursor")).isTrue();
    }

    @Test
    void badQueriesAnswer400NamingTheParameter() {
        assertProblem(api.runs("runs").list(null, List.of("done"), null, null, null, null, null, null, null, null, null, "50", null), 400, "Invalid query",
                "status 'done' is not a run status (started, completed, failed, cancelled)");
        assertProblem(api.runs("runs").list(null, List.of(), "yesterday", null, null, null, null, null, null, null, null, "50", null), 400, "Invalid query",
                "startedAfter 'yesterday' is not an ISO-8601 time with an offset, for example 2026-11-28T10:00:00Z");
        assertProblem(api.runs("runs").list(null, List.of(), null, null, null, null, null, null, null, null, null, "many", null), 400, "Invalid query",
                "limit 'many' is not a number (1 to 500)");
        assertProblem(api.runs("runs").list(null, List.of(), null, null, null, null, null, null, null, null, "sideways", "50", null), 400,
                "Invalid query", "order 'sideways' is neither newest nor oldest");
        assertProblem(api.runs("runs").list(null, List.of(), null, null, null, null, null, null, null, "x".repeat(201), null, "50", null), 400,
                "Invalid query", "errorContains is 201 characters long: search for at most 200");
    }

    @Test
    void operatorsCancelRetryAndRestartWithTheRunInTheAnswer() throws Exception {
        UUID run = start("{\"n\": 3}");

        Response cancelled = api.runs("runs/" + run + "/cancel").cancel(run.toString(), "{\"reason\": \"customer withdrew\"}");
        assertThat(cancelled.getStatus()).isEqualTo(200);
        assertThat(json(cancelled).getJsonObject("run").getString("status")).isEqualTo("cancelled");
        assertThat(json(cancelled).getJsonObject("run").getString("cancelReason")).isEqualTo("customer withdrew");

        Response retried = api.runs("runs/" + run + "/retry").retry(run.toString());
        assertThat(retried.getStatus()).isEqualTo(200);
        assertThat(json(retried).getJsonObject("run").getString("status")).isEqualTo("started");
        assertThat(json(retried).getJsonObject("run").getInt("retryCount")).isEqualTo(1);
        assertThat(json(retried).containsKey("liveWorkers")).as("only GET counts workers").isFalse();

        Response restarted = api.runs("runs/" + run + "/restart").restart(run.toString());
        assertThat(restarted.getStatus()).isEqualTo(201);
        JsonObject copy = json(restarted).getJsonObject("run");
        assertThat(copy.getString("restartOfRunId")).isEqualTo(run.toString());
        assertThat(copy.getJsonObject("input").toString()).isEqualTo("{\"n\":3}");
        assertThat(restarted.getLocation()).hasToString("http://localhost:8080/api/runs/" + copy.getString("runId"));

        EngineRefusal refusal = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.runs("runs/" + run + "/retry").retry(run.toString()));
        assertThat(refusal.kind()).isEqualTo(EngineRefusal.Kind.CONFLICT);
    }

    @Test
    void badIdsBodiesAndUnknownRunsAnswerProblems() throws Exception {
        UUID unknown = UUID.fromString("00000000-0000-4000-8000-000000000001");
        assertProblem(api.runs("runs/" + unknown).get(unknown.toString()), 404, "Unknown run", "Run " + unknown + " does not exist");
        assertThatThrownBy(() -> api.runs("runs/nope").get("nope")).isInstanceOfSatisfying(WebApplicationException.class,
                e -> assertProblem(e.getResponse(), 400, "Invalid run id", "'nope' is not a UUID"));
        UUID run = start("{}");
        assertProblem(api.runs("runs/" + run + "/cancel").cancel(run.toString(), "{\"why\": 1}"), 400, "Invalid body",
                "unknown field \"why\": the body must be empty or {\"reason\": \"...\"}");
        assertThat(api.db.<String>one("select status from pgflow.runs where run_id = ?", run)).as("nothing changed").isEqualTo("started");
    }

    public record Approval(boolean approved, String by) {
    }

    @Test
    void aSignalIsDeliveredBufferedOrIgnoredByRunOrByKeyAndBadOnesAreRefusedByName() throws Exception {
        // review -> approval (signal, typed in Java as Approval) -> ship
        io.pgflowee.api.flow.Flow<jakarta.json.JsonValue> flow = io.pgflowee.api.flow.Flow.define("orders", jakarta.json.JsonValue.class);
        var review = flow.step("review", String.class).run(in -> "ok");
        var approval = flow.signal("approval", Approval.class).after(review).timeout(3600).await();
        flow.step("ship", String.class).after(approval).run(a -> "shipped");
        io.pgflowee.api.compile.FlowCompiler.statements(flow).forEach(api.db::exec);
        api.registry = io.pgflowee.engine.flows.FlowRegistry.of(flow);
        UUID waiting = api.db.one("select run_id from pgflow.start_flow('orders', '{}', NULL, 'order-77')");
        UUID early = api.db.one("select run_id from pgflow.start_flow('orders', '{}', NULL, 'order-78')");
        api.db.exec("select pgflow.register_worker(?, 'orders', 'test')", UUID.randomUUID());
        api.db.exec("select pgflow.complete_task(run_id, step_slug, task_index, '\"ok\"') from pgflow.claim_tasks('orders',"
                + " (select worker_id from pgflow.workers limit 1), 1) where run_id = ?", waiting);

        Response buffered = api.flows("flows/orders/runs/by-key/order-78/steps/approval/signal")
                .signalByKey("orders", "order-78", "approval", "{\"approved\": false, \"by\": \"bob\"}");
        assertThat(buffered.getStatus()).isEqualTo(200);
        assertThat((String) buffered.getEntity()).isEqualTo("{\"result\":\"buffered\"}");
        Response delivered = api.runs("runs/" + waiting + "/steps/approval/signal")
                .signal(waiting.toString(), "approval", "{\"approved\": true, \"by\": \"ann\"}");
        assertThat((String) delivered.getEntity()).isEqualTo("{\"result\":\"delivered\"}");
        assertThat((String) api.db.one("select output::text from pgflow.step_states where run_id = ? and step_slug = 'approval'", waiting))
                .isEqualTo("{\"by\": \"ann\", \"approved\": true}");
        Response again = api.runs("runs/" + waiting + "/steps/approval/signal").signal(waiting.toString(), "approval", "{\"approved\": false}");
        assertThat((String) again.getEntity()).isEqualTo("{\"result\":\"ignored\"}");
        // JSON-B alone would read these as false: a typed signal refuses them, nothing sent
        EngineRefusal missing = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.runs("runs/" + early + "/steps/approval/signal").signal(early.toString(), "approval", ""));
        assertThat(missing.getMessage()).endsWith("which this payload is not: $.approved is missing but must be a boolean");
        EngineRefusal maybe = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.runs("runs/" + early + "/steps/approval/signal").signal(early.toString(), "approval", "{\"approved\": \"maybe\"}"));
        assertThat(maybe.getMessage()).endsWith("which this payload is not: $.approved must be true or false, got \"maybe\"");

        // bad ones: nothing sent, each named
        assertThatThrownBy(() -> api.runs("runs/" + early + "/steps/approval/signal").signal(early.toString(), "approval", "{\"approved\": "))
                .isInstanceOfSatisfying(WebApplicationException.class, e -> assertProblem(e.getResponse(), 400, "Malformed JSON",
                        "the signal payload is not valid JSON: " + jsonError("{\"approved\": ")));
        assertThatThrownBy(() -> api.runs("runs/x/steps/approval/signal").signal("x", "approval", "{}"))
                .isInstanceOfSatisfying(WebApplicationException.class, e -> assertThat(e.getResponse().getStatus()).isEqualTo(400));
        UUID unknown = UUID.randomUUID();
        EngineRefusal noRun = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.runs("runs/" + unknown + "/steps/approval/signal").signal(unknown.toString(), "approval", "{}"));
        assertThat(noRun.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(noRun.getMessage()).isEqualTo("Run " + unknown + " not found");
        EngineRefusal notSignal = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.runs("runs/" + early + "/steps/ship/signal").signal(early.toString(), "ship", "{}"));
        assertThat(notSignal.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(notSignal.getMessage()).startsWith("Step \"ship\" of flow \"orders\" is a single step, not a signal step");
        EngineRefusal noKey = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.flows("flows/orders/runs/by-key/order-79/steps/approval/signal")
                        .signalByKey("orders", "order-79", "approval", "{\"approved\": true}"));
        assertThat(noKey.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(noKey.getMessage()).isEqualTo("Flow \"orders\" has no run started with idempotency key \"order-79\"");
        EngineRefusal badType = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.flows("flows/orders/runs/by-key/order-77/steps/approval/signal").signalByKey("orders", "order-77", "approval", "[1]"));
        assertThat(badType.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(badType.getMessage()).startsWith("Step \"approval\" of flow \"orders\" takes a signal payload of type "
                + Approval.class.getName() + ", which this payload is not: ");
        assertThat((String) api.db.one("select signal_payload::text from pgflow.step_states where run_id = ? and step_slug = 'approval'", early))
                .as("the buffered signal is unchanged").isEqualTo("{\"by\": \"bob\", \"approved\": false}");
    }

    @Test
    void manySignalsGoInOneRequestAnsweredPerItemAndARefusedItemIsNamed() throws Exception {
        api.db.exec("select pgflow.create_flow('approvals')");
        api.db.exec("select pgflow.add_step('approvals', 'approval', step_type => 'signal')");
        UUID a = api.db.one("select run_id from pgflow.start_flow('approvals', '{}')");
        UUID b = api.db.one("select run_id from pgflow.start_flow('approvals', '{}')");
        Response r = api.runs("runs/signals").signals("[{\"runId\": \"" + a + "\", \"step\": \"approval\", \"payload\": {\"ok\": true}},"
                + " {\"runId\": \"" + b + "\", \"step\": \"approval\"}, {\"runId\": \"" + a + "\", \"step\": \"approval\", \"payload\": 1}]");
        assertThat(r.getStatus()).isEqualTo(200);
        assertThat((String) r.getEntity()).isEqualTo("{\"results\":[{\"item\":1,\"runId\":\"" + a + "\",\"step\":\"approval\","
                + "\"result\":\"delivered\"},{\"item\":2,\"runId\":\"" + b + "\",\"step\":\"approval\",\"result\":\"delivered\"},"
                + "{\"item\":3,\"runId\":\"" + a + "\",\"step\":\"approval\",\"result\":\"ignored\"}]}");
        assertThat((String) api.db.one("select output::text from pgflow.runs where run_id = ?", b)).isEqualTo("{\"approval\": {}}");

        UUID c = api.db.one("select run_id from pgflow.start_flow('approvals', '{}')");
        UUID unknown = UUID.randomUUID();
        EngineRefusal refused = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class, () -> api.runs("runs/signals").signals(
                "[{\"runId\": \"" + c + "\", \"step\": \"approval\"}, {\"runId\": \"" + unknown + "\", \"step\": \"approval\"}]"));
        assertThat(refused.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(refused.getMessage()).isEqualTo("item 2: Run " + unknown + " not found");
        assertThat((String) api.db.one("select status from pgflow.runs where run_id = ?", c)).as("all or none").isEqualTo("started");
        assertProblem(api.runs("runs/signals").signals("{}"), 400, "Invalid body",
                "the body must be a JSON array of {\"runId\", \"step\", \"payload\"}, got a JSON object");
        assertProblem(api.runs("runs/signals").signals("[{\"runId\": \"nope\", \"step\": \"approval\"}]"), 400, "Invalid body",
                "item 1: runId 'nope' is not a UUID");
        assertProblem(api.runs("runs/signals").signals("[{\"runId\": \"" + c + "\", \"stp\": \"approval\"}]"), 400, "Invalid body",
                "item 1: unknown field \"stp\" (runId, step, payload)");
        assertProblem(api.runs("runs/signals").signals("[]"), 400, "No signals", "the array is empty: send at least one signal");
        String many = "[" + ("{\"runId\": \"" + c + "\", \"step\": \"approval\"},").repeat(1000) + "{\"runId\": \"" + c
                + "\", \"step\": \"approval\"}]";
        assertProblem(api.runs("runs/signals").signals(many), 413, "Too many signals",
                "the array has 1001 signals; at most 1000 are sent per request: split it");
    }

    /** What the JSON parser says of {@code text}. */
    private static String jsonError(String text) {
        try {
            io.pgflowee.api.json.JsonCodec.parse(text);
            throw new AssertionError("parses: " + text);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    static void assertProblem(Response r, int status, String title, String detail) {
        assertThat(r.getStatus()).isEqualTo(status);
        assertThat(r.getMediaType()).hasToString(Problems.MEDIA_TYPE);
        JsonObject problem = json(r);
        assertThat(problem.getString("title")).isEqualTo(title);
        assertThat(problem.getString("detail")).isEqualTo(detail);
        assertThat(problem.getInt("status")).isEqualTo(status);
    }
}
