package io.pgflowee.it.support;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

import io.pgflowee.it.server.AccessIT;
import io.pgflowee.it.server.ClientIT;
import io.pgflowee.it.server.ConsoleIT;
import io.pgflowee.it.server.EventsAndMetricsIT;
import io.pgflowee.it.server.FoundationIT;
import io.pgflowee.it.server.JobsIT;
import io.pgflowee.it.server.RunsApiIT;
import io.pgflowee.it.server.WorkersIT;

/**
 * The one deployment every {@code io.pgflowee.it.server} class runs against ({@link SharedDeployment}):
 * the built WAR plus the test flows, the test classes (for their in-container tests) and a failing
 * resource and page. A new subject class goes into {@link #SUBJECTS}.
 */
public final class ItDeployment {

    /** Arquillian's in-container test runner: public in this test deployment only (see {@link #deployment()}). */
    public static final String ARQUILLIAN_RUNNER = "/ArquillianServletRunnerEE9";

    /** The test classes that share the server, so in the deployment. */
    public static final List<Class<?>> SUBJECTS = List.of(AccessIT.class, ClientIT.class, ConsoleIT.class, EventsAndMetricsIT.class, FoundationIT.class,
            JobsIT.class, RunsApiIT.class, WorkersIT.class);

    private ItDeployment() {
    }

    /**
     * Deny by default covers Arquillian's runner servlet too, so this deployment's web.xml makes that one
     * path public, and the server makes it public for the second wall ({@code pgflow.security.publicPaths},
     * arquillian.xml). The WAR users deploy has neither.
     */
    @Deployment
    public static WebArchive deployment() {
        File war = new File(System.getProperty("it.target", "target"), "pgflow.war");
        WebArchive archive = ShrinkWrap.create(ZipImporter.class, "pgflow.war").importFrom(war).as(WebArchive.class);
        String webXml;
        try (InputStream in = archive.get("WEB-INF/web.xml").getAsset().openStream()) {
            webXml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        archive.setWebXML(new StringAsset(webXml.replaceFirst("  <security-role>",
                "  <security-constraint><web-resource-collection><web-resource-name>arquillian</web-resource-name>"
                        + "<url-pattern>" + ARQUILLIAN_RUNNER + "</url-pattern></web-resource-collection></security-constraint>\n  <security-role>")));
        archive.addClasses(OnSharedServer.class, OnSharedServer.CapturedLog.class, ItFlows.class, ItSql.class, MicroProcess.class,
                ConsoleSignIns.class, ItWar.class, ItWar.Endpoint.class, ItFailingResource.class, ItFailingResource.Console.class, SseClient.class);
        SUBJECTS.forEach(archive::addClass);
        // the example application's EJB, deployed beside pgflow as a user's own module would be
        archive.addPackage(io.pgflowee.example.signup.SignupService.class.getPackage());
        // AssertJ for in-container assertions (ClientIT)
        archive.addAsLibrary(new File(org.assertj.core.api.Assertions.class.getProtectionDomain().getCodeSource().getLocation().getPath()));
        return archive.addAsWebResource(new StringAsset(ItFailingResource.PAGE), "it-failing.xhtml");
    }
}
