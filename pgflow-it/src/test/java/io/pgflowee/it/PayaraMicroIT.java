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
        assertEquals(List.of("cart_invoice", "greet_user"), registry.flows().stream().map(Flow::slug).toList());
        assertEquals(List.of("cart_invoice: VERIFIED", "greet_user: VERIFIED"),
                registry.statuses().stream().map(s -> s.slug() + ": " + s.state()).toList());
        assertTrue(registry.isRunnable("greet_user"));
        assertEquals(List.of("full_name", "greeting"),
                registry.flow("greet_user").orElseThrow().steps().stream().map(Step::slug).toList());
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
