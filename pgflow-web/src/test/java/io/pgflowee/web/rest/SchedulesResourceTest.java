package io.pgflowee.web.rest;

import static io.pgflowee.web.rest.RunsResourceTest.assertProblem;
import static io.pgflowee.web.rest.RunsResourceTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.testing.PgflowDatabaseExtension;

import jakarta.json.JsonObject;
import jakarta.ws.rs.core.Response;

/** {@link SchedulesResource} in-JVM on a real PostgreSQL: every endpoint, its JSON and its error answers. */
@ExtendWith(PgflowDatabaseExtension.class)
class SchedulesResourceTest {

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

    private static final String NIGHTLY = "{\"name\": \"nightly\", \"flowSlug\": \"fq\", \"cron\": \"0 3 * * *\", \"input\": {\"region\": \"eu\"},"
            + " \"timeZone\": \"Europe/Berlin\"}";

    @Test
    void aScheduleIsCreatedReadListedChangedTriggeredBackfilledAndDeleted() throws Exception {
        Response created = api.schedules().create(NIGHTLY);
        assertThat(created.getStatus()).isEqualTo(201);
        assertThat(created.getLocation()).hasToString("http://localhost:8080/api/schedules/nightly");
        JsonObject s = json(created);
        assertThat(s.keySet()).containsExactly("name", "flowSlug", "cron", "input", "timeZone", "catchUp", "paused", "pausedAt", "nextFireAt",
                "nextFirings", "lastFiredAt", "lastError", "declared", "createdAt", "updatedAt", "latestRuns");
        assertThat(s.getString("cron")).isEqualTo("0 3 * * *");
        assertThat(s.getJsonObject("input").toString()).isEqualTo("{\"region\":\"eu\"}");
        assertThat(s.getString("catchUp")).isEqualTo("latest");
        assertThat(s.getBoolean("paused")).isFalse();
        assertThat(s.getBoolean("declared")).isFalse();
        assertThat(s.getJsonArray("nextFirings")).hasSize(5);
        assertThat(java.time.Instant.parse(s.getJsonArray("nextFirings").getString(0)))
                .isEqualTo(java.time.OffsetDateTime.parse(s.getString("nextFireAt")).toInstant());
        assertThat(s.getJsonArray("latestRuns")).isEmpty();
        assertThat(api.schedules().create(NIGHTLY).getStatus()).as("the same definition again").isEqualTo(200);

        JsonObject changed = json(api.schedules().update("nightly", "{\"cron\": \"30 2 * * *\", \"catchUp\": \"all\"}"));
        assertThat(changed.getString("cron")).isEqualTo("30 2 * * *");
        assertThat(changed.getString("catchUp")).isEqualTo("all");
        assertThat(changed.getJsonObject("input").toString()).as("kept").isEqualTo("{\"region\":\"eu\"}");
        assertThat(json(api.schedules().pause("nightly")).getBoolean("paused")).isTrue();

        Response triggered = api.schedules().trigger("nightly");
        assertThat(triggered.getStatus()).as("a paused schedule can be triggered").isEqualTo(201);
        JsonObject run = json(triggered);
        assertThat(run.getString("idempotencyKey")).startsWith("schedule:nightly:");
        assertThat(triggered.getLocation()).hasToString("http://localhost:8080/api/runs/" + run.getString("runId"));
        assertThat(run.getJsonObject("input").getString("region")).isEqualTo("eu");
        assertThat(run.getJsonObject("input").getString("scheduled_at")).isEqualTo(run.getString("idempotencyKey").substring(17));

        String range = "{\"from\": \"2026-11-01T00:00:00Z\", \"to\": \"2026-11-03T23:59:59Z\"}";
        assertThat(json(api.schedules().backfill("nightly", range)).toString()).isEqualTo("{\"schedule\":\"nightly\",\"started\":3}");
        assertThat(json(api.schedules().backfill("nightly", range)).toString()).as("each firing once").isEqualTo("{\"schedule\":\"nightly\",\"started\":0}");
        assertThat(json(api.schedules().resume("nightly")).getBoolean("paused")).isFalse();

        api.schedules().create("{\"name\": \"hourly\", \"flowSlug\": \"fq\", \"cron\": \"@hourly\"}");
        JsonObject page = json(api.schedules().list(null, null, "1"));
        assertThat(page.getJsonArray("schedules").getJsonObject(0).getString("name")).isEqualTo("hourly");
        assertThat(page.getString("next")).isEqualTo("hourly");
        assertThat(page.getInt("total")).isEqualTo(2);
        JsonObject rest = json(api.schedules().list("fq", "hourly", "50"));
        assertThat(rest.getJsonArray("schedules")).hasSize(1);
        assertThat(rest.isNull("next")).isTrue();
        JsonObject nightly = rest.getJsonArray("schedules").getJsonObject(0);
        assertThat(nightly.getJsonArray("latestRuns")).hasSize(4);
        assertThat(nightly.getJsonArray("latestRuns").getJsonObject(0).keySet()).containsExactly("runId", "status", "startedAt", "firing");

        Response deleted = api.schedules().delete("nightly");
        assertThat(deleted.getStatus()).isEqualTo(200);
        assertThat(json(deleted).getString("name")).as("the schedule as it was").isEqualTo("nightly");
        assertProblem(api.schedules().get("nightly"), 404, "Unknown schedule", "Schedule \"nightly\" does not exist");
        assertThat(api.db.<Long>one("select count(*) from pgflow.runs where idempotency_key like 'schedule:nightly:%'")).isEqualTo(4L);
    }

    @Test
    void badBodiesAre400AndTheEnginesRefusalsKeepItsWords() throws Exception {
        assertProblem(api.schedules().create("{\"name\": \"x\"}"), 400, "Invalid body", "the body must be {\"name\": text, \"flowSlug\": text,"
                + " \"cron\": text, \"input\": JSON (optional), \"timeZone\": text (optional), \"catchUp\": \"latest\", \"all\" or \"none\""
                + " (optional)}; got the fields [name]");
        assertProblem(api.schedules().create("{\"name\": \"x\", \"flowSlug\": \"fq\", \"cron\": 5}"), 400, "Invalid body", "the body must be"
                + " {\"name\": text, \"flowSlug\": text, \"cron\": text, \"input\": JSON (optional), \"timeZone\": text (optional), \"catchUp\":"
                + " \"latest\", \"all\" or \"none\" (optional)}; cron must be text, got 5");
        assertProblem(api.schedules().update("x", "{}"), 400, "Invalid body",
                "the body must be an object with one or more of \"cron\", \"input\", \"timeZone\", \"catchUp\"; got {}");
        assertProblem(api.schedules().backfill("x", "{\"from\": \"yesterday\", \"to\": \"2026-11-01T00:00:00Z\"}"), 400, "Invalid body",
                "the body must be {\"from\": ISO-8601 instant, \"to\": ISO-8601 instant}; from \"yesterday\" is not an ISO-8601 instant with"
                        + " an offset (2026-11-01T00:00:00Z)");
        assertProblem(api.schedules().list(null, null, "many"), 400, "Invalid query", "limit 'many' is not a number (1 to 200)");
        assertProblem(api.schedules().list(null, null, "500"), 400, "Invalid query", "limit must be 1 to 200, got 500");

        EngineRefusal cron = catchThrowableOfType(() -> api.schedules().create("{\"name\": \"x\", \"flowSlug\": \"fq\", \"cron\": \"0 0 3 * * *\"}"),
                EngineRefusal.class);
        assertThat(cron.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(cron.getMessage()).isEqualTo("Cron \"0 0 3 * * *\": 6 fields; the five standard fields are expected"
                + " (minute hour day-of-month month day-of-week): seconds are not supported");
        EngineRefusal missing = catchThrowableOfType(() -> api.schedules().pause("nope"), EngineRefusal.class);
        assertThat(missing.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(missing.getMessage()).isEqualTo("Schedule \"nope\" does not exist");
        api.schedules().create(NIGHTLY);
        EngineRefusal taken = catchThrowableOfType(() -> api.schedules().create(NIGHTLY.replace("0 3", "0 4")), EngineRefusal.class);
        assertThat(taken.kind()).isEqualTo(EngineRefusal.Kind.CONFLICT);
        EngineRefusal zone = catchThrowableOfType(() -> api.schedules().update("nightly", "{\"timeZone\": \"Mars/Olympus\"}"), EngineRefusal.class);
        assertThat(zone.getMessage()).isEqualTo("Schedule \"nightly\": unknown time zone \"Mars/Olympus\" (a name of pg_timezone_names, as"
                + " Europe/Berlin or UTC)");
    }
}
