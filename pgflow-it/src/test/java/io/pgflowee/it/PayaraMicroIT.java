package io.pgflowee.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.RunRow;
import io.pgflowee.engine.db.SchemaMigrator;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import java.util.List;
import java.util.Map;
import io.pgflowee.engine.system.SystemInfoService;
import io.pgflowee.engine.worker.WorkerManager;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

/**
 * The built WAR on a real Payara Micro against a real PostgreSQL. One class (one server boot)
 * covers the foundation: readiness, the API, and the engine's EJBs inside the container.
 * In-container tests use JUnit's own assertions (the deployment carries no AssertJ).
 */
@ExtendWith(ArquillianExtension.class)
class PayaraMicroIT {

    /** Arquillian's in-container test runner: public in this test deployment only (see {@link #deployment()}). */
    static final String ARQUILLIAN_RUNNER = "/ArquillianServletRunnerEE9";

    /**
     * The built WAR plus the test classes. Deny by default covers Arquillian's runner servlet too, so
     * this deployment's web.xml makes that one path public, and the server makes it public for the
     * second wall ({@code pgflow.security.publicPaths}, arquillian.xml). The WAR users deploy has neither.
     */
    @Deployment
    static WebArchive deployment() {
        File war = new File(System.getProperty("it.target", "target"), "pgflow.war");
        WebArchive archive = ShrinkWrap.create(ZipImporter.class, "pgflow.war").importFrom(war).as(WebArchive.class);
        String webXml;
        try (java.io.InputStream in = archive.get("WEB-INF/web.xml").getAsset().openStream()) {
            webXml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        archive.setWebXML(new org.jboss.shrinkwrap.api.asset.StringAsset(webXml.replaceFirst("  <security-role>",
                "  <security-constraint><web-resource-collection><web-resource-name>arquillian</web-resource-name>"
                        + "<url-pattern>" + ARQUILLIAN_RUNNER + "</url-pattern></web-resource-collection></security-constraint>\n  <security-role>")));
        return archive
                .addClasses(PayaraMicroIT.class, ItFlows.class, ItSql.class, MicroProcess.class, ConsoleSignIns.class, ItWar.class, ItWar.Endpoint.class, ItFailingResource.class, ItFailingResource.Console.class)
                .addAsWebResource(new org.jboss.shrinkwrap.api.asset.StringAsset(ItFailingResource.PAGE), "it-failing.xhtml");
    }

    @ArquillianResource
    URL base;

    @Inject
    SystemInfoService systemInfo;

    @Inject
    io.pgflowee.engine.jobs.PruneSchedule pruneSchedule;

    @Inject
    SchemaMigrator migrator;

    @Inject
    FlowRegistry registry;

    @Inject
    WorkerManager workers;

    @Inject
    EngineOperations engine;

    @Inject
    io.pgflowee.engine.query.RunQueries runQueries;

    @Inject
    io.pgflowee.engine.query.FlowQueries flowQueries;

    @Inject
    io.pgflowee.engine.query.WorkerQueries workerQueries;

    @Inject
    io.pgflowee.engine.query.DashboardQueries dashboardQueries;

    @jakarta.annotation.Resource(lookup = "java:app/jdbc/pgflow")
    javax.sql.DataSource dataSource;

    @Test
    @RunAsClient
    void readinessIsUpWithTheDatabaseCheckAndMigrationsApplied() throws Exception {
        HttpResponse<String> ready = get(URI.create(base.getProtocol() + "://" + base.getHost() + ":"
                + base.getPort() + "/health/ready"));

        assertEquals(200, ready.statusCode(), ready.body());
        JsonObject body = Json.createReader(new StringReader(ready.body())).readObject();
        assertEquals("UP", body.getString("status"));
        JsonObject check = body.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .filter(c -> c.getString("name").equals("pgflow-database")).findFirst().orElseThrow();
        assertEquals("UP", check.getString("status"));
        assertEquals("APPLIED", check.getJsonObject("data").getString("migrations"));
        JsonObject flows = body.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .filter(c -> c.getString("name").equals("pgflow-flows")).findFirst().orElseThrow();
        assertEquals("UP", flows.getString("status"), flows.toString());
        assertEquals("verified", flows.getJsonObject("data").getString("flow.greet_user"), flows.toString());
        assertEquals("verified", flows.getJsonObject("data").getString("flow.cart_invoice"), flows.toString());
    }

    @Test
    @RunAsClient
    void livenessIsUpAndIndependentOfTheDatabase() throws Exception {
        HttpResponse<String> live = get(URI.create(base.getProtocol() + "://" + base.getHost() + ":"
                + base.getPort() + "/health/live"));

        assertEquals(200, live.statusCode(), live.body());
        JsonObject engine = Json.createReader(new StringReader(live.body())).readObject().getJsonArray("checks")
                .getValuesAs(JsonObject.class).stream().filter(c -> c.getString("name").equals("pgflow-engine")).findFirst().orElseThrow();
        JsonObject data = engine.getJsonObject("data");
        // the server has collected garbage since it booted: what survived the last collection is known
        // (Payara's health endpoint writes every data value as a string)
        long afterGc = Long.parseLong(data.getString("heapAfterGcMiB"));
        assertTrue(afterGc > 0 && afterGc < Long.parseLong(data.getString("heapMaxMiB")), data.toString());
    }

    @Test
    @RunAsClient
    void systemEndpointDescribesTheDatabase() throws Exception {
        HttpResponse<String> r = get(base.toURI().resolve("api/system"));

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        JsonObject body = Json.createReader(new StringReader(r.body())).readObject();
        assertEquals("APPLIED", body.getString("migrations"));
        assertTrue(body.getString("postgresVersion").startsWith("17."), body.toString());
    }

    @Test
    void engineBeansAreInjectableAndQueryTheDatabase() throws Exception {
        SystemInfoService.SystemInfo info = systemInfo.describe();

        assertEquals(SchemaMigrator.State.APPLIED, migrator.status().state());
        assertEquals("APPLIED", info.migrations());
        assertTrue(info.postgresVersion().startsWith("17."), info.postgresVersion());
    }

    @Test
    void flowBeansFromTheExamplesJarAndTheDeploymentAreRegisteredAndVerifiedAgainstTheDatabase() {
        assertEquals(List.of("cart_invoice", "greet_many", "greet_user", "it_backfill", "it_cancel", "it_changed", "it_chaos", "it_console", "it_doomed", "it_events", "it_flaky", "it_graceful", "it_hundred", "it_lifecycle",
                "it_prune", "it_slow", "it_stuck"), registry.flows().stream().map(Flow::slug).toList());
        // the examples' changelogs created theirs; the test flows have none and were compiled at startup (autoCompile)
        assertEquals(List.of("cart_invoice: VERIFIED", "greet_many: VERIFIED", "greet_user: VERIFIED", "it_backfill: COMPILED",
                        "it_cancel: COMPILED", "it_changed: COMPILED", "it_chaos: COMPILED", "it_console: COMPILED", "it_doomed: COMPILED", "it_events: COMPILED",
                        "it_flaky: COMPILED", "it_graceful: COMPILED", "it_hundred: COMPILED", "it_lifecycle: COMPILED", "it_prune: COMPILED", "it_slow: COMPILED", "it_stuck: COMPILED"),
                registry.statuses().stream().map(s -> s.slug() + ": " + s.state()).toList());
        assertTrue(registry.isRunnable("greet_user"));
        assertEquals(List.of("full_name", "greeting"),
                registry.flow("greet_user").orElseThrow().steps().stream().map(Step::slug).toList());
    }

    @Test
    void theSeedHelloWorldStartedFromSqlRunsToItsGreetingOnTheWorkers() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow(flow_slug => 'greet_user',"
                + " input => '{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}'::jsonb)").get(0);
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"greeting\": \"Hello, Alice Smith!\"}"),
                query("select output::text from pgflow.runs where run_id = '" + run + "'"));
        assertEquals(List.of("full_name completed \"Alice Smith\"", "greeting completed \"Hello, Alice Smith!\""),
                query("select step_slug || ' ' || status || ' ' || output::text from pgflow.step_states"
                        + " where run_id = '" + run + "' order by step_slug"));
        // the seed's Worker Activity query shows the live workers (heartbeat every 5 s)
        List<String> live = query("SELECT worker_id, last_heartbeat FROM pgflow.workers"
                + " WHERE last_heartbeat > now() - interval '6 seconds'");
        assertTrue(live.size() >= 3, "live workers (one per flow): " + live);
    }

    @Test
    void theReadModelLoadsInsideTheServerWithConvertersAndLazyRelations() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Jo\", \"last_name\": \"Pa\"}')").get(0);
        assertEquals("completed", awaitRunEnd(run));

        io.pgflowee.engine.query.RunDetail detail = runQueries.detail(java.util.UUID.fromString(run)).orElseThrow();

        assertEquals(io.pgflowee.engine.model.RunStatus.COMPLETED, detail.run().status());
        assertEquals("Hello, Jo Pa!", detail.run().output().asJsonObject().getString("greeting"));
        assertEquals("greet_user", detail.run().flow().flowSlug(), "a lazy relation, loaded through the woven entity");
        assertEquals(List.of("full_name COMPLETED 1", "greeting COMPLETED 1"), detail.steps().stream()
                .map(s -> s.state().stepSlug() + " " + s.state().status() + " " + s.tasks().size()).toList());
        assertEquals(io.pgflowee.engine.model.TaskStatus.COMPLETED, detail.steps().get(1).tasks().get(0).status());
        assertTrue(workers.workerIds().containsValue(detail.steps().get(1).tasks().get(0).lastWorkerId()),
                "the task's worker is one of this server's");
        io.pgflowee.engine.query.RunPage page = runQueries.page(io.pgflowee.engine.query.RunFilter.ALL.withFlow("greet_user")
                .withInputContaining("{\"first_name\": \"Jo\"}"), null, 10);
        assertEquals(List.of(java.util.UUID.fromString(run)), page.runs().stream().map(io.pgflowee.engine.model.RunRecord::runId).toList());
        assertTrue(page.totals().exact());
        assertEquals(List.of("full_name", "greeting"), flowQueries.flow("greet_user").orElseThrow().steps().stream()
                .map(s -> s.step().stepSlug()).toList());
        assertTrue(workerQueries.workers().stream().filter(io.pgflowee.engine.query.WorkerQueries.WorkerView::live).count() >= 3);
        assertTrue(dashboardQueries.dashboard(5).perMinute().stream().anyMatch(m -> m.flowSlug().equals("greet_user") && m.completed() > 0));
    }

    @Test
    void aMapStepAndAConditionRunOnTheWorkers() throws Exception {
        String lines = "[{\"sku\": \"A-1\", \"price\": 12.50, \"quantity\": 2}, {\"sku\": \"B-7\", \"price\": 3, \"quantity\": 1}]";
        String express = query("select run_id::text from pgflow.start_flow('cart_invoice', '{\"express\": true, \"lines\": " + lines + "}'::jsonb)").get(0);
        String standard = query("select run_id::text from pgflow.start_flow('cart_invoice', '{\"lines\": " + lines + "}'::jsonb)").get(0);
        assertEquals("completed", awaitRunEnd(express));
        assertEquals("completed", awaitRunEnd(standard));
        assertEquals(List.of("{\"invoice\": {\"total\": 33.00, \"subtotal\": 28.00, \"expressFee\": 5.00}}"),
                query("select output::text from pgflow.runs where run_id = '" + express + "'"));
        assertEquals(List.of("{\"invoice\": {\"total\": 28.00, \"subtotal\": 28.00, \"expressFee\": 0.00}}"),
                query("select output::text from pgflow.runs where run_id = '" + standard + "'"));
        assertEquals(List.of("skipped condition_unmet"), query("select status || ' ' || skip_reason from pgflow.step_states"
                + " where run_id = '" + standard + "' and step_slug = 'express_fee'"));
    }

    @Test
    void aHandlerThatFailsTwiceThenSucceedsCompletesOnItsThirdAttemptAfterTheBackoff() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_flaky', '{}'::jsonb)").get(0);
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("completed 3 \"ok on attempt 3\""), query("select status, attempts_count, output::text"
                + " from pgflow.step_tasks where run_id = '" + run + "'"));
        // the task keeps its last error (step_tasks.error_message), the step none
        String lastError = query("select error_message from pgflow.step_tasks where run_id = '" + run + "'").get(0);
        assertTrue(lastError.startsWith("java.lang.IllegalStateException: service unavailable (attempt 2)\n\tat io.pgflowee.it.ItFlows$Flaky"),
                lastError);
        assertEquals(List.of("completed null"), query("select status, error_message from pgflow.step_states where run_id = '" + run + "'"));
        assertEquals(3, ItFlows.FLAKY_ATTEMPTS.size());
        // the API lists both failed attempts with their errors
        JsonArray earlier = Json.createReader(new StringReader(getAs("it-viewer", "it-viewer-secret", base.toURI().resolve("api/runs/" + run))
                .body())).readObject().getJsonArray("steps").getJsonObject(0).getJsonArray("tasks").getJsonObject(0)
                .getJsonArray("earlierAttempts");
        assertEquals(2, earlier.size(), earlier.toString());
        for (int i = 0; i < 2; i++) {
            assertEquals(i + 1, earlier.getJsonObject(i).getInt("attempt"));
            assertEquals("failed", earlier.getJsonObject(i).getString("outcome"));
            assertTrue(earlier.getJsonObject(i).getString("errorMessage").startsWith("java.lang.IllegalStateException: service unavailable"
                    + " (attempt " + (i + 1) + ")"), earlier.toString());
        }
        // backoff floor(baseDelay 1 * 2^n): 2 s after the first failure, 4 s after the second
        long firstGap = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(ItFlows.FLAKY_ATTEMPTS.get(1) - ItFlows.FLAKY_ATTEMPTS.get(0));
        long secondGap = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(ItFlows.FLAKY_ATTEMPTS.get(2) - ItFlows.FLAKY_ATTEMPTS.get(1));
        assertTrue(firstGap >= 1900, "retry 1 came " + firstGap + " ms after attempt 1");
        assertTrue(secondGap >= 3900, "retry 2 came " + secondGap + " ms after attempt 2");
    }

    @Test
    void aHandlerThatAlwaysFailsFailsTheRunWithItsErrorInTheSeedsFailedStepsQuery() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_doomed', '{}'::jsonb)").get(0);
        assertEquals("failed", awaitRunEnd(run));
        // the seed README's "Failed Steps" query, verbatim but for YOUR_RUN_ID
        List<java.util.Map<String, String>> failed = rows("SELECT ss.step_slug, st.attempts_count, st.error_message, st.failed_at\n"
                + "FROM pgflow.step_states ss\nJOIN pgflow.step_tasks st ON\n  ss.run_id = st.run_id AND\n  ss.step_slug = st.step_slug\n"
                + "WHERE ss.run_id = '" + run + "' AND ss.status = 'failed';");
        assertEquals(1, failed.size(), failed.toString());
        assertEquals("charge", failed.get(0).get("step_slug"));
        assertEquals("2", failed.get(0).get("attempts_count"));
        assertTrue(failed.get(0).get("failed_at") != null, failed.toString());
        String error = failed.get(0).get("error_message");
        assertTrue(error.startsWith("java.lang.IllegalArgumentException: card declined\n\tat io.pgflowee.it.ItFlows$Doomed"), error);
        assertTrue(error.lines().count() <= 10, error);
        assertEquals(List.of("failed true null"), query("select status, (failed_at is not null)::text, output from pgflow.runs where run_id = '" + run + "'"));
    }

    @Test
    void aHandlerRunningPastItsTimeoutIsInterruptedAndTheTaskFailsAsTimedOut() throws Exception {
        long t0 = System.nanoTime();
        String run = query("select run_id::text from pgflow.start_flow('it_slow', '{}'::jsonb)").get(0);
        assertEquals("failed", awaitRunEnd(run));
        long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertTrue(seconds >= 3 && seconds < 60, "failed after " + seconds + " s");
        assertEquals(List.of("interrupted, cancelled=true"), ItFlows.SLOW_INTERRUPTS);
        assertEquals(List.of("failed 1 Task timed out: the handler was still running after its 3 s timeout and was interrupted (attempt 1)"),
                query("select status, attempts_count, error_message from pgflow.step_tasks where run_id = '" + run + "'"));
    }

    @Test
    void aRootMapOverOneHundredItemsCompletesWithItsOutputsInOrder() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_hundred', (select jsonb_agg(g) from generate_series(1, 100) g))").get(0);
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"sum\": 338350}"), query("select output::text from pgflow.runs where run_id = '" + run + "'"));
        assertEquals(List.of("completed 100 1"), query("select status, count(*), max(attempts_count) from pgflow.step_tasks"
                + " where run_id = '" + run + "' and step_slug = 'squares' group by status"));
        assertEquals(List.of("1 100 10000"), query("select output->>0, output->>9, output->>99 from pgflow.step_states"
                + " where run_id = '" + run + "' and step_slug = 'squares'"));
    }

    @Test
    void stoppingAWorkerLetsItsRunningHandlersFinishClaimsNothingMoreAndAnotherWorkerTakesTheRest() throws Exception {
        String stopped = workers.workerIds().get("it_graceful").toString();
        query("select count(*) from generate_series(1, 10) g, lateral pgflow.start_flow('it_graceful', jsonb_build_object('n', g))");
        awaitTrue(() -> ItFlows.GRACEFUL_RUNNING.get() == 2, "two it_graceful handlers running");

        assertTrue(workers.stopWorker("it_graceful"));

        // what undeploy does: the handlers that were running finished and reported, nothing else was claimed
        java.util.Map<String, String> tasks = rows("select count(*) filter (where status = 'completed') as completed,"
                + " count(*) filter (where status = 'queued' and attempts_count = 0) as queued, count(*) as total"
                + " from pgflow.step_tasks where flow_slug = 'it_graceful'").get(0);
        assertEquals("10", tasks.get("total"));
        int completed = Integer.parseInt(tasks.get("completed"));
        assertTrue(completed >= 2 && completed < 10, tasks.toString());
        assertEquals(String.valueOf(10 - completed), tasks.get("queued"), tasks.toString());
        assertEquals(List.of("true"), query("select (stopped_at is not null)::text from pgflow.workers where worker_id = '" + stopped + "'"));
        Thread.sleep(1000); // five poll intervals: a stopped worker claims nothing
        assertEquals(List.of(String.valueOf(completed)), query("select count(*) from pgflow.step_tasks where flow_slug = 'it_graceful'"
                + " and attempts_count > 0"));
        assertEquals(List.of("0"), query("select count(*) from pgflow.step_tasks where status = 'started' and last_worker_id = '" + stopped + "'"));
        assertEquals(2, ItFlows.GRACEFUL_MAX_RUNNING.get(), "pgflow.worker.it_graceful.maxConcurrent=2");

        workers.startWorkers();
        String next = workers.workerIds().get("it_graceful").toString();
        assertTrue(!next.equals(stopped), next);
        awaitTrue(() -> query("select count(*) from pgflow.runs where flow_slug = 'it_graceful' and status = 'completed'").get(0).equals("10"),
                "all ten it_graceful runs completed");
        assertEquals(List.of(String.valueOf(10 - completed)), query("select count(*) from pgflow.step_tasks where flow_slug = 'it_graceful'"
                + " and last_worker_id = '" + next + "' and attempts_count = 1"));
        assertEquals(2, ItFlows.GRACEFUL_MAX_RUNNING.get(), "never more than 2 at once");
    }

    @Test
    void aHandlerStillRunningWhenTheShutdownGraceEndsIsCancelledAndItsTaskIsHandedBackAtOnceWithoutLosingTheAttempt() throws Exception {
        String stopped = workers.workerIds().get("it_stuck").toString();
        String run = query("select run_id::text from pgflow.start_flow('it_stuck', '{}'::jsonb)").get(0);
        awaitTrue(() -> ItFlows.STUCK_RUNNING.get() == 1, "the it_stuck handler running");
        long t0 = System.nanoTime();

        assertTrue(workers.stopWorker("it_stuck"));

        long waited = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(waited >= 1900, "stopWorker returned after " + waited + " ms, before the 2 s grace");
        awaitTrue(() -> ItFlows.STUCK_CANCELLED.size() == 1, "the handler saw its cancellation");
        assertEquals(List.of("interrupted, cancelled=true"), ItFlows.STUCK_CANCELLED);
        // not failed by the shutdown (no error), handed back at once (release_tasks): queued, claimable now, the attempt not counted
        assertEquals(List.of("queued 0 null " + stopped + " t"), query("select status, attempts_count, error_message, last_worker_id,"
                + " visible_at <= clock_timestamp() from pgflow.step_tasks where run_id = '" + run + "'"));
        assertEquals(List.of("1 released " + stopped), query("select attempt, outcome, worker_id from pgflow_internal.task_attempts"
                + " where run_id = '" + run + "'"));

        workers.startWorkers();
        String next = workers.workerIds().get("it_stuck").toString();
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("completed 1 \"finished on attempt 1\" null " + next), query("select status, attempts_count, output::text,"
                + " error_message, last_worker_id from pgflow.step_tasks where run_id = '" + run + "'"));
    }

    @Test
    void aHandlerOfACancelledRunIsInterruptedWithinTwoSecondsAndRetryResumesTheRun() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_cancel', '{}'::jsonb)").get(0);
        java.util.UUID runId = java.util.UUID.fromString(run);
        awaitTrue(() -> ItFlows.CANCEL_RUNNING.get() == 1, "the it_cancel handler running");
        long t0 = System.nanoTime();

        RunRow cancelled = engine.cancelRun(runId, "cancelled by PayaraMicroIT");

        assertEquals("cancelled", cancelled.status());
        assertEquals("cancelled by PayaraMicroIT", cancelled.cancelReason());
        awaitTrue(() -> ItFlows.CANCEL_INTERRUPTS.size() == 1, "the handler saw its cancellation");
        long millis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(ItFlows.CANCEL_ENDED_AT.get() - t0);
        assertTrue(millis < 2000, "the handler was interrupted " + millis + " ms after cancel_run");
        assertEquals(List.of("interrupted, cancelled=true"), ItFlows.CANCEL_INTERRUPTS);
        Thread.sleep(500); // time enough for a report, which the worker must not send
        assertEquals(List.of("cancelled 1 null null"), query("select status, attempts_count, error_message, output::text"
                + " from pgflow.step_tasks where run_id = '" + run + "'"));
        assertEquals(List.of("cancelled cancelled by PayaraMicroIT 0"), query("select status, cancel_reason, retry_count"
                + " from pgflow.runs where run_id = '" + run + "'"));

        RunRow retried = engine.retryRun(runId);

        assertEquals("started", retried.status());
        assertEquals(1, retried.retryCount());
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"wait\": \"resumed on attempt 1\"}"), query("select output::text from pgflow.runs where run_id = '" + run + "'"));
        EngineRefusal refusal = assertThrows(EngineRefusal.class, () -> engine.cancelRun(runId, null));
        assertEquals(EngineRefusal.Kind.CONFLICT, refusal.kind());
        assertEquals("Run " + run + " is completed: only a started run can be cancelled", refusal.getMessage());
    }

    @Test
    void aPausedFlowIsNotClaimedByTheWorkersUntilItIsResumed() throws Exception {
        String run;
        assertTrue(engine.pauseFlow("greet_user").paused());
        try {
            assertEquals(3, engine.setFlowConcurrency("greet_user", 3).maxRunning());
            io.pgflowee.engine.model.FlowRecord listed = flowQueries.flow("greet_user").orElseThrow().flow();
            assertTrue(listed.pausedAt() != null, "paused");
            assertEquals(3, listed.maxRunning());
            run = query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Paula\", \"last_name\": \"Used\"}')").get(0);
            Thread.sleep(1500); // seven poll intervals
            assertEquals(List.of("full_name queued 0"), query("select step_slug, status, attempts_count from pgflow.step_tasks"
                    + " where run_id = '" + run + "'"));
        } finally {
            engine.resumeFlow("greet_user");
            engine.setFlowConcurrency("greet_user", null);
        }
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"greeting\": \"Hello, Paula Used!\"}"), query("select output::text from pgflow.runs where run_id = '" + run + "'"));
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
        }
        assertEquals(List.of(), problems);
        JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
        assertTrue(schemas.keySet().containsAll(List.of("Run", "RunDetail", "RunPage", "Flow", "Worker", "Problem")), schemas.keySet().toString());
        assertTrue(schemas.getJsonObject("Run").getJsonObject("properties").containsKey("runId"), schemas.getJsonObject("Run").toString());
    }

    /** "get /api/runs/{id} takes input" and so on, for every JAX-RS resource method in the deployed WAR. */
    private static List<String> endpointsOfTheWar() throws Exception {
        return ItWar.endpoints().stream().map(e -> e.verb().toLowerCase(java.util.Locale.ROOT) + " " + e.path() + " "
                + (e.takesInput() ? "takes input" : "no input")).toList();
    }

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
        assertEquals(List.of("cancelled", "completed", "exact", "failed", "started"), runs.keySet().stream().sorted().toList());
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

    @Inject
    io.pgflowee.engine.events.RunEventHub eventHub;

    @Test
    void runEventsStreamInOrderToTwoClientsAReconnectWithLastEventIdMissesNothingAndFlowStreamsFollowEveryRun() throws Exception {
        ItFlows.EVENTS_GATE.drainPermits();
        URI flowUri = base.toURI().resolve("api/events?flow=it_events");
        try (SseClient flowStream = new SseClient(flowUri, null)) {
            // the response's headers (and a first comment) come once the stream is subscribed
            flowStream.connected.get(30, java.util.concurrent.TimeUnit.SECONDS);
            String run = query("select run_id::text from pgflow.start_flow('it_events', '{}'::jsonb)").get(0);
            URI runUri = base.toURI().resolve("api/runs/" + run + "/events");
            SseClient a = new SseClient(runUri, null);
            SseClient b = new SseClient(runUri, null);
            awaitTrue(() -> a.events.size() == 2 && b.events.size() == 2, "both clients got the run's start");
            ItFlows.EVENTS_GATE.release();
            awaitTrue(() -> a.events.size() == 4 && b.events.size() == 4, "both clients got the first step's end");
            b.close(); // b disconnects; the run goes on without it
            ItFlows.EVENTS_GATE.release();
            assertEquals("completed", awaitRunEnd(run));
            a.ended.get(10, java.util.concurrent.TimeUnit.SECONDS); // the stream ends after run:completed

            assertEquals(List.of("run:started", "step:started first", "step:completed first", "step:started second",
                    "step:completed second", "run:completed"), a.names());
            assertEquals(a.ids().subList(0, 4), b.ids(), "the second client saw the same events in the same order");
            assertEquals("{\"id\":\"" + a.ids().get(2) + "\",\"eventType\":\"step:completed\",\"runId\":\"" + run
                    + "\",\"flowSlug\":\"it_events\",\"stepSlug\":\"first\",\"status\":\"completed\",\"at\":\""
                    + query("select to_char(completed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') from pgflow.step_states"
                            + " where run_id = '" + run + "' and step_slug = 'first'").get(0) + "\"}", a.events.get(2)[2]);
            assertTrue(a.ids().get(2).startsWith(query("select (extract(epoch from completed_at) * 1000000)::bigint from"
                    + " pgflow.step_states where run_id = '" + run + "' and step_slug = 'first'").get(0) + "/2/" + run + "/first"),
                    "ids carry the transition's time as recorded: " + a.ids().get(2));

            // b comes back with the last id it saw: it gets everything after it (and may get earlier ones again, same ids)
            try (SseClient b2 = new SseClient(runUri, b.ids().get(3))) {
                b2.ended.get(10, java.util.concurrent.TimeUnit.SECONDS);
                java.util.LinkedHashSet<String> union = new java.util.LinkedHashSet<>(b.ids());
                union.addAll(b2.ids());
                assertEquals(a.ids(), List.copyOf(union), "b missed nothing across the reconnect");
                assertTrue(!b2.ids().contains(b.ids().get(3)), "the Last-Event-ID event itself is not sent again");
            }
            // a client that connects after the end gets the history, ending with the terminal event, at once
            try (SseClient late = new SseClient(runUri, null)) {
                late.ended.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(a.ids(), late.ids());
            }
            // the flow stream followed the run live, in the same order
            for (int i = 0; i < 100 && flowStream.events.size() < 6; i++) {
                Thread.sleep(100);
            }
            assertEquals(a.names(), flowStream.names());
            assertEquals(a.ids(), flowStream.ids());
            flowStream.close();
            try (SseClient resumed = new SseClient(flowUri, flowStream.ids().get(2))) {
                awaitTrue(() -> resumed.ids().containsAll(a.ids().subList(3, 6)), "the resumed flow stream replayed the rest");
                assertTrue(!resumed.ids().contains(a.ids().get(2)));
                awaitTrue(() -> resumed.comments.get() > 1, "an idle stream gets a keep-alive comment (every 2 s in this test)");
            }
            // streams that ended or went away drop their subscriptions (the engine then sends no events)
            awaitTrue(() -> eventHub.watchCount() == 0, "every stream closed");
            awaitTrue(() -> query("select count(*) from pgflow_internal.event_subscriptions").get(0).equals("0"),
                    "no subscription left");

            HttpRequest.Builder bad = HttpRequest.newBuilder(runUri).header("Authorization", basic("it-viewer", "it-viewer-secret"))
                    .header("Last-Event-ID", "yesterday");
            assertProblem(HttpClient.newHttpClient().send(bad.build(), HttpResponse.BodyHandlers.ofString()), 400,
                    "Invalid Last-Event-ID", "'yesterday' is not an event id of this API (<micros>/<rank>/<run id>/<step>)");
            assertProblem(getAs("it-viewer", "it-viewer-secret", base.toURI().resolve(
                    "api/runs/00000000-0000-0000-0000-000000000000/events")),
                    404, "Unknown run", "Run 00000000-0000-0000-0000-000000000000 does not exist");
            assertProblem(getAs("it-viewer", "it-viewer-secret", base.toURI().resolve("api/events?flow=nope")), 404, "Unknown flow",
                    "Flow \"nope\" does not exist");
            assertProblem(getAs("it-viewer", "it-viewer-secret", base.toURI().resolve("api/events")), 400, "Missing flow",
                    "name the flow to follow: /api/events?flow=<slug>");
            assertProblem(getAs(null, null, flowUri), 401, "Sign-in required",
                    "send the credentials of a pgflow user with HTTP Basic (curl -u name:password)");
        }
    }

    /** A server-sent-events client (signed in as it-viewer) that collects a stream's events on its own thread. */
    private static final class SseClient implements AutoCloseable {
        /** {event name, id, data} in arrival order. */
        final List<String[]> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger comments = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
        final java.util.concurrent.CompletableFuture<Integer> connected = new java.util.concurrent.CompletableFuture<>();
        private volatile java.util.stream.Stream<String> lines;
        private volatile boolean closed;

        SseClient(URI uri, String lastEventId) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream")
                    .header("Authorization", basic("it-viewer", "it-viewer-secret"));
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            Thread reader = new Thread(() -> {
                try {
                    HttpResponse<java.util.stream.Stream<String>> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .build().send(request.build(), HttpResponse.BodyHandlers.ofLines());
                    connected.complete(response.statusCode());
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("status " + response.statusCode());
                    }
                    lines = response.body();
                    if (closed) {
                        lines.close();
                    }
                    String name = null;
                    String id = null;
                    String data = null;
                    for (java.util.Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                        String line = it.next();
                        if (line.startsWith("event:")) {
                            name = line.substring(6).trim();
                        } else if (line.startsWith("id:")) {
                            id = line.substring(3).trim();
                        } else if (line.startsWith("data:")) {
                            data = line.substring(5).trim();
                        } else if (line.startsWith(":")) {
                            comments.incrementAndGet();
                        } else if (line.isEmpty() && name != null) {
                            events.add(new String[] {name, id, data});
                            name = null;
                            id = null;
                            data = null;
                        }
                    }
                    ended.complete(null);
                } catch (Exception e) {
                    connected.completeExceptionally(e);
                    ended.completeExceptionally(e);
                }
            }, "sse-client");
            reader.setDaemon(true);
            reader.start();
        }

        /** Event names with the step slug when there is one ("step:started first"). */
        List<String> names() {
            return events.stream().map(e -> e[0] + (e[1].endsWith("/") ? "" : " " + e[1].substring(e[1].lastIndexOf('/') + 1)))
                    .toList();
        }

        List<String> ids() {
            return events.stream().map(e -> e[1]).toList();
        }

        @Override
        public void close() {
            closed = true;
            java.util.stream.Stream<String> l = lines;
            if (l != null) {
                l.close();
            }
        }
    }

    @Test
    void metricsCountRunsAndTimeHandlersInPrometheusTextForSignedInUsers() throws Exception {
        URI metrics = base.toURI().resolve("metrics");
        assertProblem(getAs(null, null, metrics), 401, "Sign-in required",
                "send the credentials of a pgflow user with HTTP Basic (curl -u name:password)");
        assertEquals(200, getAs("it-viewer", "it-viewer-secret", metrics).statusCode());
        // runs count once their time is 5 s old: let runs of earlier tests be counted before taking the numbers
        Thread.sleep(6500);
        HttpResponse<String> first = getAs("it-viewer", "it-viewer-secret", metrics);
        assertEquals(200, first.statusCode(), first.body());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", first.headers().firstValue("content-type").orElse(""));
        double started = metric(first.body(), "pgflow_runs_started_total{flow=\"greet_user\"}");
        double completed = metric(first.body(), "pgflow_runs_completed_total{flow=\"greet_user\"}");
        String greetings = "pgflow_task_duration_seconds_count{flow=\"greet_user\",outcome=\"completed\",step=\"greeting\"}";
        double handled = first.body().contains(greetings) ? metric(first.body(), greetings) : 0;

        List<String> runs = List.of(
                query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Me\", \"last_name\": \"Tric\"}')").get(0),
                query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Pro\", \"last_name\": \"Metheus\"}')").get(0));
        for (String run : runs) {
            assertEquals("completed", awaitRunEnd(run));
        }
        // the run counters read the database (at most once a second here) and count runs 5 s after their time
        String[] body = new String[1];
        awaitTrue(() -> {
            body[0] = getAs("it-viewer", "it-viewer-secret", metrics).body();
            return metric(body[0], "pgflow_runs_completed_total{flow=\"greet_user\"}") >= completed + 2
                    && metric(body[0], "pgflow_runs_started_total{flow=\"greet_user\"}") >= started + 2;
        }, "the two runs counted as started and completed");
        Thread.sleep(1500); // a later read counts nothing more
        body[0] = getAs("it-viewer", "it-viewer-secret", metrics).body();
        assertEquals(completed + 2, metric(body[0], "pgflow_runs_completed_total{flow=\"greet_user\"}"), body[0]);
        assertEquals(started + 2, metric(body[0], "pgflow_runs_started_total{flow=\"greet_user\"}"), body[0]);
        assertEquals(handled + 2, metric(body[0], greetings), body[0]);
        assertTrue(body[0].contains("# TYPE pgflow_task_duration_seconds histogram"), body[0]);
        assertTrue(body[0].contains("pgflow_task_duration_seconds_bucket{flow=\"greet_user\",outcome=\"completed\",step=\"greeting\",le=\"0.005\"}"),
                body[0]);
        assertTrue(metric(body[0], "pgflow_claim_duration_seconds_count{flow=\"greet_user\"}") > 0, body[0]);
        assertEquals(1.0, metric(body[0], "pgflow_workers_live{flow=\"greet_user\"}"), body[0]);
        assertEquals(0.0, metric(body[0], "pgflow_runs_active{flow=\"greet_user\"}"), body[0]);
        assertEquals(0.0, metric(body[0], "pgflow_tasks_queued{flow=\"greet_user\"}"), body[0]);
        assertEquals(0.0, metric(body[0], "pgflow_tasks_running{flow=\"greet_user\"}"), body[0]);
        assertEquals(0.0, metric(body[0], "pgflow_runs_failed_total{flow=\"greet_user\"}"), body[0]);
        assertEquals(1.0, metric(body[0], "pgflow_database_up"), body[0]);
        assertTrue(body[0].contains("\njvm_memory_used_bytes{"), "JVM metrics too");
    }

    /** The value of one series in Prometheus text. */
    private static double metric(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no series " + series + " in the metrics");
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

    @Test
    void aConsolePageThatFailsShowsTheErrorPageWithAnIdThatTheLogHasAndNoStackTrace() throws Exception {
        try (CapturedLog log = new CapturedLog("io.pgflowee.web.console.ConsoleExceptionHandlerFactory")) {
            HttpClient browser = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new java.net.CookieManager())
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            ConsoleSignIns.signIn(browser, base.toURI(), "it-viewer", "it-viewer-secret", null);
            HttpResponse<String> r = browser.send(HttpRequest.newBuilder(base.toURI().resolve("it-failing.xhtml?render")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, r.statusCode());
            assertTrue(r.uri().getPath().endsWith("/error.xhtml"), r.uri().toString());
            String errorId = r.uri().getQuery().substring("id=".length());
            assertTrue(r.body().contains("<title>pgflow · Something went wrong</title>"), r.body());
            assertTrue(r.body().contains("<strong id=\"error-id\" class=\"pg-id\">" + errorId + "</strong>"), r.body());
            assertTrue(!r.body().contains("hunter2") && !r.body().contains("IllegalStateException") && !r.body().contains("at io."),
                    "no message or stack trace on the page: " + r.body());
            awaitTrue(() -> !log.records.isEmpty(), "the error logged");
            assertEquals(java.util.logging.Level.SEVERE, log.records.get(0).getLevel());
            assertEquals("PGFLOW-084 console error " + errorId + " on /it-failing.xhtml", log.records.get(0).getMessage());
            assertTrue(String.valueOf(log.records.get(0).getThrown()).contains(ItFailingResource.SECRET_MESSAGE), "the log has the exception");
        }
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
    void everyEndpointAnswersEveryRoleAsItsRoleAllows() throws Exception {
        String done = query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Ro\", \"last_name\": \"Les\"}')").get(0);
        assertEquals("completed", awaitRunEnd(done));
        List<String> reads = List.of("api/runs", "api/runs/" + done, "api/runs/" + done + "/events", "api/flows", "api/flows/greet_user",
                "api/workers", "api/system", "metrics", "api/events?flow=greet_user");
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
    @RunAsClient
    void theConsoleInARealBrowserStartsFollowsRetriesCancelsBulkRetriesAndHidesActionsFromViewers() throws Exception {
        // the browser code lives in ConsoleJourneys: this class is also loaded inside the server, which has no Selenium
        ConsoleJourneys.operatorStartsFailsRetriesAndCancels(base);
        ConsoleJourneys.bulkRetryByFilter(base);
        ConsoleJourneys.viewerSeesNoActions(base);
        ConsoleJourneys.adminRunsABackfill(base);
        ConsoleJourneys.signInDashboardSignOut(base);
    }

    /** The records a logger publishes while this is open (closing removes the handler again). */
    private static final class CapturedLog extends java.util.logging.Handler implements AutoCloseable {
        final List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.logging.Logger logger;

        CapturedLog(String loggerName) {
            logger = java.util.logging.Logger.getLogger(loggerName);
            logger.addHandler(this);
        }

        @Override
        public void publish(java.util.logging.LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    private static void assertProblem(HttpResponse<String> r, int status, String title, String detail) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("content-type").orElse(""), r.body());
        JsonObject problem = Json.createReader(new StringReader(r.body())).readObject();
        assertEquals(title, problem.getString("title"), r.body());
        assertEquals(detail, problem.getString("detail"), r.body());
        assertEquals(status, problem.getInt("status"), r.body());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return post(path, body, null);
    }

    private HttpResponse<String> post(String path, String body, String idempotencyKey) throws Exception {
        return postAs("it-admin", path, body, idempotencyKey);
    }

    /** A POST signed in as {@code user} (password {@code <user>-secret}, see PGFLOW_USERS in the pom), or anonymous for null. */
    private HttpResponse<String> postAs(String user, String path, String body, String idempotencyKey) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.toURI().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            request.header("Authorization", basic(user, user + "-secret"));
        }
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String awaitRunEnd(String run) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            String status = query("select status from pgflow.runs where run_id = '" + run + "'").get(0);
            if (!"started".equals(status)) {
                return status;
            }
            Thread.sleep(100);
        }
        return "still started after 180 s: " + query("select step_slug || ' ' || status || ' attempts=' || attempts_count"
                + " || ' error=' || coalesce(error_message, '') from pgflow.step_tasks where run_id = '" + run + "'");
    }

    private void awaitTrue(java.util.concurrent.Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (condition.call()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not within 180 s: " + what);
    }

    private List<java.util.Map<String, String>> rows(String sql) throws Exception {
        try (java.sql.Connection c = dataSource.getConnection()) {
            return ItSql.rows(c, sql);
        }
    }

    private List<String> query(String sql) throws Exception {
        try (java.sql.Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery(sql)) {
            List<String> rows = new java.util.ArrayList<>();
            while (rs.next()) {
                StringBuilder row = new StringBuilder(String.valueOf(rs.getString(1)));
                for (int i = 2; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.append(' ').append(rs.getString(i));
                }
                rows.add(row.toString());
            }
            return rows;
        }
    }

    /** A GET signed in as it-admin. */
    private static HttpResponse<String> get(URI uri) throws Exception {
        return getAs("it-admin", "it-admin-secret", uri);
    }

    /** A GET with these credentials, or anonymous when {@code user} is null. */
    private static HttpResponse<String> getAs(String user, String password, URI uri) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        if (user != null) {
            request.header("Authorization", basic(user, password));
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
