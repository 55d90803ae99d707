package io.pgflowee.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

import io.pgflowee.engine.db.SchemaMigrator;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import java.util.List;
import io.pgflowee.engine.system.SystemInfoService;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * The built WAR on a real Payara Micro against a real PostgreSQL. One class (one server boot)
 * covers the foundation: readiness, the API, and the engine's EJBs inside the container.
 * In-container tests use JUnit's own assertions (the deployment carries no AssertJ).
 */
@ExtendWith(ArquillianExtension.class)
class PayaraMicroIT {

    @Deployment
    static WebArchive deployment() {
        File war = new File(System.getProperty("it.target", "target"), "pgflow.war");
        return ShrinkWrap.create(ZipImporter.class, "pgflow.war").importFrom(war).as(WebArchive.class)
                .addClass(PayaraMicroIT.class);
    }

    @ArquillianResource
    URL base;

    @Inject
    SystemInfoService systemInfo;

    @Inject
    SchemaMigrator migrator;

    @Inject
    FlowRegistry registry;

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
        assertTrue(live.body().contains("\"pgflow-engine\""), live.body());
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
    void flowBeansFromTheExamplesJarAreRegisteredAndVerifiedAgainstTheDatabase() {
        assertEquals(List.of("cart_invoice", "greet_many", "greet_user"), registry.flows().stream().map(Flow::slug).toList());
        assertEquals(List.of("cart_invoice: VERIFIED", "greet_many: VERIFIED", "greet_user: VERIFIED"),
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
    @RunAsClient
    void restStartsARunAnswersWithItsLocationAndServesItUntilCompleted() throws Exception {
        HttpResponse<String> created = post("api/flows/greet_user/runs", "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}");
        assertEquals(201, created.statusCode(), created.body());
        JsonObject body = Json.createReader(new StringReader(created.body())).readObject();
        String runId = body.getJsonObject("run").getString("run_id");
        assertEquals("greet_user", body.getJsonObject("run").getString("flow_slug"));
        assertEquals(List.of("full_name", "greeting"), body.getJsonArray("steps").getValuesAs(JsonObject.class).stream()
                .map(s -> s.getString("step_slug")).toList());
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
    @RunAsClient
    void restListsFlowsWithTheirStepsAndWhetherThisServerRunsThem() throws Exception {
        HttpResponse<String> r = get(base.toURI().resolve("api/flows"));
        assertEquals(200, r.statusCode(), r.body());
        JsonObject greet = Json.createReader(new StringReader(r.body())).readArray().getValuesAs(JsonObject.class).stream()
                .filter(f -> f.getString("slug").equals("greet_user")).findFirst().orElseThrow();
        assertEquals("verified", greet.getString("status"));
        assertEquals(3, greet.getInt("maxAttempts"));
        assertEquals(60, greet.getInt("timeout"));
        assertEquals(List.of("full_name []", "greeting [\"full_name\"]"), greet.getJsonArray("steps").getValuesAs(JsonObject.class)
                .stream().map(s -> s.getString("slug") + " " + s.getJsonArray("dependencies")).toList());
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
        assertProblem(get(base.toURI().resolve("api/runs/" + id)), 404, "Unknown run", "Run not found: " + id);
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

    private static void assertProblem(HttpResponse<String> r, int status, String title, String detail) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("content-type").orElse(""), r.body());
        JsonObject problem = Json.createReader(new StringReader(r.body())).readObject();
        assertEquals(title, problem.getString("title"), r.body());
        assertEquals(detail, problem.getString("detail"), r.body());
        assertEquals(status, problem.getInt("status"), r.body());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(base.toURI().resolve(path)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
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

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
