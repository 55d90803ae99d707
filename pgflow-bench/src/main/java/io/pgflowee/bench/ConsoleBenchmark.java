package io.pgflowee.bench;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * The console's pages with a million runs: loads {@code runs} synthetic runs (as
 * {@link ReadModelBenchmark} does: three 3-step flows bench_a/b/c, 90 % completed, 5 % failed, 3 %
 * started, 2 % cancelled, 2 % in the last hour) into a running server's database, unless they are
 * there, signs in to the console and times each page {@code iterations} times, one request at a
 * time from this machine (so the times are the server's, plus a local round trip of well under a
 * millisecond): p50, p95 and max. Prints the database calibration first.
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.ConsoleBenchmark \
 *   -Dexec.args="http=http://localhost:8080 url=jdbc:postgresql://localhost:15432/postgres consolePassword=$(cat ~/.pgflow/admin-password)"
 * </pre>
 */
public final class ConsoleBenchmark {

    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private static final Pattern VIEW_STATE = Pattern.compile("name=\"jakarta.faces.ViewState\"[^>]*value=\"([^\"]+)\"");

    private ConsoleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        String http = opts.getOrDefault("http", "http://localhost:8080");
        String url = opts.getOrDefault("url", "jdbc:postgresql://localhost:15432/postgres");
        String user = opts.getOrDefault("consoleUser", "admin");
        String password = BenchOptions.adminPassword(opts, "consolePassword");
        int runs = Integer.parseInt(opts.getOrDefault("runs", "1000000"));
        int iterations = Integer.parseInt(opts.getOrDefault("iterations", "40"));

        PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        long have = count(ds, "select count(*) from pgflow.flows where flow_slug = 'bench_a'");
        if (have == 0) {
            long t0 = System.nanoTime();
            ReadModelBenchmark.load(ds, runs);
            System.out.printf("loaded %,d runs in %.0f s%n", runs, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("# console of %s: %,d runs in the database, %d iterations per page, one request at a time, %d cores here"
                + " (client and server share them)%n", http, count(ds, "select count(*) from pgflow.runs"), iterations,
                Runtime.getRuntime().availableProcessors());
        String run = one(ds, "select run_id from pgflow.runs where flow_slug = 'bench_b' and status = 'failed' limit 1");

        HttpClient client = signIn(http, user, password);
        page(client, iterations, "dashboard /", http + "/");
        page(client, iterations, "runs, no filter", http + "/runs.xhtml");
        page(client, iterations, "runs, flow bench_b, failed", http + "/runs.xhtml?flow=bench_b&status=failed");
        page(client, iterations, "run detail (3 steps)", http + "/run.xhtml?id=" + run);
        page(client, iterations, "flows", http + "/flows.xhtml");
        page(client, iterations, "flow bench_b", http + "/flow.xhtml?slug=bench_b");
        page(client, iterations, "workers", http + "/workers.xhtml");

        // keyset paging: the Older button, as the browser sends it (Faces Ajax with the view state)
        String runsPage = get(client, http + "/runs.xhtml");
        Matcher m = VIEW_STATE.matcher(runsPage);
        if (!m.find()) {
            throw new IllegalStateException("no view state on the runs page");
        }
        String form = "jakarta.faces.partial.ajax=true&jakarta.faces.source=runs%3Aolder&jakarta.faces.partial.execute=runs%3Aolder"
                + "&jakarta.faces.partial.render=runs&runs%3Aolder=runs%3Aolder&runs=runs&jakarta.faces.ViewState=" + enc(m.group(1));
        measure(iterations, "runs, Older (Ajax, next 25 each time)", () -> {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(http + "/runs.xhtml"))
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Faces-Request", "partial/ajax")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || !r.body().contains("<partial-response") || r.body().contains("<error>")) {
                throw new IllegalStateException("Older failed: " + r.statusCode() + " " + r.body().substring(0, Math.min(300, r.body().length())));
            }
            return r.body().length();
        });
        System.exit(0);
    }

    private static void page(HttpClient client, int iterations, String what, String uri) throws Exception {
        measure(iterations, what, () -> get(client, uri).length());
    }

    /**
     * A console session: an HTTP client with its cookie, signed in with the console's form as a
     * browser does (the form's page first: its sign-in cookie and the form's CSRF field must match).
     */
    static HttpClient signIn(String http, String user, String password) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new CookieManager()).build();
        String form = client.send(HttpRequest.newBuilder(URI.create(http + "/login.xhtml")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher csrf = CSRF.matcher(form);
        if (!csrf.find()) {
            throw new IllegalStateException("no CSRF field on the sign-in page " + http + "/login.xhtml");
        }
        HttpResponse<String> signedIn = client.send(HttpRequest.newBuilder(URI.create(http + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=" + enc(user) + "&password=" + enc(password)
                        + "&csrf=" + enc(csrf.group(1)))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (signedIn.statusCode() != 302 || !signedIn.headers().firstValue("Location").orElse("").endsWith("/")) {
            throw new IllegalStateException("console sign-in failed: " + signedIn.statusCode() + " " + signedIn.headers().map());
        }
        return client;
    }

    /** A console page's text; fails on anything but a rendered page (the error page included). */
    static String get(HttpClient client, String uri) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || r.body().contains("Something went wrong") || !r.body().contains("pg-header")) {
            throw new IllegalStateException(uri + " answered " + r.statusCode() + ": " + r.body().substring(0, Math.min(300, r.body().length())));
        }
        return r.body();
    }

    private static void measure(int iterations, String what, Callable<Integer> request) throws Exception {
        for (int i = 0; i < 3; i++) {
            request.call(); // warm-up
        }
        List<Long> times = new ArrayList<>();
        int bytes = 0;
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            bytes = request.call();
            times.add(System.nanoTime() - t0);
        }
        Collections.sort(times);
        System.out.printf("%-42s p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms  (%,d bytes)%n", what, BenchOptions.percentileMillis(times, 50), BenchOptions.percentileMillis(times, 95),
                times.get(times.size() - 1) / 1e6, bytes);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static long count(PGSimpleDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String one(PGSimpleDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
