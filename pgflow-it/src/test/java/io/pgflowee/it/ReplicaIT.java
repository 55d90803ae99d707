package io.pgflowee.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.pgflowee.it.support.ConsoleSignIns;
import io.pgflowee.it.support.MicroProcess;
import io.pgflowee.testing.StreamingReplica;

/**
 * Reads on a streaming replica, with a real one: a PostgreSQL 17 primary and a replica streaming
 * from it ({@link StreamingReplica}: a slot, a base backup with the backup API, standby.signal,
 * primary_conninfo), and a server given both ({@code pgflow.db.url}, {@code pgflow.db.readUrl}). The
 * read model's sessions are on the replica ({@code pg_stat_activity}, {@code pg_is_in_recovery()}),
 * a person sees their own action's effect at once while another, reading the paused replica, does
 * not yet; a stopped replica sends reads to the primary (readiness, metrics and the console say so,
 * the API answers as before) until it is back. And the other half of growing past one database: the
 * owner partitions the run tables by time under the running server with runs in flight, and the
 * partitions show in the API, readiness, metrics and the jobs page.
 */
class ReplicaIT {

    private static final String OPERATOR = "it-operator:it-operator-secret";
    private static final String VIEWER = "it-viewer:it-viewer-secret";
    private static StreamingReplica pair;
    private static MicroProcess server;

    @BeforeAll
    static void start() throws Exception {
        pair = StreamingReplica.start(MicroProcess.TARGET.resolve("replica-it"));
        server = MicroProcess.start("replica", false, "-Dpgflow.db.url=" + pair.primaryUrl("postgres"),
                "-Dpgflow.db.read.url=" + pair.replicaUrl("postgres"), "-Dpgflow.db.readMaxLagMillis=10000",
                "-Dpgflow.metrics.refreshSeconds=1").awaitReady();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    private static HttpResponse<String> send(String method, String path, String credentials, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (credentials != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String ready() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.uri("").toString().replaceFirst("/pgflow/$", "/health/ready")))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String awaitReady(Predicate<String> what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = ready();
        while (!what.test(last) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            last = ready();
        }
        return last;
    }

    private static String one(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static String runId(HttpResponse<String> started) {
        return io.pgflowee.api.json.JsonCodec.parse(started.body()).asJsonObject().getJsonObject("run").getString("runId");
    }

    @Test
    void readsAreOnTheReplicaAPersonSeesTheirActionAndAStoppedReplicaSendsReadsToThePrimary() throws Exception {
        assertThat(awaitReady(r -> r.contains("\"reads\":\"replica\""))).contains("\"reads\":\"replica\"").contains("\"replicaLagMillis\":");

        // an action, and the same person's next read: its effect at once
        HttpResponse<String> started = send("POST", "api/flows/greet_user/runs", OPERATOR, "{\"first_name\": \"Rep\", \"last_name\": \"Lica\"}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
        String run = runId(started);
        HttpResponse<String> read = send("GET", "api/runs/" + run, OPERATOR, null);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("\"runId\":\"" + run + "\"");

        // the read model's sessions are on the replica, which is one; the primary has none of them
        HttpResponse<String> list = send("GET", "api/runs?flow=greet_user", VIEWER, null);
        assertThat(list.statusCode()).isEqualTo(200);
        try (Connection replica = pair.replicaConnection("postgres"); Connection primary = pair.primaryConnection("postgres")) {
            assertThat(one(replica, "SELECT pg_is_in_recovery()")).isEqualTo("t");
            assertThat(Long.parseLong(one(replica, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgflow-reads'"))).isPositive();
            assertThat(one(replica, "SELECT string_agg(query, ' | ') FROM pg_stat_activity WHERE application_name = 'pgflow-reads'"))
                    .contains("pgflow.");
            assertThat(one(primary, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgflow-reads'")).isEqualTo("0");

            // the replica paused: the operator's new run is theirs to see at once (the primary, after a short wait); the
            // viewer reads the replica, which has not got it yet
            try (Statement st = replica.createStatement()) {
                st.execute("SELECT pg_wal_replay_pause()");
            }
            try {
                String second = runId(send("POST", "api/flows/greet_user/runs", OPERATOR, "{\"first_name\": \"Paused\", \"last_name\": \"Replay\"}"));
                assertThat(send("GET", "api/runs/" + second, OPERATOR, null).statusCode()).isEqualTo(200);
                assertThat(send("GET", "api/runs/" + second, VIEWER, null).statusCode()).as("not on the paused replica yet").isEqualTo(404);
                // more than a second behind (within the bound of 10 s): reads stay on the replica, and the console says how far behind
                String behind = awaitReady(r -> r.matches("(?s).*\"replicaLagMillis\":\"?[1-9]\\d{3}\"?[,}].*"));
                assertThat(behind).contains("\"reads\":\"replica\"").containsPattern("\"replicaLagMillis\":\"?\\d{4}\"?[,}]");
                HttpClient viewer = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new java.net.CookieManager())
                        .followRedirects(HttpClient.Redirect.NORMAL).build();
                HttpResponse<String> lagging = ConsoleSignIns.signIn(viewer, server.uri(""), "it-viewer", "it-viewer-secret", null);
                assertThat(lagging.body()).contains("id=\"read-state\"")
                        .containsPattern("Pages read a replica \\d+\\.\\d s behind the primary: the last changes may be missing\\.");
            } finally {
                // a session of its own: replay conflicts may have cancelled the one above
                try (Connection c = pair.replicaConnection("postgres"); Statement st = c.createStatement()) {
                    st.execute("SELECT pg_wal_replay_resume()");
                }
            }
        }

        // the replica stopped: reads on the primary, said by readiness, metrics and the console; the API answers as before
        pair.stopReplica();
        String down = awaitReady(r -> r.contains("\"reads\":\"primary: the replica cannot be read"));
        assertThat(down).contains("\"status\":\"UP\"").contains("\"reads\":\"primary: the replica cannot be read");
        HttpResponse<String> onPrimary = send("GET", "api/runs/" + run, VIEWER, null);
        assertThat(onPrimary.statusCode()).isEqualTo(200);
        assertThat(onPrimary.body()).contains("\"runId\":\"" + run + "\"");
        assertThat(send("GET", "metrics", VIEWER, null).body()).contains("pgflow_reads_on_replica 0.0");
        HttpClient browser = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new java.net.CookieManager())
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<String> dashboard = ConsoleSignIns.signIn(browser, server.uri(""), "it-viewer", "it-viewer-secret", null);
        assertThat(dashboard.statusCode()).isEqualTo(200);
        assertThat(dashboard.body()).contains("id=\"read-state\"").contains("Pages read the primary: the replica cannot be read");

        // back: reads on the replica again, and the note is gone
        pair.startReplica();
        // (and caught up to within a second: a replica that comes back replays what it missed first)
        assertThat(awaitReady(r -> r.contains("\"reads\":\"replica\"") && r.matches("(?s).*\"replicaLagMillis\":\"?\\d{1,3}\"?[,}].*")))
                .contains("\"reads\":\"replica\"");
        assertThat(send("GET", "metrics", VIEWER, null).body()).contains("pgflow_reads_on_replica 1.0");
        HttpResponse<String> again = browser.send(HttpRequest.newBuilder(server.uri("")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(again.body()).contains("<title>pgflow · Dashboard</title>").doesNotContain("id=\"read-state\"");
    }

    @Test
    void theOwnerPartitionsTheRunTablesUnderARunningServerAndThePartitionsShowInTheApiReadinessMetricsAndConsole() throws Exception {
        String admin = "it-admin:it-admin-secret";
        assertThat(send("GET", "api/system/partitions", null, null).statusCode()).as("anonymous").isEqualTo(401);
        HttpResponse<String> plain = send("GET", "api/system/partitions", VIEWER, null);
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("{\"partitioned\":false,\"aheadUntil\":null,\"ranges\":0,\"partitions\":[]}");
        assertThat(ready()).contains("\"runPartitions\":\"plain\"");

        // runs in flight while the owner converts the tables (one transaction, no copy); more started after it; all complete
        try (Connection primary = pair.primaryConnection("postgres")) {
            one(primary, "SELECT count(*) FROM pgflow.start_flows('greet_user', (SELECT array_agg(jsonb_build_object('first_name', 'Before',"
                    + " 'last_name', g::text)) FROM generate_series(1, 30) g))");
            String made = one(primary, "SELECT pgflow.partition_run_tables()::text");
            assertThat(made).contains("\"partitions\"");
            String after = runId(send("POST", "api/flows/greet_user/runs", OPERATOR, "{\"first_name\": \"After\", \"last_name\": \"Partitioning\"}"));
            assertThat(one(primary, "SELECT tableoid::regclass::text FROM pgflow.runs WHERE run_id = '" + after + "'"))
                    .as("a run started now lands in this week's range").matches("pgflow_partitions\\.runs_\\d{8}_\\d{4}");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"0".equals(one(primary, "SELECT count(*) FROM pgflow.runs WHERE status <> 'completed'")) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(one(primary, "SELECT count(*) FROM pgflow.runs WHERE status <> 'completed'")).isEqualTo("0");
        }

        HttpResponse<String> listed = send("GET", "api/system/partitions", VIEWER, null);
        assertThat(listed.statusCode()).isEqualTo(200);
        jakarta.json.JsonObject body = io.pgflowee.api.json.JsonCodec.parse(listed.body()).asJsonObject();
        assertThat(body.getBoolean("partitioned")).isTrue();
        assertThat(body.getJsonNumber("ranges").longValue()).isGreaterThanOrEqualTo(2);
        String aheadUntil = body.getString("aheadUntil");
        assertThat(java.time.OffsetDateTime.parse(aheadUntil)).isAfter(java.time.OffsetDateTime.now().plusDays(7));
        assertThat(body.getJsonArray("partitions").getValuesAs(jakarta.json.JsonObject.class)).extracting(p -> p.getString("name"))
                .startsWith("legacy").endsWith("ids", "other").hasSize((int) body.getJsonNumber("ranges").longValue() + 3);

        assertThat(ready()).contains("\"runPartitions\":\"ahead until ");
        String metrics = "";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && !(metrics = send("GET", "metrics", VIEWER, null).body())
                .matches("(?s).*\npgflow_run_partitions_ahead_seconds [0-9.E]+\n.*")) {
            Thread.sleep(500); // the gauges read the replica, once it replayed the conversion
        }
        assertThat(metrics).containsPattern("\npgflow_run_partitions_ahead_seconds [0-9.E]+\n")
                .containsPattern("\npgflow_run_partitions " + body.getJsonNumber("ranges").longValue() + "\\.0\n");

        // the prune card of the jobs page (admin) says so and lists them
        HttpClient browser = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new java.net.CookieManager())
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        assertThat(ConsoleSignIns.signIn(browser, server.uri(""), "it-admin", "it-admin-secret", null).statusCode()).isEqualTo(200);
        HttpResponse<String> jobs = browser.send(HttpRequest.newBuilder(server.uri("jobs.xhtml")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(jobs.statusCode()).isEqualTo(200);
        assertThat(jobs.body()).contains("<title>pgflow · Batch jobs</title>")
                .containsPattern("Run tables: partitioned by time, " + body.getJsonNumber("ranges").longValue()
                        + " ranges, made ahead until \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC\\. Pruning drops a range once every run in it"
                        + " finished before the retention\\.")
                .contains("id=\"prune:partitions\"").contains(">legacy<").contains(">other<");
        assertThat(send("GET", "api/system/partitions", admin, null).statusCode()).isEqualTo(200);
    }
}
