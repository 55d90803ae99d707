package io.pgflowee.web.rest;

import static io.pgflowee.web.rest.RunsResourceTest.assertProblem;
import static io.pgflowee.web.rest.RunsResourceTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.testing.PgflowDatabaseExtension;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.ws.rs.core.Response;

/** {@link FlowsResource} in-JVM on a real PostgreSQL: flows as JSON, starting runs one by one and in batches, and every error answer. */
@ExtendWith(PgflowDatabaseExtension.class)
class FlowsResourceTest {

    private ApiFixture api;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        api = new ApiFixture(ds);
        api.twoStepFlow("fq");
    }

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void aFlowReadsWithItsOptionsStepsRunsAndWhetherThisServerRunsIt() {
        api.db.exec("select pgflow.start_flow('fq', '{}')");

        JsonObject flow = json(api.flows("flows/fq").get("fq"));

        assertThat(flow.keySet()).containsExactly("slug", "maxAttempts", "baseDelay", "timeout", "createdAt", "pausedAt", "maxRunning",
                "maxRunningPerKey", "rateLimit", "steps", "runs", "status", "liveWorkers", "busiestKeys");
        assertThat(flow.isNull("rateLimit")).isTrue();
        assertThat(flow.getJsonArray("busiestKeys")).isEmpty();
        assertThat(flow.getInt("maxAttempts")).isEqualTo(2);
        assertThat(flow.isNull("pausedAt")).isTrue();
        assertThat(flow.getJsonArray("steps").getJsonObject(1).toString()).isEqualTo("{\"slug\":\"b\",\"index\":1,\"type\":\"single\","
                + "\"dependencies\":[\"a\"],\"maxAttempts\":null,\"baseDelay\":null,\"timeout\":30,\"startDelay\":null,\"whenUnmet\":\"skip\","
                + "\"whenExhausted\":\"fail\",\"if\":null,\"ifNot\":null}");
        assertThat(flow.getJsonObject("runs").toString()).isEqualTo("{\"started\":1,\"completed\":0,\"failed\":0,\"cancelled\":0,\"exact\":true,\"atLeast\":[]}");
        assertThat(flow.getString("status")).isEqualTo("not registered");
        assertThat(flow.getInt("liveWorkers")).isZero();
        JsonArray all = Json.createReader(new StringReader(api.flows("flows").list())).readArray();
        assertThat(all.getValuesAs(JsonObject.class)).extracting(f -> f.getString("slug")).containsExactly("fq");
        assertThat(all.getJsonObject(0).isNull("busiestKeys")).as("the list does not read every flow's keys").isTrue();
        assertThat(Json.createObjectBuilder(all.getJsonObject(0)).remove("busiestKeys").build())
                .isEqualTo(Json.createObjectBuilder(flow).remove("busiestKeys").build());
    }

    @Test
    void startingARunAnswersWithItsStepsOrOnlyTheRunWhenAskedAndRepeatsIdempotently() throws Exception {
        Response created = api.flows("flows/fq/runs").start("fq", null, "order-1", null, null, null, "{\"n\": 1}");

        assertThat(created.getStatus()).isEqualTo(201);
        JsonObject run = json(created).getJsonObject("run");
        assertThat(created.getLocation()).hasToString("http://localhost:8080/api/runs/" + run.getString("runId"));
        assertThat(json(created).getJsonArray("steps")).hasSize(2);
        assertThat(run.getString("idempotencyKey")).isEqualTo("order-1");

        Response repeat = api.flows("flows/fq/runs").start("fq", null, "order-1", "return=minimal", null, null, "{\"n\": 1}");
        assertThat(repeat.getStatus()).isEqualTo(200);
        assertThat(repeat.getHeaderString("Preference-Applied")).isEqualTo("return=minimal");
        assertThat(repeat.getHeaderString("Content-Location")).isEqualTo("http://localhost:8080/api/runs/" + run.getString("runId"));
        assertThat(json(repeat).keySet()).containsExactly("run");
        assertThat(json(repeat).getJsonObject("run")).isEqualTo(run);
        assertThat(api.db.<Long>one("select count(*) from pgflow.runs")).isEqualTo(1L);
    }

    @Test
    void aBatchStartsEveryInputInOrderAndRefusesWhatItCannotStartWhole() throws Exception {
        Response started = api.flows("flows/fq/runs/batch").startMany("fq", "b-1", null, null, "[{\"n\": 1}, {\"n\": 2}]");

        assertThat(started.getStatus()).isEqualTo(201);
        JsonObject body = json(started);
        assertThat(body.keySet()).containsExactly("flowSlug", "created", "runs");
        assertThat(body.getInt("created")).isEqualTo(2);
        assertThat(body.getJsonArray("runs").getValuesAs(JsonObject.class)).extracting(i -> i.getInt("item") + " " + i.getBoolean("created"))
                .containsExactly("1 true", "2 true");
        Response again = api.flows("flows/fq/runs/batch").startMany("fq", "b-1", null, null, "[{\"n\": 1}, {\"n\": 2}]");
        assertThat(again.getStatus()).isEqualTo(200);
        assertThat(json(again).getInt("created")).isZero();

        assertProblem(api.flows("flows/fq/runs/batch").startMany("fq", null, null, null, "[{}, {}, {}, {}]"), 413, "Too many inputs",
                "the array has 4 inputs; at most 3 are started per request (pgflow.api.maxBatchRuns): split it");
        assertProblem(api.flows("flows/fq/runs/batch").startMany("fq", null, null, null, "{}"), 400, "Not an array",
                "the body must be a JSON array of run inputs, got a JSON object (to start one run, POST it to /api/flows/fq/runs)");
        assertProblem(api.flows("flows/fq/runs/batch").startMany("fq", null, null, null, "[]"), 400, "No inputs",
                "the array is empty: send at least one run input");
        assertThat(api.db.<Long>one("select count(*) from pgflow.runs")).isEqualTo(2L);
    }

    @Test
    void badStartsAnswer400AndStartNothing() throws Exception {
        assertProblem(api.flows("flows/fq/runs").start("fq", null, null, null, null, null, " "), 400, "Missing input",
                "the request body is empty: send the run input as JSON (for example {})");
        assertProblem(api.flows("flows/fq/runs").start("fq", null, null, null, null, null, "{\"n\": "), 400, "Malformed JSON",
                "the run input is not valid JSON: " + malformedMessage("{\"n\": "));
        assertProblem(api.flows("flows/fq/runs").start("fq", "42", null, null, null, null, "{}"), 400, "Invalid run id", "runId '42' is not a UUID");
        assertProblem(api.flows("flows/fq/runs").start("fq", null, "", null, null, null, "{}"), 400, "Invalid idempotency key",
                "the Idempotency-Key header must hold 1 to 200 characters, got 0");
        EngineRefusal unknown = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.flows("flows/nope/runs").start("nope", null, null, null, null, null, "{}"));
        assertThat(unknown.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(api.db.<Long>one("select count(*) from pgflow.runs")).isZero();
    }

    private static String malformedMessage(String text) {
        try {
            io.pgflowee.api.json.JsonCodec.parse(text);
            throw new AssertionError("parsed");
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    @Test
    void runsTakeTheirKeyAndPriorityFromHeadersOrTheFlowsFunctionsAndTheListFiltersByThem() throws Exception {
        io.pgflowee.api.flow.Flow<JsonObject> fq = io.pgflowee.api.flow.Flow.define("fq", JsonObject.class)
                .concurrencyKey(in -> in.containsKey("customer") ? in.getString("customer") : null).priority(in -> in.getInt("tier", 0));
        fq.step("a", String.class).run(in -> "x");
        api.registry = io.pgflowee.engine.flows.FlowRegistry.of(fq);

        JsonObject computed = json(api.flows("flows/fq/runs").start("fq", null, null, "return=minimal", null, null,
                "{\"customer\": \"c-1\", \"tier\": 7}")).getJsonObject("run");
        assertThat(computed.getString("concurrencyKey")).isEqualTo("c-1");
        assertThat(computed.getInt("priority")).isEqualTo(7);
        JsonObject chosen = json(api.flows("flows/fq/runs").start("fq", null, null, "return=minimal", "c-2", " -5 ",
                "{\"customer\": \"c-1\", \"tier\": 7}")).getJsonObject("run");
        assertThat(chosen.getString("concurrencyKey")).isEqualTo("c-2");
        assertThat(chosen.getInt("priority")).isEqualTo(-5);
        Response batch = api.flows("flows/fq/runs/batch").startMany("fq", null, "c-9", null, "[{\"tier\": 1}, {\"customer\": \"c-3\"}]");
        assertThat(batch.getStatus()).isEqualTo(201);
        assertThat(api.db.rows("select concurrency_key, priority from pgflow.runs order by started_at, run_id"))
                .extracting(r -> r.get("concurrency_key") + "/" + r.get("priority")).containsExactlyInAnyOrder("c-1/7", "c-2/-5", "c-9/1", "c-9/0");

        assertProblem(api.flows("flows/fq/runs").start("fq", null, null, null, null, "high", "{}"), 400, "Invalid priority",
                "the Pgflow-Priority header must be a whole number from -100 to 100, got 'high'");
        Response broken = api.flows("flows/fq/runs").start("fq", null, null, null, null, null, "{\"customer\": 5}");
        assertThat(broken.getStatus()).isEqualTo(422);
        assertThat(json(broken).getString("detail")).startsWith("Flow \"fq\": concurrencyKey(...) failed on the input: java.lang.ClassCastException");
        EngineRefusal range = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.flows("flows/fq/runs").start("fq", null, null, null, null, "101", "{}"));
        assertThat(range.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(range.getMessage()).isEqualTo("Flow \"fq\": priority must be between -100 and 100 (higher runs first), got 101");
        assertThat(api.db.<Long>one("select count(*) from pgflow.runs")).isEqualTo(4L);

        JsonObject page = json(api.runs("runs?key=c-9").list(null, java.util.List.of(), null, null, null, null, null, "c-9", "1", null, null, "50", null));
        assertThat(page.getJsonArray("runs")).hasSize(1);
        assertThat(page.getJsonArray("runs").getJsonObject(0).getInt("priority")).isEqualTo(1);
        assertProblem(api.runs("runs").list(null, java.util.List.of(), null, null, null, null, null, null, "urgent", null, null, "50", null), 400,
                "Invalid query", "priority 'urgent' is not a whole number (-100 to 100)");
        assertProblem(api.runs("runs").list(null, java.util.List.of(), null, null, null, null, null, null, "500", null, null, "50", null), 400,
                "Invalid query", "priority 500 is out of range: runs have priorities from -100 to 100");

        String id = computed.getString("runId");
        JsonObject raised = json(api.runs("runs/" + id + "/priority").priority(id, "{\"priority\": 60}")).getJsonObject("run");
        assertThat(raised.getInt("priority")).isEqualTo(60);
        assertProblem(api.runs("runs/" + id + "/priority").priority(id, "{\"level\": 60}"), 400, "Invalid body",
                "the body must be {\"priority\": <a whole number from -100 to 100>}; got the fields [level]");
    }

    @Test
    void adminsLimitEachKeyAndTheRateAndTheFlowShowsItsBusiestKeys() throws Exception {
        for (String key : new String[] {"c-9", "c-9", "c-1", "c-2"}) {
            api.db.exec("select pgflow.start_flow('fq', '{}', concurrency_key => ?)", key);
        }
        api.db.exec("select pgflow.start_flow('fq', '{}')");

        JsonObject perKey = json(api.flows("flows/fq/key-concurrency").keyConcurrency("fq", "{\"maxRunningPerKey\": 2}"));
        assertThat(perKey.getInt("maxRunningPerKey")).isEqualTo(2);
        JsonObject rated = json(api.flows("flows/fq/rate-limit").rateLimit("fq", "{\"perSecond\": 2.5, \"perKey\": true}"));
        assertThat(rated.getJsonObject("rateLimit").toString()).isEqualTo("{\"perSecond\":2.5,\"burst\":3,\"perKey\":true}");
        assertThat(rated.getJsonArray("busiestKeys").toString()).isEqualTo("[{\"key\":\"c-9\",\"running\":0,\"queued\":2},"
                + "{\"key\":\"c-1\",\"running\":0,\"queued\":1},{\"key\":\"c-2\",\"running\":0,\"queued\":1}]");
        JsonObject off = json(api.flows("flows/fq/rate-limit").rateLimit("fq", "{\"perSecond\": null}"));
        assertThat(off.isNull("rateLimit")).isTrue();
        assertThat(json(api.flows("flows/fq/key-concurrency").keyConcurrency("fq", "{\"maxRunningPerKey\": null}")).isNull("maxRunningPerKey"))
                .isTrue();

        assertProblem(api.flows("flows/fq/key-concurrency").keyConcurrency("fq", "{\"limit\": 2}"), 400, "Invalid body",
                "the body must be {\"maxRunningPerKey\": <a whole number, 1 or more>} or {\"maxRunningPerKey\": null}; got the fields [limit]");
        assertProblem(api.flows("flows/fq/rate-limit").rateLimit("fq", "{\"perSecond\": \"fast\"}"), 400, "Invalid body",
                "the body must be {\"perSecond\": <a number above 0, or null>, \"burst\": <1 or more, optional>,"
                        + " \"perKey\": <true or false, optional>}; got perSecond \"fast\"");
        EngineRefusal zero = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.flows("flows/fq/rate-limit").rateLimit("fq", "{\"perSecond\": 0}"));
        assertThat(zero.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        EngineRefusal unknown = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.flows("flows/nope/key-concurrency").keyConcurrency("nope", "{\"maxRunningPerKey\": 1}"));
        assertThat(unknown.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
    }

    @Test
    void operatorsPauseResumeAndLimitAFlow() throws Exception {
        JsonObject paused = json(api.flows("flows/fq/pause").pause("fq"));
        assertThat(paused.isNull("pausedAt")).isFalse();
        JsonObject limited = json(api.flows("flows/fq/concurrency").concurrency("fq", "{\"maxRunning\": 4}"));
        assertThat(limited.getInt("maxRunning")).isEqualTo(4);
        JsonObject resumed = json(api.flows("flows/fq/resume").resume("fq"));
        assertThat(resumed.isNull("pausedAt")).isTrue();
        assertThat(resumed.getInt("maxRunning")).isEqualTo(4);
        assertThat(json(api.flows("flows/fq/concurrency").concurrency("fq", "{\"maxRunning\": null}")).isNull("maxRunning")).isTrue();

        assertProblem(api.flows("flows/fq/concurrency").concurrency("fq", "{\"max\": 1}"), 400, "Invalid body",
                "the body must be {\"maxRunning\": <a whole number, 1 or more>} or {\"maxRunning\": null}; got the fields [max]");
        EngineRefusal belowOne = org.junit.jupiter.api.Assertions.assertThrows(EngineRefusal.class,
                () -> api.flows("flows/fq/concurrency").concurrency("fq", "{\"maxRunning\": 0}"));
        assertThat(belowOne.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertProblem(api.flows("flows/nope").get("nope"), 404, "Unknown flow", "Flow \"nope\" does not exist");
        assertThat(json(api.flows("flows/nope").get("nope")).getString("hint")).isEqualTo("GET /api/flows lists the flows in the database");
    }

    @Test
    void stepDurationsListEveryStepWithItsCountsAndRunTimes() {
        java.util.UUID run = api.db.one("select run_id from pgflow.start_flow('fq', '{}')");
        java.util.UUID worker = java.util.UUID.randomUUID();
        api.db.exec("select pgflow.register_worker(?, 'fq', 'test')", worker);
        api.db.rows("select run_id from pgflow.claim_tasks('fq', ?, 1)", worker);
        api.db.exec("select pgflow.complete_task(?, 'a', 0, '1')", run);

        Response r = api.flows("flows/fq/durations").durations("fq", "24");

        assertThat(r.getStatus()).isEqualTo(200);
        JsonArray steps = Json.createReader(new StringReader((String) r.getEntity())).readArray();
        assertThat(steps.getJsonObject(0).keySet()).containsExactly("stepSlug", "stepIndex", "completed", "failed", "p50Ms", "p95Ms", "maxMs");
        assertThat(steps.getJsonObject(0).getInt("completed")).isEqualTo(1);
        assertThat(steps.getJsonObject(0).getJsonNumber("maxMs").doubleValue()).isEqualTo(steps.getJsonObject(0).getJsonNumber("p50Ms")
                .doubleValue()).isGreaterThanOrEqualTo(0.0);
        assertThat(steps.getJsonObject(1).toString()).isEqualTo("{\"stepSlug\":\"b\",\"stepIndex\":1,\"completed\":0,\"failed\":0,"
                + "\"p50Ms\":null,\"p95Ms\":null,\"maxMs\":null}");
        assertProblem(api.flows("flows/fq/durations").durations("fq", "0"), 400, "Invalid query",
                "hours '0' is not a whole number from 1 to 720");
        assertProblem(api.flows("flows/nope/durations").durations("nope", "24"), 404, "Unknown flow", "Flow \"nope\" does not exist");
    }
}
