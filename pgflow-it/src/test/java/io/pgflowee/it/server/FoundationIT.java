package io.pgflowee.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;

import org.jboss.arquillian.container.test.api.RunAsClient;
import org.junit.jupiter.api.Test;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.db.SchemaMigrator;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.query.DashboardQueries;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.engine.query.WorkerQueries;
import io.pgflowee.engine.system.SystemInfoService;
import io.pgflowee.engine.worker.WorkerManager;
import io.pgflowee.it.support.OnSharedServer;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * The server comes up whole: health checks, the system endpoint, the engine's beans, the flows
 * registered and verified, the seed's hello world from SQL, and the read model inside the container.
 */
public class FoundationIT extends OnSharedServer {

    @Inject
    SystemInfoService systemInfo;

    @Inject
    SchemaMigrator migrator;

    @Inject
    FlowRegistry registry;

    @Inject
    WorkerManager workers;

    @Inject
    EngineOperations engine;

    @Inject
    RunQueries runQueries;

    @Inject
    FlowQueries flowQueries;

    @Inject
    WorkerQueries workerQueries;

    @Inject
    DashboardQueries dashboardQueries;

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
        assertEquals(List.of("cart_invoice", "daily_report", "greet_many", "greet_user", "it_backfill", "it_cancel", "it_changed", "it_chaos", "it_client_doomed", "it_console", "it_doomed", "it_events", "it_flaky", "it_graceful", "it_hundred", "it_keyed", "it_lifecycle",
                "it_prune", "it_slow", "it_stuck", "order_approval", "order_fulfilment", "payment", "shipping"), registry.flows().stream().map(Flow::slug).toList());
        // the examples' changelogs created theirs; the test flows have none and were compiled at startup (autoCompile)
        assertEquals(List.of("cart_invoice: VERIFIED", "daily_report: VERIFIED", "greet_many: VERIFIED", "greet_user: VERIFIED", "it_backfill: COMPILED",
                        "it_cancel: COMPILED", "it_changed: COMPILED", "it_chaos: COMPILED", "it_client_doomed: COMPILED", "it_console: COMPILED", "it_doomed: COMPILED", "it_events: COMPILED",
                        "it_flaky: COMPILED", "it_graceful: COMPILED", "it_hundred: COMPILED", "it_keyed: COMPILED", "it_lifecycle: COMPILED", "it_prune: COMPILED", "it_slow: COMPILED", "it_stuck: COMPILED", "order_approval: VERIFIED",
                        "order_fulfilment: VERIFIED", "payment: VERIFIED", "shipping: VERIFIED"),
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
}
