package io.pgflowee.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A burst over REST: {@code count} (1,000) {@code POST /api/flows/greet_user/runs} sent within
 * {@code seconds} (1), evenly spaced, none waiting for another, against a running server (for
 * example {@code ./pgflow}). Meanwhile a {@code cart_invoice} run is started from SQL every 200 ms
 * and timed to completion, to show whether the server keeps serving other flows. Reports the
 * answers by status (with the first body of each non-201 status), their latency, how long until
 * every accepted run completed, the other flow's latency before, during and after, and the
 * server's heap after its last GC before and after. {@code prefer=minimal} sends
 * {@code Prefer: return=minimal} (the answer without the run's steps); {@code batch=100} sends the
 * runs in requests of 100 inputs to {@code POST /api/flows/greet_user/runs/batch}.
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.BurstBenchmark \
 *   -Dexec.args="http=http://localhost:8080 url=jdbc:postgresql://localhost:15432/postgres count=1000 seconds=1"
 * </pre>
 */
public final class BurstBenchmark {

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        String http = opts.getOrDefault("http", "http://localhost:8080");
        String url = opts.getOrDefault("url", "jdbc:postgresql://localhost:15432/postgres");
        String dbUser = opts.getOrDefault("user", "postgres");
        String dbPassword = opts.getOrDefault("password", "postgres");
        String apiUser = opts.getOrDefault("apiUser", "admin");
        String apiPassword = BenchOptions.adminPassword(opts, "apiPassword");
        int count = Integer.parseInt(opts.getOrDefault("count", "1000"));
        int batch = Integer.parseInt(opts.getOrDefault("batch", "1"));
        boolean minimal = "minimal".equals(opts.get("prefer"));
        double seconds = Double.parseDouble(opts.getOrDefault("seconds", "1"));
        String auth = "Basic " + Base64.getEncoder().encodeToString((apiUser + ":" + apiPassword).getBytes(StandardCharsets.UTF_8));
        org.postgresql.ds.PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        System.out.printf("# burst: %d runs in %s within %.1f s%s, server %s, %d cores here (client and server share them)%n",
                count, batch == 1 ? count + " POST /api/flows/greet_user/runs" : (count + batch - 1) / batch
                        + " POST /api/flows/greet_user/runs/batch of " + batch, seconds, minimal ? ", Prefer: return=minimal" : "",
                http, Runtime.getRuntime().availableProcessors());
        System.out.println("# heap before: " + ServerHealth.heapAfterGcMiB(http) + " MiB after the last GC");

        // the other flow, timed all along
        List<double[]> other = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        Thread otherFlow = new Thread(() -> timeOtherFlow(url, dbUser, dbPassword, other, stop), "other-flow");
        otherFlow.start();
        Thread.sleep(3000);

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(16)).build();
        List<CompletableFuture<long[]>> answers = new ArrayList<>();
        Map<Integer, String> firstBody = Collections.synchronizedMap(new TreeMap<>());
        long burstStart = System.currentTimeMillis();
        long t0 = System.nanoTime();
        int requests = (count + batch - 1) / batch;
        for (int i = 0; i < requests; i++) {
            long due = t0 + (long) (i * seconds * 1e9 / requests);
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
            long sent = System.nanoTime();
            HttpRequest.Builder builder;
            if (batch == 1) {
                builder = HttpRequest.newBuilder(URI.create(http + "/api/flows/greet_user/runs"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"first_name\": \"Burst\", \"last_name\": \"" + i + "\"}"));
            } else {
                StringBuilder inputs = new StringBuilder("[");
                for (int j = i * batch; j < Math.min(count, (i + 1) * batch); j++) {
                    inputs.append(j == i * batch ? "" : ",").append("{\"first_name\": \"Burst\", \"last_name\": \"").append(j).append("\"}");
                }
                builder = HttpRequest.newBuilder(URI.create(http + "/api/flows/greet_user/runs/batch"))
                        .POST(HttpRequest.BodyPublishers.ofString(inputs.append(']').toString()));
            }
            if (minimal) {
                builder.header("Prefer", "return=minimal");
            }
            HttpRequest request = builder.header("Authorization", auth).header("Content-Type", "application/json").build();
            answers.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
                int status = e != null ? -1 : r.statusCode();
                if (status != 201) {
                    firstBody.putIfAbsent(status, e != null ? e.toString() : r.body());
                }
                return new long[] {status, (System.nanoTime() - sent) / 1_000_000};
            }));
        }
        double sending = (System.nanoTime() - t0) / 1e9;
        CompletableFuture.allOf(answers.toArray(new CompletableFuture[0])).join();
        double answered = (System.nanoTime() - t0) / 1e9;
        Map<Long, Integer> byStatus = new TreeMap<>();
        List<Double> latency = new ArrayList<>();
        for (CompletableFuture<long[]> a : answers) {
            long[] r = a.join();
            byStatus.merge(r[0], 1, Integer::sum);
            latency.add((double) r[1]);
        }
        Collections.sort(latency);
        System.out.printf(Locale.ROOT, "sent %d requests in %.2f s; all answered after %.2f s; by status %s; latency p50 %.0f ms, p95 %.0f ms, max %.0f ms%n",
                requests, sending, answered, byStatus, ServerHealth.percentile(latency, 50), ServerHealth.percentile(latency, 95), latency.get(latency.size() - 1));
        firstBody.forEach((status, body) -> System.out.println("  first " + status + " answer: " + body));

        // until every run the burst started has completed
        try (Connection c = DriverManager.getConnection(url, dbUser, dbPassword); Statement st = c.createStatement()) {
            long deadline = System.nanoTime() + 300_000_000_000L;
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("select count(*) filter (where status = 'started'), count(*) filter (where status = 'completed'),"
                        + " count(*) filter (where status = 'failed'), extract(epoch from max(completed_at) - to_timestamp(" + burstStart / 1000.0 + "))"
                        + " from pgflow.runs where flow_slug = 'greet_user' and input->>'first_name' = 'Burst'"
                        + " and started_at >= to_timestamp(" + burstStart / 1000.0 + ") - interval '1 second'")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        System.out.printf(Locale.ROOT, "the burst's runs: %d completed, %d failed; the last completed %.2f s after the burst began%n",
                                rs.getLong(2), rs.getLong(3), rs.getDouble(4));
                        break;
                    }
                }
                Thread.sleep(100);
            }
        }
        Thread.sleep(3000);
        stop.set(true);
        otherFlow.join();
        long burstEnd = burstStart + (long) (answered * 1000);
        report("before the burst", other, 0, burstStart);
        report("during the burst (until every request was answered)", other, burstStart, burstEnd);
        report("after", other, burstEnd, Long.MAX_VALUE);
        System.out.println("# heap after: " + ServerHealth.heapAfterGcMiB(http) + " MiB after the last GC");
        // halt, not exit: under exec:java, System.exit waited for Maven's shutdown hooks and the
        // JVM stayed up (seen: four benchmark JVMs still alive half an hour later)
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    /** One cart_invoice run from SQL every 200 ms; each one's start (epoch ms) and start-to-completed latency (ms). */
    private static void timeOtherFlow(String url, String user, String password, List<double[]> out, AtomicBoolean stop) {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            while (!stop.get()) {
                long at = System.currentTimeMillis();
                String run;
                try (ResultSet rs = st.executeQuery("select run_id from pgflow.start_flow('cart_invoice',"
                        + " '{\"lines\": [{\"sku\": \"A-1\", \"price\": 12.50, \"quantity\": 2}], \"express\": true}')")) {
                    rs.next();
                    run = rs.getString(1);
                }
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (System.nanoTime() < deadline) {
                    try (ResultSet rs = st.executeQuery("select status from pgflow.runs where run_id = '" + run + "'")) {
                        rs.next();
                        if (!rs.getString(1).equals("started")) {
                            break;
                        }
                    }
                    Thread.sleep(5);
                }
                out.add(new double[] {at, System.currentTimeMillis() - at});
                Thread.sleep(Math.max(0, 200 - (System.currentTimeMillis() - at)));
            }
        } catch (Exception e) {
            System.err.println("the other flow's probe stopped: " + e);
        }
    }

    private static void report(String when, List<double[]> samples, long from, long to) {
        List<Double> ms = new ArrayList<>();
        synchronized (samples) {
            for (double[] s : samples) {
                if (s[0] >= from && s[0] < to) {
                    ms.add(s[1]);
                }
            }
        }
        Collections.sort(ms);
        System.out.printf(Locale.ROOT, "cart_invoice %s: %d runs, start to completed p50 %.0f ms, max %.0f ms%n", when, ms.size(),
                ServerHealth.percentile(ms, 50), ms.isEmpty() ? Double.NaN : ms.get(ms.size() - 1));
    }
}
