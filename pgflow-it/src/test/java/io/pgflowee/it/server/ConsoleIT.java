package io.pgflowee.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.jboss.arquillian.container.test.api.RunAsClient;
import org.junit.jupiter.api.Test;

import io.pgflowee.it.support.ConsoleJourneys;
import io.pgflowee.it.support.ConsoleSignIns;
import io.pgflowee.it.support.ItFailingResource;
import io.pgflowee.it.support.OnSharedServer;

/**
 * The Faces console: its error page, and the operators' and viewers' journeys in a real headless
 * Chromium.
 */
public class ConsoleIT extends OnSharedServer {

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
    @RunAsClient
    void theConsoleInARealBrowserStartsFollowsRetriesCancelsBulkRetriesApprovesAndHidesActionsFromViewers() throws Exception {
        // the browser code lives in ConsoleJourneys: this class is also loaded inside the server, which has no Selenium
        ConsoleJourneys.operatorStartsFailsRetriesAndCancels(base);
        ConsoleJourneys.bulkRetryByFilter(base);
        ConsoleJourneys.operatorApprovesAWaitingRun(base);
        ConsoleJourneys.operatorFollowsAFamily(base);
        ConsoleJourneys.adminLimitsAKeyAndAnOperatorExpeditesARun(base);
        ConsoleJourneys.viewerSeesNoActions(base);
        ConsoleJourneys.consoleFitsAPhone(base);
        ConsoleJourneys.timesInTheViewersZoneOrUtc(base);
        ConsoleJourneys.aWideMapRunPageStaysSmall(base);
        ConsoleJourneys.adminRunsABackfill(base);
        ConsoleJourneys.adminSchedulesARunAndAViewerOnlyReads(base);
        ConsoleJourneys.signInDashboardSignOut(base);
    }
}
