package io.pgflowee.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * The REST API under load, against a running server (for example {@code ./pgflow}):
 * <ol>
 * <li>{@code GET /api/runs/{id}} (random runs of the seeded ones) and the first page of
 * {@code GET /api/runs} from {@code clients} concurrent clients (50) for {@code seconds} each:
 * requests per second, p50, p95, errors;</li>
 * <li>{@code streams} (200) open SSE streams on {@code /api/events?flow=greet_user} while runs are
 * started from SQL at {@code rate} per second: the delay from each transition's time (as the
 * database recorded it, {@code now()} of its transaction) to its arrival on each stream, p50 / p95
 * over every delivery.</li>
 * </ol>
 * Prints the database calibration first (single-row commits per second, 4 clients).
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.ApiLoadBenchmark \
 *   -Dexec.args="http=http://localhost:8080 url=jdbc:postgresql://localhost:15432/postgres apiPassword=$(cat ~/.pgflow/admin-password)"
 * </pre>
 */
public final class ApiLoadBenchmark {

    private static final Pattern AT = Pattern.compile("\"at\":\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        String http = opts.getOrDefault("http", "http://localhost:8080");
        String url = opts.getOrDefault("url", "jdbc:postgresql://localhost:15432/postgres");
        String dbUser = opts.getOrDefault("user", "postgres");
        String dbPassword = opts.getOrDefault("password", "postgres");
        String apiUser = opts.getOrDefault("apiUser", "admin");
        String apiPassword = BenchOptions.adminPassword(opts, "apiPassword");
        int clients = Integer.parseInt(opts.getOrDefault("clients", "50"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
        int seed = Integer.parseInt(opts.getOrDefault("seed", "2000"));
        int streams = Integer.parseInt(opts.getOrDefault("streams", "200"));
        double rate = Double.parseDouble(opts.getOrDefault("rate", "20")); // or rates=5,20
        String auth = "Basic " + Base64.getEncoder().encodeToString((apiUser + ":" + apiPassword).getBytes(StandardCharsets.UTF_8));

        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser(dbUser);
        ds.setPassword(dbPassword);
        Calibration.print(ds, 4, 5);
        System.out.printf("# API load: server %s, %d clients, %d s per endpoint, %d cores here (client and server share them)%n",
                http, clients, seconds, Runtime.getRuntime().availableProcessors());

        List<UUID> runs = seed(url, dbUser, dbPassword, seed);
        System.out.printf("# %d completed greet_user runs in the database; %d in total%n", runs.size(), total(url, dbUser, dbPassword));

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(java.util.concurrent.Executors.newFixedThreadPool(8, r -> {
                    // daemon: exec:java waits for non-daemon threads after main returns (System.exit does not always end it there)
                    Thread t = new Thread(r, "bench-http");
                    t.setDaemon(true);
                    return t;
                })).build();
        String phases = opts.getOrDefault("phases", "rest,sse");
        if (phases.contains("rest")) {
        load("GET /api/runs/{id}", client, clients, seconds,
                () -> URI.create(http + "/api/runs/" + runs.get(ThreadLocalRandom.current().nextInt(runs.size()))), auth);
        load("GET /api/runs (first page, 50)", client, clients, seconds, () -> URI.create(http + "/api/runs?limit=50"), auth);
        load("GET /api/runs?flow=greet_user&status=completed (first page, 50)", client, clients, seconds,
                () -> URI.create(http + "/api/runs?flow=greet_user&status=completed&limit=50"), auth);
        }
        if (phases.contains("sse")) {
            for (String r : opts.getOrDefault("rates", Double.toString(rate)).split(",")) {
                sse(http, url, dbUser, dbPassword, auth, streams, Double.parseDouble(r), seconds);
            }
        }
        System.exit(0);
    }

    /** Starts greet_user runs from SQL until {@code count} are completed; their ids. */
    private static List<UUID> seed(String url, String user, String password, int count) throws Exception {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            long have = one(c, "select count(*) from pgflow.runs where flow_slug = 'greet_user' and status = 'completed'");
            if (have < count) {
                try (PreparedStatement ps = c.prepareStatement("select pgflow.start_flow('greet_user', jsonb_build_object("
                        + "'first_name', 'Load' || g, 'last_name', 'Test')) from generate_series(1, ?) g")) {
                    ps.setLong(1, count - have);
                    ps.execute();
                }
                long deadline = System.nanoTime() + 600_000_000_000L;
                while (one(c, "select count(*) from pgflow.runs where flow_slug = 'greet_user' and status = 'started'") > 0
                        && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
            }
            List<UUID> ids = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "select run_id from pgflow.runs where flow_slug = 'greet_user' and status = 'completed' limit " + count)) {
                while (rs.next()) {
                    ids.add(rs.getObject(1, UUID.class));
                }
            }
            return ids;
        }
    }

    private static long total(String url, String user, String password) throws Exception {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            return one(c, "select count(*) from pgflow.runs");
        }
    }

    private static long one(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** {@code clients} threads sending GETs back to back for {@code seconds} (after a 3 s warm-up). */
    private static void load(String name, HttpClient client, int clients, int seconds, java.util.function.Supplier<URI> uri, String auth)
            throws Exception {
        for (int warm = 0; warm < 2; warm++) {
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger errors = new AtomicInteger();
            AtomicLong until = new AtomicLong(System.nanoTime() + (warm == 0 ? 3L : seconds) * 1_000_000_000L);
            List<Thread> threads = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < clients; i++) {
                Thread t = new Thread(() -> {
                    while (System.nanoTime() < until.get()) {
                        long s = System.nanoTime();
                        try {
                            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri.get()).header("Authorization", auth).GET().build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
                            if (r.statusCode() != 200) {
                                errors.incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                        latencies.add(System.nanoTime() - s);
                    }
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join();
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            if (warm == 1) {
                List<Long> sorted = new ArrayList<>(latencies);
                Collections.sort(sorted);
                System.out.printf("%-62s %7.0f req/s   p50 %6.1f ms   p95 %6.1f ms   p99 %6.1f ms   errors %d of %d%n", name,
                        sorted.size() / elapsed, pct(sorted, 50), pct(sorted, 95), pct(sorted, 99), errors.get(), sorted.size());
            }
        }
    }

    private static void sse(String http, String url, String user, String password, String auth, int streams, double rate,
                            int seconds) throws Exception {
        List<Long> delays = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger open = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch connected = new CountDownLatch(streams);
        List<java.net.Socket> sockets = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < streams; i++) {
            Thread t = new Thread(() -> {
                // a plain socket and a blocking reader per stream: the JDK HttpClient spent more CPU reading 200 streams
                // than the server spent writing them, which measured the client
                URI u = URI.create(http);
                try (java.net.Socket socket = new java.net.Socket(u.getHost(), u.getPort())) {
                    sockets.add(socket);
                    socket.getOutputStream().write(("GET /api/events?flow=greet_user HTTP/1.1\r\nHost: " + u.getHost() + "\r\n"
                            + "Authorization: " + auth + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 65536));
                    String status = line(in);
                    if (!status.contains(" 200 ")) {
                        failed.incrementAndGet();
                        connected.countDown();
                        return;
                    }
                    boolean chunked = false;
                    for (String h = line(in); !h.isEmpty(); h = line(in)) {
                        chunked |= h.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding: chunked");
                    }
                    open.incrementAndGet();
                    connected.countDown();
                    StringBuilder pending = new StringBuilder();
                    while (true) {
                        String text;
                        if (chunked) {
                            int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
                            if (size == 0) {
                                break;
                            }
                            byte[] chunk = new byte[size];
                            in.readFully(chunk);
                            line(in);
                            text = new String(chunk, StandardCharsets.UTF_8);
                        } else {
                            byte[] buffer = new byte[8192];
                            int n = in.read(buffer);
                            if (n < 0) {
                                break;
                            }
                            text = new String(buffer, 0, n, StandardCharsets.UTF_8);
                        }
                        java.time.Instant clock = java.time.Instant.now();
                        long now = clock.getEpochSecond() * 1_000_000 + clock.getNano() / 1000;
                        pending.append(text);
                        int nl;
                        while ((nl = pending.indexOf("\n")) >= 0) {
                            String l = pending.substring(0, nl);
                            pending.delete(0, nl + 1);
                            if (l.startsWith("data:")) {
                                Matcher m = AT.matcher(l);
                                if (m.find()) {
                                    java.time.Instant at = java.time.Instant.parse(m.group(1));
                                    delays.add(now - (at.getEpochSecond() * 1_000_000 + at.getNano() / 1000));
                                }
                            }
                        }
                    }
                } catch (Exception e) {
                    // closed at the end
                }
            });
            t.setDaemon(true);
            t.start();
        }
        // streams whose clients never read: they must not hold up the others
        int stalledCount = Integer.parseInt(System.getProperty("bench.stalled", "0"));
        for (int i = 0; i < stalledCount; i++) {
            URI u = URI.create(http);
            java.net.Socket stalled = new java.net.Socket(u.getHost(), u.getPort());
            stalled.setReceiveBufferSize(4096);
            stalled.getOutputStream().write(("GET /api/events?flow=greet_user HTTP/1.1\r\nHost: " + u.getHost() + "\r\nAuthorization: "
                    + auth + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            sockets.add(stalled);
        }
        connected.await(60, java.util.concurrent.TimeUnit.SECONDS);
        System.out.printf("# SSE: %d streams open on /api/events?flow=greet_user (%d refused), %d more that never read;"
                + " starting greet_user runs from SQL at %.0f/s for %d s%n", open.get(), failed.get(), stalledCount, rate, seconds);
        long started = 0;
        try (Connection c = DriverManager.getConnection(url, user, password);
             PreparedStatement ps = c.prepareStatement("select pgflow.start_flow('greet_user', '{\"first_name\": \"Sse\", \"last_name\": \"Load\"}')")) {
            long t0 = System.nanoTime();
            long end = t0 + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                long due = t0 + (long) (started * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                ps.execute();
                started++;
            }
            Thread.sleep(5000); // the last runs complete and their events arrive
        }
        List<Long> sorted = new ArrayList<>(delays);
        Collections.sort(sorted);
        long expected = started * 6 * open.get(); // run:started, 2 x step:started, 2 x step:completed, run:completed
        System.out.printf("%-62s %d runs, %d of %d expected deliveries, p50 %6.1f ms   p95 %6.1f ms   p99 %6.1f ms   max %6.1f ms%n",
                "SSE delivery delay (transition time -> client)", started, sorted.size(), expected,
                pctMicros(sorted, 50), pctMicros(sorted, 95), pctMicros(sorted, 99),
                sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1000.0);
        for (java.net.Socket socket : sockets) {
            socket.close();
        }
    }

    /** One CRLF-terminated line of the response head or chunk framing. */
    private static String line(java.io.DataInputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    private static double pct(List<Long> sortedNanos, int p) {
        if (sortedNanos.isEmpty()) {
            return 0;
        }
        return sortedNanos.get(Math.min(sortedNanos.size() - 1, (int) Math.ceil(p / 100.0 * sortedNanos.size()) - 1)) / 1e6;
    }

    private static double pctMicros(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)) / 1000.0;
    }
}
