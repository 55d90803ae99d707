package io.pgflowee.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.it.support.ItFlows;
import io.pgflowee.it.support.OnSharedServer;
import io.pgflowee.it.support.SseClient;

import jakarta.inject.Inject;

/**
 * Live run events over server-sent events (ordering, two clients, reconnects, flow streams) and the
 * Prometheus metrics.
 */
public class EventsAndMetricsIT extends OnSharedServer {

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
}
