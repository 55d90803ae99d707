package io.pgflowee.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

/**
 * The edit-run loop of {@code ./pgflow}: how long from saving a flow's source until the change
 * runs, per kind of change (issue 27's target: 10 s on a quiet machine). Against a running
 * {@code ./pgflow} whose source tree is {@code project} (use a scratch copy, for example
 * {@code PGFLOW_SOURCE_DIR=/tmp/copy ./pgflow}: the benchmark writes a flow class into its
 * {@code flows/} module and removes it, with its compiled changelogs, at the end).
 *
 * <p>Kinds, alternated round by round: a <b>new flow</b> (a class with a new slug), a <b>handler
 * body</b>, a <b>new step</b> (a shape change: the launcher replaces the flow in the development
 * database), a <b>changed option</b> ({@code maxAttempts}: the compiled changelog changes, the shape
 * does not). "ready" is readiness answering with the new deployment's build id; "live" is a run
 * started then completing with the new code's output (for the option: the flow verified).
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.ReloadBenchmark \
 *   -Dexec.args="project=/tmp/copy url=jdbc:postgresql://localhost:15432/postgres http=http://localhost:8080 rounds=3"
 * </pre>
 */
public final class ReloadBenchmark {

    private static final Pattern BUILD = Pattern.compile("\"build\"\\s*:\\s*\"([^\"]+)\"");
    private static final Duration LIMIT = Duration.ofSeconds(180);

    private final Path project;
    private final Path source;
    private final String http;
    private final DataSource ds;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private int version;
    private int steps;
    private int attempts = 3;
    private String slug;

    private ReloadBenchmark(Path project, String http, DataSource ds) {
        this.project = project;
        this.source = project.resolve("flows/src/main/java/com/example/flows/BenchReload.java");
        this.http = http;
        this.ds = ds;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        Path project = Path.of(opts.getOrDefault("project", ".")).toAbsolutePath().normalize();
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
        DataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        System.out.printf("# reload: %d round(s) against %s, sources %s, %d cores here (the launcher, Payara and"
                + " PostgreSQL share them)%n", rounds, opts.getOrDefault("http", "http://localhost:8080"), project,
                Runtime.getRuntime().availableProcessors());
        ReloadBenchmark bench = new ReloadBenchmark(project, opts.getOrDefault("http", "http://localhost:8080"), ds);
        Path changelogs = project.resolve("liquibase/flows");
        byte[] master = Files.readAllBytes(changelogs.resolve("changelog.xml"));
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        try {
            for (int round = 1; round <= rounds; round++) {
                results.computeIfAbsent("new flow", k -> new ArrayList<>()).add(bench.newFlow(round));
                results.computeIfAbsent("handler body", k -> new ArrayList<>()).add(bench.handlerBody());
                results.computeIfAbsent("new step", k -> new ArrayList<>()).add(bench.newStep());
                results.computeIfAbsent("changed option", k -> new ArrayList<>()).add(bench.changedOption());
            }
        } finally {
            Files.deleteIfExists(bench.source);
            try (var files = Files.list(changelogs)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith("bench_reload")).toList()) {
                    Files.delete(f);
                }
            }
            Files.write(changelogs.resolve("changelog.xml"), master);
        }
        System.out.println("# seconds from the save: ready (readiness with the new build) / live (a run with the new output)");
        results.forEach((kind, times) -> {
            List<Double> ready = new ArrayList<>();
            List<Double> live = new ArrayList<>();
            times.forEach(t -> {
                ready.add(t[0]);
                live.add(t[1]);
            });
            System.out.printf(Locale.ROOT, "%-15s ready %s   live %s%n", kind, summary(ready), summary(live));
        });
    }

    private static String summary(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format(Locale.ROOT, "min %5.1f  median %5.1f  max %5.1f", sorted.get(0), sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1));
    }

    private double[] newFlow(int round) throws Exception {
        slug = "bench_reload_" + System.currentTimeMillis() % 100_000 + "_" + round;
        steps = 0;
        attempts = 3;
        return change("new flow");
    }

    private double[] handlerBody() throws Exception {
        return change("handler body");
    }

    private double[] newStep() throws Exception {
        steps++;
        return change("new step");
    }

    private double[] changedOption() throws Exception {
        attempts = attempts == 3 ? 4 : 3;
        return change("changed option");
    }

    /** Writes the next version of the flow, then times readiness with a new build and a run with its output. */
    private double[] change(String kind) throws Exception {
        version++;
        String before = build();
        Files.writeString(source, source());
        long saved = Files.getLastModifiedTime(source).toMillis();
        long deadline = System.currentTimeMillis() + LIMIT.toMillis();
        String after;
        do {
            Thread.sleep(50);
            after = build();
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(kind + ": no new deployment within " + LIMIT.toSeconds() + " s");
            }
        } while (after == null || after.equals(before));
        double ready = (System.currentTimeMillis() - saved) / 1000.0;
        String expected = steps == 0 ? "{\"a\": \"v" + version + "\"}"
                : "{\"s" + steps + "\": \"v" + version + "-s" + steps + "\"}";
        String output = run(expected);
        double live = (System.currentTimeMillis() - saved) / 1000.0;
        System.out.printf(Locale.ROOT, "%-15s v%-3d ready %5.1f s  live %5.1f s  (%s: %s)%n", kind, version, ready, live, slug, output);
        if (kind.equals("changed option")) {
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "select opt_max_attempts from pgflow.flows where flow_slug = ?")) {
                ps.setString(1, slug);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    System.out.printf("%-15s      maxAttempts in the database: %d (the code says %d)%n", "", rs.getInt(1), attempts);
                }
            }
        }
        return new double[] {ready, live};
    }

    private String source() {
        StringBuilder more = new StringBuilder();
        for (int i = 1; i <= steps; i++) {
            String previous = i == 1 ? "a" : "s" + (i - 1);
            more.append("        Step<String> s").append(i).append(" = flow.step(\"s").append(i).append("\", String.class).after(")
                    .append(previous).append(").run(x -> \"v").append(version).append("-s").append(i).append("\");\n");
        }
        return """
                package com.example.flows;

                import io.pgflowee.api.flow.Flow;
                import io.pgflowee.api.flow.FlowDefinition;
                import io.pgflowee.api.flow.Step;
                import jakarta.enterprise.context.ApplicationScoped;

                /** Written by ReloadBenchmark; removed when it ends. */
                @ApplicationScoped
                public class BenchReload implements FlowDefinition {
                    public record Input(String text) {
                    }

                    @Override
                    public Flow<Input> flow() {
                        Flow<Input> flow = Flow.define("%s", Input.class).maxAttempts(%d);
                        Step<String> a = flow.step("a", String.class).run(in -> "v%d");
                %s        return flow;
                    }
                }
                """.formatted(slug, attempts, version, more);
    }

    /** The build id readiness answers with (null while the application is not deployed). */
    private String build() {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(http + "/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = BUILD.matcher(r.body());
            return r.statusCode() == 200 && m.find() ? m.group(1) : null;
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Starts a run of the flow and waits for it to complete with {@code expected}. */
    private String run(String expected) throws Exception {
        String runId;
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select run_id::text from pgflow.start_flow(?, '{\"text\": \"x\"}'::jsonb)")) {
            ps.setString(1, slug);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                runId = rs.getString(1);
            }
        }
        long deadline = System.currentTimeMillis() + LIMIT.toMillis();
        while (System.currentTimeMillis() < deadline) {
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "select status, output::text from pgflow.runs where run_id = ?::uuid")) {
                ps.setString(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getString(1).equals("started")) {
                        if (!"completed".equals(rs.getString(1)) || !expected.equals(rs.getString(2))) {
                            throw new IllegalStateException("run " + runId + " of " + slug + ": " + rs.getString(1) + " "
                                    + rs.getString(2) + ", expected completed " + expected);
                        }
                        return rs.getString(2);
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("run " + runId + " of " + slug + " did not complete within " + LIMIT.toSeconds() + " s");
    }
}
