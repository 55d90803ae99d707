package io.pgflowee.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import org.jboss.arquillian.container.test.api.RunAsClient;
import org.junit.jupiter.api.Test;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.jobs.prune.PruneSchedule;
import io.pgflowee.it.support.ItDatabase;
import io.pgflowee.it.support.ItSql;
import io.pgflowee.it.support.MicroProcess;
import io.pgflowee.it.support.OnSharedServer;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

/**
 * The Jakarta Batch jobs: backfill (restartable, checkpointed, across a killed server), the daily
 * prune schedule, bulk retry and prune with its export.
 */
public class JobsIT extends OnSharedServer {

    @Inject
    PruneSchedule pruneSchedule;

    @Inject
    EngineOperations engine;

    @Test
    void backfillStartsEachItemOnceAcrossAStopAndARestartSkipsBadLinesWithTheirNumbersAndReadsQueries() throws Exception {
        // the runs only need to exist: it_backfill stays paused (10,000 runs would otherwise run under the later tests)
        engine.pauseFlow("it_backfill");
        {
            // 10,000 items, stopped in the middle, restarted from the checkpoint: each started exactly once
            java.nio.file.Path csv = java.nio.file.Files.createTempFile("it-backfill", ".csv");
            StringBuilder lines = new StringBuilder("name,n\n");
            for (int i = 1; i <= 10_000; i++) {
                lines.append("person ").append(i).append(',').append(i).append('\n');
            }
            java.nio.file.Files.writeString(csv, lines);
            JsonObject first = job(postAs("it-admin", "api/jobs/pgflow-backfill", "{\"flow\": \"it_backfill\", \"path\": \"" + csv
                    + "\", \"chunkSize\": 50}", null), 202);
            long execution = first.getJsonNumber("executionId").longValue();
            long instance = first.getJsonNumber("instanceId").longValue();
            String key = first.getJsonObject("parameters").getString("instanceKey");
            String runsOfJob = "select count(*) from pgflow.runs where idempotency_key like 'backfill:" + key + ":%'";
            awaitTrue(() -> Long.parseLong(query(runsOfJob).get(0)) >= 1000, "a tenth of the runs started");
            job(postAs("it-admin", "api/jobs/" + execution + "/stop", "", null), 202);
            awaitTrue(() -> jobStatus(execution).equals("STOPPED"), "the job stopped");
            long atStop = Long.parseLong(query(runsOfJob).get(0));
            // a stop ends the current chunk early: its items are committed with their checkpoint
            assertTrue(atStop >= 1000 && atStop < 10_000, "runs before the stop: " + atStop);

            JsonObject again = job(postAs("it-admin", "api/jobs/" + execution + "/restart", "", null), 202);
            long restarted = again.getJsonNumber("executionId").longValue();
            assertEquals(instance, again.getJsonNumber("instanceId").longValue(), "the same job instance");
            awaitTrue(() -> jobStatus(restarted).equals("COMPLETED"), "the restarted job completed");
            assertEquals(List.of("10000 10000 2 10001"), query("select count(*) || ' ' || count(distinct idempotency_key) || ' '"
                    + " || min(split_part(idempotency_key, ':', 3)::int) || ' ' || max(split_part(idempotency_key, ':', 3)::int)"
                    + " from pgflow.runs where idempotency_key like 'backfill:" + key + ":%'"));
            assertEquals(List.of("{\"n\": \"7\", \"name\": \"person 7\"}"), query("select input::text from pgflow.runs"
                    + " where idempotency_key = 'backfill:" + key + ":8'"));
            JsonObject done = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + restarted)), 200);
            JsonObject step = done.getJsonArray("steps").getJsonObject(0);
            // counted over the job instance's executions (the step's data survives the restart): none started twice
            assertEquals("runs created 10000, found already started 0", step.getString("data"));
            assertEquals(10_000 - atStop, step.getJsonObject("metrics").getJsonNumber("WRITE_COUNT").longValue());

            // an uploaded CSV with bad lines: skipped, each with its line number and reason
            HttpResponse<String> upload = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                    base.toURI().resolve("api/jobs/pgflow-backfill/upload?flow=it_backfill")).header("Content-Type", "text/csv")
                    .header("Authorization", basic("it-admin", "it-admin-secret"))
                    .POST(HttpRequest.BodyPublishers.ofString("name,n\nann,1\nbob,2,extra\n\ncid,3\ndan\n")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long csvJob = job(upload, 202).getJsonNumber("executionId").longValue();
            awaitTrue(() -> jobStatus(csvJob).equals("COMPLETED"), "the CSV job completed");
            JsonObject csvDone = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + csvJob)), 200);
            assertEquals("[{\"item\":\"3\",\"reason\":\"line 3: has 3 fields, the header has 2\"},"
                    + "{\"item\":\"6\",\"reason\":\"line 6: has 1 fields, the header has 2\"}]", csvDone.getJsonArray("skipped").toString());
            assertEquals(List.of("{\"n\": \"1\", \"name\": \"ann\"},{\"n\": \"3\", \"name\": \"cid\"}"), query("select string_agg(input::text,"
                    + " ',' order by input->>'n') from pgflow.runs where idempotency_key like 'backfill:"
                    + csvDone.getJsonObject("parameters").getString("instanceKey") + ":%'"));

            // JSON lines with more bad lines than the skip limit: the job fails, what it skipped is listed
            java.nio.file.Path jsonl = java.nio.file.Files.createTempFile("it-backfill", ".jsonl");
            java.nio.file.Files.writeString(jsonl, "{\"ok\": 1}\nnot json\n[1, 2\n{\"ok\": 2} x\n{\"ok\": 3}\n");
            long jsonJob = job(postAs("it-admin", "api/jobs/pgflow-backfill", "{\"flow\": \"it_backfill\", \"path\": \"" + jsonl
                    + "\", \"skipLimit\": 2}", null), 202).getJsonNumber("executionId").longValue();
            awaitTrue(() -> jobStatus(jsonJob).equals("FAILED"), "the job failed past its skip limit");
            JsonObject failed = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + jsonJob)), 200);
            JsonArray skipped = failed.getJsonArray("skipped");
            assertTrue(failed.getString("failure").startsWith("line 4: invalid JSON at line 1, column 11 (offset 10): ")
                    && failed.getString("failure").endsWith(" (one item more than the skip limit)"), failed.toString());
            assertEquals(2, skipped.size(), skipped.toString());
            assertTrue(skipped.getJsonObject(0).getString("reason").startsWith("line 2: invalid JSON at line 1, column "), skipped.toString());
            assertTrue(skipped.getJsonObject(1).getString("reason").startsWith("line 3: invalid JSON at line 1, column "), skipped.toString());

            // rows of a query, by key
            long sqlJob = job(postAs("it-admin", "api/jobs/pgflow-backfill", "{\"flow\": \"it_backfill\", \"sql\": \"select lpad(g::text, 4,"
                    + " '0') as key, jsonb_build_object('n', g) as input from generate_series(1, 250) g\"}", null), 202)
                    .getJsonNumber("executionId").longValue();
            awaitTrue(() -> jobStatus(sqlJob).equals("COMPLETED"), "the query job completed");
            String sqlInstance = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + sqlJob)), 200)
                    .getJsonObject("parameters").getString("instanceKey");
            assertEquals(List.of("250 0001 0250 {\"n\": 250}"), query("select count(*) || ' ' || min(split_part(idempotency_key, ':', 3)) || ' '"
                    + " || max(split_part(idempotency_key, ':', 3)) || ' ' || max(input::text) filter (where idempotency_key like '%:0250')"
                    + " from pgflow.runs where idempotency_key like 'backfill:" + sqlInstance + ":%'"));

            // refusals: admin only, and parameters named
            assertProblem(postAs("it-operator", "api/jobs/pgflow-backfill", "{\"flow\": \"it_backfill\"}", null), 403, "Forbidden",
                    "user 'it-operator' may not POST /api/jobs/pgflow-backfill: it needs pgflow-admin");
            assertProblem(postAs("it-admin", "api/jobs/pgflow-backfill", "{}", null), 400, "Invalid job parameters",
                    "parameter 'flow' is required: the flow to start runs of");
            assertProblem(postAs("it-admin", "api/jobs/pgflow-backfill", "{\"flow\": \"nope\"}", null), 400, "Invalid job parameters",
                    "flow 'nope' does not exist");
            assertProblem(postAs("it-admin", "api/jobs/pgflow-backfill", "{\"flow\": \"it_backfill\", \"path\": \"/nowhere.csv\"}", null), 400,
                    "Invalid job parameters", "path '/nowhere.csv' is not a readable file on this server");
            assertProblem(postAs("it-admin", "api/jobs/pgflow-backfill", "{\"flow\": \"it_backfill\", \"path\": \"" + csv
                    + "\", \"sql\": \"select 1\"}", null), 400, "Invalid job parameters", "give exactly one source: 'path' (a CSV or JSON-lines"
                    + " file on the server) or 'sql' (a query returning the columns key and input)");
            HttpResponse<String> completedAgain = postAs("it-admin", "api/jobs/" + restarted + "/restart", "", null);
            assertEquals(409, completedAgain.statusCode(), completedAgain.body());
            assertTrue(completedAgain.body().contains("\"detail\":\"execution " + restarted + " cannot be restarted (COMPLETED)"),
                    completedAgain.body());
            assertProblem(postAs("it-admin", "api/jobs/nope", "{}", null), 404, "Unknown job",
                    "unknown job 'nope': the jobs are [pgflow-backfill, pgflow-bulk-retry, pgflow-cancel-stuck, pgflow-prune]");
        }
    }

    @Test
    @RunAsClient
    void aBackfillWhoseServerIsKilledMidJobIsRestartedHereFromItsCheckpointAndStartsEachItemExactlyOnce() throws Exception {
        try (java.sql.Connection db = java.sql.DriverManager.getConnection(ItDatabase.jdbcUrl(), "postgres", "postgres");
             MicroProcess other = MicroProcess.start("batch", true, "-Dpgflow.workers.enabled=false",
                     "-Dpgflow.jobs.serverLostAfterSeconds=6", "-Dpgflow.metrics.public=true")) {
            ItSql.rows(db, "select pgflow.pause_flow('it_backfill')");
            java.nio.file.Path csv = java.nio.file.Files.createTempFile("it-backfill-kill", ".csv");
            StringBuilder lines = new StringBuilder("name,n\n");
            for (int i = 1; i <= 10_000; i++) {
                lines.append("killed ").append(i).append(',').append(i).append('\n');
            }
            java.nio.file.Files.writeString(csv, lines);
            other.awaitReady();
            // this server's /metrics is public (pgflow.metrics.public=true): a scraper reads it without sign-in, and nothing else opens
            HttpResponse<String> scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(other.uri("metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scraped.statusCode());
            assertTrue(scraped.body().contains("# TYPE pgflow_runs_started_total counter"), scraped.body());
            assertEquals(401, HttpClient.newHttpClient().send(HttpRequest.newBuilder(other.uri("api/runs")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            // the job runs on the other server, in small chunks, until a tenth of it is done; then SIGKILL
            JsonObject first = job(HttpClient.newHttpClient().send(HttpRequest.newBuilder(other.uri("api/jobs/pgflow-backfill"))
                    .header("Content-Type", "application/json").header("Authorization", basic("it-admin", "it-admin-secret"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"flow\": \"it_backfill\", \"path\": \"" + csv + "\", \"chunkSize\": 10}"))
                    .build(), HttpResponse.BodyHandlers.ofString()), 202);
            long execution = first.getJsonNumber("executionId").longValue();
            String key = first.getJsonObject("parameters").getString("instanceKey");
            String runsOfJob = "select count(*) from pgflow.runs where idempotency_key like 'backfill:" + key + ":%'";
            awaitTrue(() -> Long.parseLong(ItSql.rows(db, runsOfJob).get(0).get("count")) >= 1000, "a tenth of the runs started");
            assertEquals(137, other.kill(), "killed by SIGKILL");
            long atKill = Long.parseLong(ItSql.rows(db, runsOfJob).get(0).get("count"));
            assertTrue(atKill >= 1000 && atKill < 10_000, "runs when the server was killed: " + atKill);

            // this server sees the execution still STARTED on the dead one, and refuses to restart it while its heartbeat is fresh
            JsonObject orphan = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + execution)), 200);
            assertEquals("STARTED", orphan.getString("status"));
            assertTrue(orphan.getString("server").endsWith("/" + other.process.pid()), orphan.toString());
            HttpResponse<String> tooSoon = postAs("it-admin", "api/jobs/" + execution + "/restart", "", null);
            assertEquals(409, tooSoon.statusCode(), tooSoon.body());
            assertTrue(tooSoon.body().matches(".*\"detail\":\"execution " + execution + " is STARTED on server [^\"]+/" + other.process.pid()
                    + " \\(last heartbeat \\d+ s ago\\): stop it there, or restart it once that server is lost \\(no heartbeat for 6 s\\)\".*"),
                    tooSoon.body());

            // once its heartbeat is 6 s old it counts as lost: restarted here, from its last checkpoint
            awaitTrue(() -> job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + execution)), 200)
                    .getBoolean("serverLost"), "the killed server counted as lost");
            JsonObject again = job(postAs("it-admin", "api/jobs/" + execution + "/restart", "", null), 202);
            long restarted = again.getJsonNumber("executionId").longValue();
            assertEquals(first.getJsonNumber("instanceId").longValue(), again.getJsonNumber("instanceId").longValue(), "the same job instance");
            awaitTrue(() -> jobStatus(restarted).equals("COMPLETED"), "the restarted job completed");

            assertEquals(List.of(Map.of("n", "10000", "keys", "10000", "first", "2", "last", "10001")), ItSql.rows(db,
                    "select count(*) as n, count(distinct idempotency_key) as keys, min(split_part(idempotency_key, ':', 3)::int) as first,"
                    + " max(split_part(idempotency_key, ':', 3)::int) as last from pgflow.runs where idempotency_key like 'backfill:" + key + ":%'"));
            JsonObject lost = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + execution)), 200);
            assertEquals("FAILED", lost.getString("status"), lost.toString());
            assertEquals("SERVER_LOST", lost.getString("exitStatus"), lost.toString());
            assertEquals(false, lost.getBoolean("serverLost"), lost.toString());
            JsonObject done = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + restarted)), 200);
            // the chunk the killed server had started runs for but not yet checkpointed was read again: its runs were found, not started twice
            java.util.regex.Matcher counts = java.util.regex.Pattern.compile("runs created (\\d+), found already started (\\d+)")
                    .matcher(done.getJsonArray("steps").getJsonObject(0).getString("data"));
            assertTrue(counts.matches(), done.toString());
            long created = Long.parseLong(counts.group(1));
            long found = Long.parseLong(counts.group(2));
            assertEquals(10_000, created + found, done.toString());
            assertTrue(found <= 10, "at most one chunk found already started: " + done);
            assertTrue(!done.getString("server").endsWith("/" + other.process.pid()), "restarted on this server: " + done);
        }
    }

    @Test
    void theDailyPruneIsScheduledFor3UtcAndStartsOnceADayWhicheverServerAsksFirst() throws Exception {
        java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
        java.time.OffsetDateTime next = pruneSchedule.nextRun().orElseThrow().toInstant().atOffset(java.time.ZoneOffset.UTC);
        assertEquals(java.time.LocalTime.of(3, 0), next.toLocalTime(), next.toString());
        assertTrue(next.isAfter(now) && !next.isAfter(now.plusDays(1)), next + " is the next 03:00 UTC after " + now);
        assertEquals(false, pruneSchedule.isDaily(), "off unless pgflow.prune.daily=true");

        // the day is claimed in the database: the first caller of all servers starts the prune, later ones nothing
        java.time.LocalDate day = java.time.LocalDate.of(2099, 1, 1);
        long execution = pruneSchedule.startFor(day).orElseThrow();
        assertEquals(java.util.Optional.empty(), pruneSchedule.startFor(day));
        jakarta.batch.operations.JobOperator operator = jakarta.batch.runtime.BatchRuntime.getJobOperator();
        assertEquals("pgflow-prune", operator.getJobExecution(execution).getJobName());
        awaitTrue(() -> operator.getJobExecution(execution).getBatchStatus() == jakarta.batch.runtime.BatchStatus.COMPLETED,
                "the daily prune completed");
        assertEquals(List.of("daily"), query("select 'daily' from pgflow_internal.job_items where instance_key = 'schedule'"
                + " and item_key = 'pgflow-prune-daily:2099-01-01'"));
    }

    @Test
    void bulkRetryActsOnEveryMatchingRunOnceAndPruneExportsExactlyWhatItDeletes() throws Exception {
        // three doomed runs fail; a bulk retry by flow, time and error text retries exactly them
        String since = query("select to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").get(0);
        List<String> doomed = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            doomed.add(query("select run_id::text from pgflow.start_flow('it_doomed', '{\"bulk\": " + i + "}')").get(0));
        }
        for (String run : doomed) {
            assertEquals("failed", awaitRunEnd(run));
        }
        String filter = "\"flow\": \"it_doomed\", \"startedAfter\": \"" + since + "\", \"errorContains\": \"CARD DECLINED\"";
        long retry = job(postAs("it-admin", "api/jobs/pgflow-bulk-retry", "{" + filter + "}", null), 202).getJsonNumber("executionId").longValue();
        awaitTrue(() -> jobStatus(retry).equals("COMPLETED"), "the bulk retry completed");
        assertEquals("runs acted on 3, refused 0, done before 0", job(getAs("it-admin", "it-admin-secret",
                base.toURI().resolve("api/jobs/" + retry)), 200).getJsonArray("steps").getJsonObject(0).getString("data"));
        for (String run : doomed) {
            assertEquals("failed", awaitRunEnd(run)); // doomed again, once more
        }
        assertEquals(List.of("1 1 1"), query("select string_agg(retry_count::text, ' ' order by run_id) from pgflow.runs where run_id in ('"
                + String.join("','", doomed) + "')"));
        // restart mode: new runs, linked to the old ones
        long restart = job(postAs("it-admin", "api/jobs/pgflow-bulk-retry", "{" + filter + ", \"mode\": \"restart\"}", null), 202)
                .getJsonNumber("executionId").longValue();
        awaitTrue(() -> jobStatus(restart).equals("COMPLETED"), "the bulk restart completed");
        assertEquals(List.of("3"), query("select count(*) from pgflow.runs where restart_of_run_id in ('" + String.join("','", doomed) + "')"));
        assertProblem(postAs("it-admin", "api/jobs/pgflow-bulk-retry", "{\"status\": \"completed\"}", null), 400, "Invalid job parameters",
                "status must be failed, cancelled or both (failed,cancelled), got 'completed'");

        // cancel-stuck: a run still started 7 hours after its start is cancelled with the reason; a fresh one is left alone
        engine.pauseFlow("it_backfill");
        String stuck = query("select run_id::text from pgflow.start_flow('it_backfill', '{\"stuck\": 1}')").get(0);
        String fresh = query("select run_id::text from pgflow.start_flow('it_backfill', '{\"stuck\": 2}')").get(0);
        query("with r as (update pgflow.runs set started_at = started_at - interval '7 hours' where run_id = '" + stuck + "' returning 1)"
                + " select count(*)::text from r");
        long cancel = job(postAs("it-admin", "api/jobs/pgflow-cancel-stuck", "{\"flow\": \"it_backfill\", \"olderThan\": \"PT6H\"}", null), 202)
                .getJsonNumber("executionId").longValue();
        awaitTrue(() -> jobStatus(cancel).equals("COMPLETED"), "the cancel-stuck job completed");
        assertEquals(List.of("cancelled stuck: still running PT6H after its start (pgflow-cancel-stuck)", "started null"),
                query("select status || ' ' || coalesce(cancel_reason, 'null') from pgflow.runs where run_id in ('" + stuck + "', '" + fresh
                        + "') order by input->>'stuck'"));
        assertEquals("runs acted on 1, refused 0, done before 0", job(getAs("it-admin", "it-admin-secret",
                base.toURI().resolve("api/jobs/" + cancel)), 200).getJsonArray("steps").getJsonObject(0).getString("data"));
        assertProblem(postAs("it-admin", "api/jobs/pgflow-cancel-stuck", "{\"olderThan\": \"6 hours\"}", null), 400, "Invalid job parameters",
                "olderThan must be an ISO-8601 duration such as PT6H or P2D, got '6 hours'");
        assertProblem(postAs("it-admin", "api/jobs/pgflow-cancel-stuck", "{}", null), 400, "Invalid job parameters",
                "parameter 'olderThan' is required: how long ago a still started run must have begun, as an ISO-8601 duration (PT6H, P2D)");

        // prune: four runs finished 40 days ago go to the export and out of the tables; two newer stay
        List<String> runs = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            runs.add(query("select run_id::text from pgflow.start_flow('it_prune', '{\"n\": " + i + "}')").get(0));
        }
        for (String run : runs) {
            assertEquals("completed", awaitRunEnd(run));
        }
        List<String> old = runs.subList(0, 4);
        String oldIds = "('" + String.join("','", old) + "')";
        query("with r as (update pgflow.runs set started_at = started_at - interval '40 days', completed_at = completed_at - interval '40 days'"
                + " where run_id in " + oldIds + " returning 1) select count(*)::text from r");
        java.nio.file.Path exports = java.nio.file.Files.createTempDirectory("it-prune");
        long prune = job(postAs("it-admin", "api/jobs/pgflow-prune", "{\"flows\": \"it_prune,it_doomed\", \"retention\": \"P30D\","
                + " \"exportDir\": \"" + exports + "\"}", null), 202).getJsonNumber("executionId").longValue();
        awaitTrue(() -> jobStatus(prune).equals("COMPLETED"), "the prune completed");
        // a partition per flow, with what each pruned (it_doomed's runs are all newer than 30 days)
        JsonObject pruned = job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + prune)), 200);
        assertEquals("[{\"partition\":\"it_doomed\",\"items\":0,\"done\":true},{\"partition\":\"it_prune\",\"items\":4,\"done\":true}]",
                pruned.getJsonArray("partitions").toString());
        assertEquals(4, pruned.getJsonArray("steps").getJsonObject(0).getJsonObject("metrics").getJsonNumber("WRITE_COUNT").longValue());
        assertTrue(pruned.getJsonNumber("elapsedSeconds").longValue() >= 0 && pruned.getJsonNumber("elapsedSeconds").longValue() < 600,
                pruned.toString());
        assertEquals(List.of(runs.get(4) + "," + runs.get(5)), query("select string_agg(run_id::text, ',' order by input->>'n') from pgflow.runs"
                + " where flow_slug = 'it_prune'"));
        assertEquals(List.of("0 0"), query("select (select count(*) from pgflow.step_states where run_id in " + oldIds + ") || ' ' ||"
                + " (select count(*) from pgflow.step_tasks where run_id in " + oldIds + ")"));
        List<JsonObject> exported = new java.util.ArrayList<>();
        try (var files = java.nio.file.Files.list(exports.resolve("it_prune"))) {
            for (java.nio.file.Path f : files.toList()) {
                assertTrue(f.getFileName().toString().endsWith(".jsonl.gz"), f.toString());
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(new java.util.zip.GZIPInputStream(
                        java.nio.file.Files.newInputStream(f)), java.nio.charset.StandardCharsets.UTF_8))) {
                    in.lines().forEach(line -> exported.add(Json.createReader(new StringReader(line)).readObject()));
                }
            }
        }
        assertEquals(new java.util.TreeSet<>(old), new java.util.TreeSet<>(exported.stream().map(o -> o.getJsonObject("run").getString("run_id"))
                .toList()), "exactly the deleted runs exported");
        for (JsonObject o : exported) {
            assertEquals("completed", o.getJsonObject("run").getString("status"));
            assertEquals(1, o.getJsonArray("steps").size());
            assertEquals("keep", o.getJsonArray("steps").getJsonObject(0).getString("step_slug"));
            assertEquals(1, o.getJsonArray("tasks").size());
            assertEquals(o.getJsonObject("run").getJsonObject("input"), o.getJsonArray("tasks").getJsonObject(0).getJsonObject("output"));
        }
        assertProblem(postAs("it-admin", "api/jobs/pgflow-prune", "{\"retention\": \"30 days\"}", null), 400, "Invalid job parameters",
                "retention must be an ISO-8601 duration such as P30D or PT12H, got '30 days'");
    }

    private JsonObject job(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        return Json.createReader(new StringReader(r.body())).readObject();
    }

    private String jobStatus(long execution) throws Exception {
        return job(getAs("it-admin", "it-admin-secret", base.toURI().resolve("api/jobs/" + execution)), 200).getString("status");
    }
}
