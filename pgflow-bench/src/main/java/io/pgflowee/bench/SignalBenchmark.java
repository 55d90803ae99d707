package io.pgflowee.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * Runs that wait for a signal (issue 30's targets). Prints the database calibration first.
 * <ol>
 * <li>{@code phase=idle} (SQL only): {@code waiting} (100,000) runs of a flow whose root signal
 * step has a one-day timeout wait at once; then {@code pgflow.tick()} with none due (the target:
 * under 5 ms), a worker's {@code claim_tasks} of that flow (nothing to claim: waiting runs cost a
 * poll nothing), and one tick applying 100 due deadlines among them. p50 / p95 / max of 200 calls.</li>
 * <li>{@code phase=latency} (a running server with the example flow {@code order_approval}, as
 * {@code ./pgflow}): {@code latencyRuns} (200) runs wait for their approval; each is approved over
 * REST one after the other; per signal the time from the signal ({@code step_states.signal_at}) to
 * the start of the dependent step's handler ({@code step_tasks.started_at} of {@code fulfil}), both
 * the database's clock: p50 / p95 (target p50 under 10 ms), and the REST round trip.</li>
 * <li>{@code phase=rest}: {@code restRuns} (20,000) runs wait; {@code clients} (16) clients send
 * their approvals over REST as fast as they are answered: signals per second (target 1,000
 * sustained), and when the last of the runs completed (the workers ran every dependent step).</li>
 * <li>{@code phase=batch}: the same through {@code POST /api/runs/signals}, {@code batchSize} (100)
 * signals per request from {@code batchClients} (4) clients.</li>
 * </ol>
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.SignalBenchmark \
 *   -Dexec.args="phase=idle,latency,rest http=http://localhost:8080 url=jdbc:postgresql://localhost:15432/postgres apiUser=admin apiPassword=..."
 * </pre>
 */
public final class SignalBenchmark {

    private SignalBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        String phases = opts.getOrDefault("phase", "idle");
        if (phases.contains("idle")) {
            idle(ds, Integer.parseInt(opts.getOrDefault("waiting", "100000")));
        }
        String http = opts.getOrDefault("http", "http://localhost:8080");
        String auth = "Basic " + Base64.getEncoder().encodeToString((opts.getOrDefault("apiUser", "admin") + ":"
                + BenchOptions.adminPassword(opts, "apiPassword")).getBytes(StandardCharsets.UTF_8));
        if (phases.contains("latency")) {
            latency(ds, http, auth, Integer.parseInt(opts.getOrDefault("latencyRuns", "200")));
        }
        if (phases.contains("rest")) {
            rest(ds, http, auth, Integer.parseInt(opts.getOrDefault("restRuns", "20000")), Integer.parseInt(opts.getOrDefault("clients", "16")), 1);
        }
        if (phases.contains("batch")) {
            rest(ds, http, auth, Integer.parseInt(opts.getOrDefault("restRuns", "20000")), Integer.parseInt(opts.getOrDefault("batchClients", "4")),
                    Integer.parseInt(opts.getOrDefault("batchSize", "100")));
        }
        System.exit(0);
    }

    // ---- idle: waiting runs cost nothing ------------------------------------------------------

    private static void idle(PGSimpleDataSource ds, int waiting) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("select pgflow.delete_flow_and_data('bench_wait') where exists (select 1 from pgflow.flows where flow_slug = 'bench_wait')");
            st.execute("select pgflow.create_flow('bench_wait')");
            st.execute("select pgflow.add_step('bench_wait', 'paid', step_type => 'signal', timeout => 86400)");
            st.execute("select pgflow.add_step('bench_wait', 'receipt', ARRAY['paid'])");
            long t0 = System.nanoTime();
            for (int done = 0; done < waiting; done += 10_000) {
                st.execute("select count(*) from pgflow.start_flows('bench_wait', (select array_agg('{}'::jsonb) from generate_series(1, "
                        + Math.min(10_000, waiting - done) + ")))");
            }
            System.out.printf("# idle: %,d runs of bench_wait started, all waiting, in %.1f s%n", waiting, (System.nanoTime() - t0) / 1e9);
            st.execute("ANALYZE pgflow.runs, pgflow.step_states, pgflow.step_tasks");
            UUID worker = UUID.randomUUID();
            st.execute("select pgflow.register_worker('" + worker + "', 'bench_wait', 'bench')");
            time(c, "tick(), none due, " + waiting + " waiting", "select pgflow.tick()", 200);
            time(c, "claim_tasks(bench_wait, 10), nothing to claim", "select count(*) from pgflow.claim_tasks('bench_wait', '" + worker + "', 10)", 200);
            st.execute("update pgflow.step_states set wait_deadline = now() - interval '1 s' where run_id in (select run_id from"
                    + " pgflow.runs where flow_slug = 'bench_wait' order by run_id limit 100) and step_slug = 'paid'");
            long t = System.nanoTime();
            String summary;
            try (ResultSet rs = st.executeQuery("select pgflow.tick()::text")) {
                rs.next();
                summary = rs.getString(1);
            }
            System.out.printf("# tick() applying 100 due deadlines among %,d waiting: %.1f ms (%s)%n", waiting, (System.nanoTime() - t) / 1e6, summary);
            time(c, "tick(), none due again", "select pgflow.tick()", 200);
            st.execute("select pgflow.mark_worker_stopped('" + worker + "')");
        }
    }

    private static void time(Connection c, String what, String sql, int calls) throws Exception {
        List<Long> nanos = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < calls + 20; i++) {
                long t = System.nanoTime();
                ps.executeQuery().close();
                if (i >= 20) { // 20 warm-up calls
                    nanos.add(System.nanoTime() - t);
                }
            }
        }
        Collections.sort(nanos);
        System.out.printf("# %-55s p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms  (%d calls, client round trip)%n", what,
                BenchOptions.percentileMillis(nanos, 50), BenchOptions.percentileMillis(nanos, 95), nanos.get(nanos.size() - 1) / 1e6, calls);
    }

    // ---- latency: signal -> the dependent handler ---------------------------------------------

    private static List<UUID> waitingApprovals(PGSimpleDataSource ds, String tag, int runs) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (int done = 0; done < runs; done += 5_000) {
                st.execute("select count(*) from pgflow.start_flows('order_approval', (select array_agg(jsonb_build_object('orderId', '" + tag
                        + "-' || g, 'total', 10)) from generate_series(" + (done + 1) + ", " + Math.min(runs, done + 5_000) + ") g))");
            }
            String waiting = "select count(*) from pgflow.step_states ss join pgflow.runs r using (run_id) where r.flow_slug = 'order_approval'"
                    + " and ss.step_slug = 'approval' and ss.status = 'started' and r.input->>'orderId' like '" + tag + "-%'";
            long t0 = System.nanoTime();
            while (one(st, waiting) < runs) {
                if (System.nanoTime() - t0 > 600_000_000_000L) {
                    throw new IllegalStateException("the runs' reviews did not complete in 10 min: is the server (with order_approval) running?");
                }
                Thread.sleep(200);
            }
            List<UUID> ids = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("select run_id from pgflow.runs where flow_slug = 'order_approval' and input->>'orderId' like '"
                    + tag + "-%' order by run_id")) {
                while (rs.next()) {
                    ids.add(rs.getObject(1, UUID.class));
                }
            }
            System.out.printf("# %,d order_approval runs waiting for their approval (reviews done by the server in %.1f s)%n", ids.size(),
                    (System.nanoTime() - t0) / 1e9);
            return ids;
        }
    }

    private static HttpResponse<String> signal(HttpClient client, String http, String auth, UUID run) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(http + "/api/runs/" + run + "/steps/approval/signal"))
                .header("Authorization", auth).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"approved\": true, \"by\": \"bench\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void latency(PGSimpleDataSource ds, String http, String auth, int runs) throws Exception {
        String tag = "lat-" + UUID.randomUUID().toString().substring(0, 8);
        List<UUID> ids = waitingApprovals(ds, tag, runs);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Long> roundTrips = new ArrayList<>();
        for (int i = 0; i < 20; i++) { // warm-up: the first requests pay for the JIT
            signal(client, http, auth, UUID.randomUUID());
        }
        for (UUID run : ids) {
            long t = System.nanoTime();
            HttpResponse<String> r = signal(client, http, auth, run);
            roundTrips.add(System.nanoTime() - t);
            if (r.statusCode() != 200 || !r.body().contains("delivered")) {
                throw new IllegalStateException("signal to " + run + ": " + r.statusCode() + " " + r.body());
            }
            Thread.sleep(20); // one at a time: the latency of a quiet server, not of a queue
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            String done = "select count(*) from pgflow.runs where flow_slug = 'order_approval' and status = 'completed' and input->>'orderId' like '"
                    + tag + "-%'";
            while (one(st, done) < runs) {
                Thread.sleep(100);
            }
            List<Long> micros = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("select (extract(epoch from t.started_at - ss.signal_at) * 1e6)::bigint from pgflow.runs r"
                    + " join pgflow.step_states ss on ss.run_id = r.run_id and ss.step_slug = 'approval'"
                    + " join pgflow.step_tasks t on t.run_id = r.run_id and t.step_slug = 'fulfil'"
                    + " where r.flow_slug = 'order_approval' and r.input->>'orderId' like '" + tag + "-%'")) {
                while (rs.next()) {
                    micros.add(rs.getLong(1) * 1000);
                }
            }
            Collections.sort(micros);
            Collections.sort(roundTrips);
            System.out.printf("# latency: signal -> fulfil's handler started (database clock), %d signals one at a time: p50 %.1f ms  p95 %.1f ms"
                    + "  max %.1f ms%n", micros.size(), BenchOptions.percentileMillis(micros, 50), BenchOptions.percentileMillis(micros, 95),
                    micros.get(micros.size() - 1) / 1e6);
            System.out.printf("# latency: REST round trip of POST /api/runs/{id}/steps/approval/signal: p50 %.1f ms  p95 %.1f ms%n",
                    BenchOptions.percentileMillis(roundTrips, 50), BenchOptions.percentileMillis(roundTrips, 95));
        }
    }

    // ---- rest: signals per second ---------------------------------------------------------------

    private static void rest(PGSimpleDataSource ds, String http, String auth, int runs, int clients, int batch) throws Exception {
        String tag = (batch > 1 ? "batch-" : "rest-") + UUID.randomUUID().toString().substring(0, 8);
        List<UUID> ids = waitingApprovals(ds, tag, runs);
        ConcurrentLinkedQueue<UUID> todo = new ConcurrentLinkedQueue<>(ids);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(clients, r -> {
                    Thread t = new Thread(r, "bench-http");
                    t.setDaemon(true);
                    return t;
                })).build();
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients, r -> {
            Thread t = new Thread(r, "bench-client");
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        List<Future<?>> senders = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            senders.add(pool.submit(() -> {
                while (true) {
                    List<UUID> mine = new ArrayList<>();
                    UUID run;
                    while (mine.size() < batch && (run = todo.poll()) != null) {
                        mine.add(run);
                    }
                    if (mine.isEmpty()) {
                        return null;
                    }
                    try {
                        if (batch == 1) {
                            HttpResponse<String> r = signal(client, http, auth, mine.get(0));
                            if (r.statusCode() != 200 || !r.body().contains("delivered")) {
                                errors.incrementAndGet();
                            }
                        } else {
                            StringBuilder body = new StringBuilder("[");
                            for (UUID id : mine) {
                                body.append(body.length() > 1 ? "," : "").append("{\"runId\":\"").append(id)
                                        .append("\",\"step\":\"approval\",\"payload\":{\"approved\":true,\"by\":\"bench\"}}");
                            }
                            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(http + "/api/runs/signals"))
                                    .header("Authorization", auth).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body.append(']').toString())).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                errors.addAndGet(mine.size());
                            } else {
                                errors.addAndGet(mine.size() - r.body().split("\"delivered\"", -1).length + 1);
                            }
                        }
                    } catch (Exception e) {
                        errors.addAndGet(mine.size());
                    }
                }
            }));
        }
        for (Future<?> f : senders) {
            f.get();
        }
        double sent = (System.nanoTime() - t0) / 1e9;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            String done = "select count(*) from pgflow.runs where flow_slug = 'order_approval' and status = 'completed' and input->>'orderId' like '"
                    + tag + "-%'";
            while (one(st, done) < runs) {
                Thread.sleep(100);
            }
        }
        double completed = (System.nanoTime() - t0) / 1e9;
        System.out.printf("# %s: %,d signals over REST from %d clients, %d per request, in %.1f s: %,.0f signals/s (%d not delivered);"
                + " every run completed %.1f s after the first signal (%,.0f runs/s)%n", batch > 1 ? "batch" : "rest", runs, clients, batch,
                sent, runs / sent, errors.get(), completed, runs / completed);
        pool.shutdownNow();
    }

    private static long one(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
