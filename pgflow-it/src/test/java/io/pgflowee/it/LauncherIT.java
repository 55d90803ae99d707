package io.pgflowee.it;

import io.pgflowee.it.support.ItDatabase;
import io.pgflowee.it.support.ItSql;
import io.pgflowee.testing.TestFiles;
import io.pgflowee.it.support.MicroProcess;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import io.pgflowee.migrations.PgflowMigrations;

/**
 * The edit-run loop as a user lives it, with the real launcher jar ({@code ./pgflow} without its
 * build step) as a process, against its own database and a copy of this project's sources:
 *
 * <ol>
 *   <li>a flow in the database that differs from the one in the code, with a run in flight (so the
 *       launcher does not replace it): every other flow migrates and runs, and the launcher says in
 *       one line which flow does not run and the fix;</li>
 *   <li>{@code delete_flow_and_data} in the database: the server recovers by itself, no restart;</li>
 *   <li>a changed handler and new flow classes in the flow modules: compiled by the launcher,
 *       redeployed inside the running Payara Micro, the next runs give the new outputs; a run whose
 *       handler runs during a reload is handed back and finished by the new deployment; a new step
 *       replaces the flow in the development database; each reload's time since the save is
 *       printed ({@code LauncherIT: pgflow: reloaded ...});</li>
 *   <li>a change that does not compile: the error is printed with file and line, the server keeps
 *       serving;</li>
 *   <li>a change outside the flow modules (a pom): built with Maven, redeployed the same way;</li>
 *   <li>SIGTERM with two handlers running: one ends within its grace and its run completes, the
 *       other outlives it and its task is handed back (claimable at once, the attempt not counted);
 *       every worker marked stopped, Payara stopped, the launcher exits.</li>
 * </ol>
 */
class LauncherIT {

    private static final Path TARGET = Path.of(System.getProperty("it.target", "target")).toAbsolutePath();
    private static final Path PROJECT = TARGET.resolve("../..").normalize();
    private static final String PG_PORT = System.getProperty("it.pg.port", "5432");
    private static final String DATABASE = "launcher_it";
    private static final String DB_URL = "jdbc:postgresql://localhost:" + PG_PORT + "/" + DATABASE;
    private static final Duration BOOT = Duration.ofSeconds(600);

    /** The launcher's output lines with the time each arrived. */
    private record Line(long at, String text) {
    }

    private final List<Line> output = new ArrayList<>();
    /** A run whose handler is still running when the launcher gets SIGTERM, past its grace. */
    private String heldAtStop;
    /** A run whose handler is running at the SIGTERM and ends within its grace (when this file goes). */
    private String finishedAtStop;
    private Path endsInGrace;

    @Test
    void startupProblemsShowAtOnceTheDatabaseFixNeedsNoRestartAndEditsAreReloaded() throws Exception {
        Path sources = copyOfTheSources();
        Path home = Files.createTempDirectory(TARGET, "launcher-home");
        prepareDatabase();
        int http = MicroProcess.freePort();

        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", PROJECT.resolve("pgflow-launcher/target/pgflow-launcher.jar").toString())
                .redirectErrorStream(true);
        builder.environment().put("PGFLOW_HOME", home.toString());
        builder.environment().put("PGFLOW_DB_URL", DB_URL);
        builder.environment().put("PGFLOW_HTTP_PORT", Integer.toString(http));
        builder.environment().put("PGFLOW_SOURCE_DIR", sources.toString());
        builder.environment().put("PGFLOW_BUILD_ARGS", "-o");
        builder.environment().put("PGFLOW_ADMIN_PASSWORD", "launcher-it-secret");
        builder.environment().put("PGFLOW_REPLACE_CHANGED_FLOWS", "true"); // what the embedded database has by default
        // the flow "held" (added at the first reload) gives its handlers 2 s when Payara stops
        builder.environment().put("PGFLOW_JAVA_OPTS", "-Xmx512m -Dpgflow.worker.held.shutdownTimeoutMs=2000");
        Process launcher = builder.start();
        launcher.getOutputStream().close();
        Thread reader = new Thread(() -> read(launcher), "launcher-output");
        reader.setDaemon(true);
        reader.start();
        try {
            // 1. one flow differs from the database: every other flow migrates and runs, the server is ready, and the launcher
            //    says in one line, once, which flow does not run and how to fix it; no stack trace on the console. The
            //    launcher does not replace it: a run of it is in flight
            Line ready = await(l -> l.text().startsWith("pgflow is ready"), BOOT);
            assertThat(lines()).contains("pgflow: flow 'greet_user' changed shape while 1 of its runs are in flight: not replaced,"
                    + " so it does not run until they end and you replace it (SELECT pgflow.delete_flow_and_data('greet_user'),"
                    + " which deletes its runs) or give it a new slug");
            Line told = await(l -> l.text().startsWith("pgflow: flow greet_user does not run (every other flow does): "),
                    Duration.ofSeconds(30));
            assertThat(told.text()).contains("Step count differs: 2 vs 1").contains("SELECT pgflow.delete_flow_and_data('greet_user')");
            assertThat(told.at() - ready.at()).as("told with the banner, not later").isLessThan(5_000);
            await(l -> l.text().equals("Press Ctrl-C to stop."), Duration.ofSeconds(10)); // the banner's last line
            assertThat(lines()).contains("  Flows     cart_invoice verified, daily_report verified, greet_many verified, greet_user mismatch (NOT RUNNING), order_approval verified,"
                    + " order_fulfilment verified, payment verified, shipping verified",
                    "  Reload    on: a change under " + sources + " is rebuilt and redeployed (--no-reload turns it off)");
            assertThat(runOutput("greet_many", "[{\"first_name\": \"Ann\", \"last_name\": \"Lee\"}]")).as("another flow runs").isNotNull();
            String lines = "[{\"sku\": \"A-1\", \"price\": 12.50, \"quantity\": 2}]";
            assertThat(runOutput("cart_invoice", "{\"lines\": " + lines + "}"))
                    .isEqualTo("{\"invoice\": {\"total\": 25.00, \"subtotal\": 25.00, \"expressFee\": 0.00}}");
            assertThat(lines()).filteredOn(l -> l.contains("greet_user does not run")).hasSize(1);
            assertThat(lines()).as("no stack trace or Liquibase summary on the console")
                    .noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception") || l.contains("UPDATE SUMMARY"));
            assertThat(Files.readString(home.resolve("logs/server.log"))).contains("PGFLOW-012 flow greet_user was not migrated"
                    + " (pgflow/db/flows/greet_user.sql); it does not run here, every other flow does: Flow 'greet_user' changed after it"
                    + " was applied");

            // 2. fixing the database is enough: the server migrates the flow again and runs it, no restart
            sql("SELECT pgflow.delete_flow_and_data('greet_user')");
            long fixed = System.currentTimeMillis();
            Line runs = await(l -> l.text().equals("pgflow: flow greet_user runs now (verified)"), Duration.ofSeconds(60));
            assertThat(runs.at() - fixed).isLessThan(30_000);
            assertThat(lines()).filteredOn(l -> l.contains("Payara Micro") && l.contains(" ready in ")).hasSize(1);
            assertThat(runOutput("greet_user", "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}"))
                    .isEqualTo("{\"greeting\": \"Hello, Alice Smith!\"}");

            // 3. edits: a changed handler in the examples, a new flow class in the flows module
            Path greetUser = sources.resolve("pgflow-examples/src/main/java/io/pgflowee/examples/GreetUser.java");
            Files.writeString(greetUser, Files.readString(greetUser).replace("\"Hello, \"", "\"Howdy, \""));
            Files.writeString(sources.resolve("flows/src/main/java/com/example/flows/Shout.java"), """
                    package com.example.flows;

                    import io.pgflowee.api.flow.Flow;
                    import io.pgflowee.api.flow.FlowDefinition;
                    import jakarta.enterprise.context.ApplicationScoped;

                    @ApplicationScoped
                    public class Shout implements FlowDefinition {
                        public record Input(String text) {
                        }

                        @Override
                        public Flow<Input> flow() {
                            Flow<Input> flow = Flow.define("shout", Input.class);
                            flow.step("upper", String.class).run(in -> in.text().toUpperCase() + "!");
                            return flow;
                        }
                    }
                    """);
            Files.writeString(sources.resolve("flows/src/main/java/com/example/flows/Held.java"), """
                    package com.example.flows;

                    import io.pgflowee.api.flow.Flow;
                    import io.pgflowee.api.flow.FlowDefinition;
                    import jakarta.enterprise.context.ApplicationScoped;

                    @ApplicationScoped
                    public class Held implements FlowDefinition {
                        public record Input(String hold) {
                        }

                        @Override
                        public Flow<Input> flow() {
                            Flow<Input> flow = Flow.define("held", Input.class).maxAttempts(1).timeout(300);
                            flow.step("work", String.class).run(in -> {
                                while (java.nio.file.Files.exists(java.nio.file.Path.of(in.hold()))) {
                                    Thread.sleep(100);
                                }
                                return "released";
                            });
                            return flow;
                        }
                    }
                    """);
            Line reloaded = await(l -> l.text().startsWith("pgflow: reloaded "), BOOT);
            System.out.println("LauncherIT: new flows and a handler: " + reloaded.text());
            assertThat(reloaded.text()).matches("pgflow: reloaded \\d+\\.\\d s after the save \\(compiled flows, pgflow-examples in"
                    + " \\d+\\.\\d s, redeploy \\d+\\.\\d s\\); flows: cart_invoice verified, daily_report verified, greet_many verified, greet_user verified,"
                    + " held verified, order_approval verified, order_fulfilment verified, payment verified, shipping verified, shout verified");
            assertThat(lines()).contains("pgflow: changed: flows/src/main/java/com/example/flows/Held.java (added),"
                            + " flows/src/main/java/com/example/flows/Shout.java (added),"
                            + " pgflow-examples/src/main/java/io/pgflowee/examples/GreetUser.java (changed)");
            assertThat(lines()).anyMatch(l -> l.matches("pgflow: compiled flows, pgflow-examples in \\d+\\.\\d s; redeploying in the"
                    + " running Payara Micro \\(PostgreSQL stays up\\)"));
            assertThat(lines()).as("one Payara start: the reload redeployed inside it")
                    .filteredOn(l -> l.contains("Payara Micro") && l.contains(" ready in ")).hasSize(1);
            assertThat(Files.readString(sources.resolve("liquibase/flows/shout.sql")))
                    .contains("SELECT pgflow.add_step('shout', 'upper');");
            assertThat(runOutput("greet_user", "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}"))
                    .isEqualTo("{\"greeting\": \"Howdy, Alice Smith!\"}");
            assertThat(runOutput("shout", "{\"text\": \"hi\"}")).isEqualTo("{\"upper\": \"HI!\"}");

            // 3b. a reload while a run's handler runs: the stopping server hands the task back, the reloaded one finishes the run
            Path hold = Files.createTempFile(TARGET, "hold", ".flag");
            String held = sqlValue("SELECT run_id::text FROM pgflow.start_flow('held', '{\"hold\": \"" + hold + "\"}')");
            awaitValue("SELECT status FROM pgflow.step_tasks WHERE run_id = '" + held + "'", "started");
            String firstWorker = sqlValue("SELECT last_worker_id::text FROM pgflow.step_tasks WHERE run_id = '" + held + "'");
            Path shout = sources.resolve("flows/src/main/java/com/example/flows/Shout.java");
            Files.writeString(shout, Files.readString(shout).replace("+ \"!\"", "+ \"!!\""));
            Line again = await(l -> l.text().startsWith("pgflow: reloaded ") && l.at() > reloaded.at(), BOOT);
            System.out.println("LauncherIT: a handler body: " + again.text());
            awaitValue("SELECT count(*)::text FROM pgflow_internal.task_attempts WHERE run_id = '" + held + "' AND outcome = 'released'"
                    + " AND worker_id = '" + firstWorker + "'", "1");
            Files.delete(hold);
            awaitValue("SELECT status FROM pgflow.runs WHERE run_id = '" + held + "'", "completed");
            assertThat(sqlValue("SELECT attempts_count || ' ' || (last_worker_id <> '" + firstWorker + "') || ' ' || output::text"
                    + " FROM pgflow.step_tasks WHERE run_id = '" + held + "'")).as("finished by the reloaded server, the handed-back attempt"
                    + " not counted (max_attempts 1)").isEqualTo("1 true \"released\"");
            assertThat(runOutput("shout", "{\"text\": \"hi\"}")).isEqualTo("{\"upper\": \"HI!!\"}");

            // 3c. a new step: the flow's shape changed, so the launcher replaces it in the development database (no run of it
            //     is in flight) before the redeploy applies the new shape
            Files.writeString(shout, Files.readString(shout)
                    .replace("flow.step(\"upper\"", "io.pgflowee.api.flow.Step<String> upper = flow.step(\"upper\"")
                    .replace("return flow;", "flow.step(\"count\", Integer.class).after(upper).run(String::length);\n        return flow;"));
            Line reshaped = await(l -> l.text().startsWith("pgflow: reloaded ") && l.at() > again.at(), BOOT);
            System.out.println("LauncherIT: a new step: " + reshaped.text());
            assertThat(lines()).contains("pgflow: flow 'shout' changed shape: replaced it in the development database (its 2 finished"
                    + " runs deleted); PGFLOW_REPLACE_CHANGED_FLOWS=false keeps changed flows instead");
            assertThat(reshaped.text()).endsWith("held verified, order_approval verified, order_fulfilment verified, payment verified, shipping verified,"
                    + " shout verified");
            assertThat(runOutput("shout", "{\"text\": \"hi\"}")).isEqualTo("{\"count\": 4}");

            // 4. a change that does not compile: printed with file and line, and the server keeps running the last good build
            int before = output.size();
            Path broken = sources.resolve("flows/src/main/java/com/example/flows/Broken.java");
            Files.writeString(broken, "package com.example.flows;\nclass Broken { int x = }\n");
            await(l -> l.text().equals("pgflow: flows does not compile; the running server keeps the last good build:"), BOOT);
            await(l -> l.text().equals("  flows/src/main/java/com/example/flows/Broken.java:2: illegal start of expression"),
                    Duration.ofSeconds(10));
            List<String> failure = lines().subList(before, lines().size());
            assertThat(failure).noneMatch(l -> l.contains("redeploying"));
            assertThat(get(http, "/health/ready").statusCode()).isEqualTo(200);
            assertThat(runOutput("shout", "{\"text\": \"still here\"}")).isEqualTo("{\"count\": 12}");

            // 5. a change outside the flow modules (here a pom, and the broken class removed): Maven builds, the WAR is
            //    redeployed inside the running Payara Micro the same way
            Files.delete(broken);
            Files.writeString(shout, Files.readString(shout).replace("Flow.define(\"shout\", Input.class)",
                    "Flow.define(\"shout\", Input.class).maxAttempts(5)")); // an option: the flow stays, its option follows the code
            Path flowsPom = sources.resolve("flows/pom.xml");
            Files.writeString(flowsPom, Files.readString(flowsPom).replace("</project>", "<!-- touched by LauncherIT -->\n</project>"));
            Line maven = await(l -> l.text().startsWith("pgflow: reloaded ") && l.at() > reshaped.at(), BOOT);
            System.out.println("LauncherIT: a pom (Maven): " + maven.text());
            assertThat(maven.text()).contains(" after the save (built with Maven in ");
            assertThat(lines()).contains("pgflow: building with Maven (the change is not only in flow modules)...",
                    "pgflow: flow 'shout' options changed: set them in the development database as the code has them (1 row)");
            assertThat(sqlValue("SELECT opt_max_attempts || ' ' || (SELECT count(*) FROM pgflow.runs WHERE flow_slug = 'shout')"
                    + " FROM pgflow.flows WHERE flow_slug = 'shout'")).as("max attempts as the code says, runs kept").isEqualTo("5 2");
            assertThat(runOutput("greet_user", "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}"))
                    .isEqualTo("{\"greeting\": \"Howdy, Alice Smith!\"}");
            assertThat(lines()).as("still one Payara start").filteredOn(l -> l.contains("Payara Micro") && l.contains(" ready in "))
                    .hasSize(1);

            // 6. two handlers running at the SIGTERM below (held's grace is 2 s): one ends within the grace and reports, the
            //    other does not and is handed back, not left to its lease
            Path holdAtStop = Files.createTempFile(TARGET, "hold-at-stop", ".flag");
            heldAtStop = sqlValue("SELECT run_id::text FROM pgflow.start_flow('held', '{\"hold\": \"" + holdAtStop + "\"}')");
            endsInGrace = Files.createTempFile(TARGET, "ends-in-grace", ".flag");
            finishedAtStop = sqlValue("SELECT run_id::text FROM pgflow.start_flow('held', '{\"hold\": \"" + endsInGrace + "\"}')");
            awaitValue("SELECT count(*)::text FROM pgflow.step_tasks WHERE run_id IN ('" + heldAtStop + "', '" + finishedAtStop + "')"
                    + " AND status = 'started'", "2");
        } finally {
            // 7. SIGTERM: Payara first, then the launcher
            launcher.toHandle().destroy(); // SIGTERM (Process.destroy would also close the output we still read)
            if (endsInGrace != null) {
                Thread.sleep(500);
                Files.delete(endsInGrace); // its handler returns now, inside the 2 s grace of the stopping server
            }
            assertThat(launcher.waitFor(120, TimeUnit.SECONDS)).isTrue();
            reader.join(10_000);
            Path pid = home.resolve("payara.pid");
            assertThat(pid).doesNotExist();
        }
        assertThat(lines()).endsWith("pgflow: stopped");
        // gracefully: Payara went on SIGTERM, not killed after the 60 s grace period (Payara's own
        // "Payara Micro STOPPED." line is not checked: its shutdown hook logs it only when nothing
        // else in its JVM stopped the runtime first, which varies from run to run)
        assertThat(lines().get(lines().size() - 2)).matches("pgflow: Payara Micro stopped \\(pid \\d+, \\d+\\.\\d s\\)");
        // every worker of every Payara this launcher ran (the reloads' too) was stopped gracefully: marked stopped, not left to time out
        try (Connection c = connect(); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE stopped_at IS NULL) || ' of ' || count(*) FROM pgflow.workers")) {
            rs.next();
            assertThat(rs.getString(1)).matches("0 of [1-9]\\d*");
        }
        assertThat(Files.readString(home.resolve("logs/server.log"))).contains("PGFLOW-045 SIGTERM: stopping the workers gracefully");
        // the handler that ended within its grace: reported by the stopping server, the run completed
        assertThat(sqlValue("SELECT status || ' ' || output::text FROM pgflow.runs WHERE run_id = '" + finishedAtStop + "'"))
                .isEqualTo("completed {\"work\": \"released\"}");
        // the handler that outlived its grace: its task is claimable again now, the attempt handed back and not counted
        assertThat(sqlValue("SELECT status || ' ' || attempts_count || ' ' || (visible_at <= now()) FROM pgflow.step_tasks"
                + " WHERE run_id = '" + heldAtStop + "'")).isEqualTo("queued 0 true");
        assertThat(sqlValue("SELECT count(*)::text FROM pgflow_internal.task_attempts WHERE run_id = '" + heldAtStop + "'"
                + " AND outcome = 'released'")).isEqualTo("1");
    }

    private void read(Process launcher) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (output) {
                    output.add(new Line(System.currentTimeMillis(), line));
                    output.notifyAll();
                }
                System.out.println("[launcher] " + line);
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private List<String> lines() {
        synchronized (output) {
            return output.stream().map(Line::text).toList();
        }
    }

    private Line await(Predicate<Line> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (output) {
            while (true) {
                Optional<Line> found = output.stream().filter(wanted).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new AssertionError("the launcher did not print the expected line within " + timeout
                            + "; it printed:\n" + String.join("\n", output.stream().map(Line::text).toList()));
                }
                output.wait(left);
            }
        }
    }

    private static HttpResponse<String> get(int http, String path) throws IOException, InterruptedException {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + http + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Starts a run from SQL and waits for its output (the run must complete). */
    private static String runOutput(String flow, String input) throws Exception {
        String runId;
        try (Connection c = connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT run_id FROM pgflow.start_flow('" + flow + "', '" + input + "'::jsonb)")) {
            rs.next();
            runId = rs.getString(1);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT status, output::text FROM pgflow.runs WHERE run_id = '" + runId + "'")) {
                rs.next();
                if (!rs.getString(1).equals("started")) {
                    assertThat(rs.getString(1)).as("run of " + flow).isEqualTo("completed");
                    return rs.getString(2);
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the run " + runId + " of " + flow + " did not finish in 60 s");
    }

    /**
     * Its own database with the schema and the shipped flows applied, then greet_user replaced by an
     * older shape (one step, where the code has two) with a run in flight: what a teammate's earlier
     * version leaves behind.
     */
    private static void prepareDatabase() throws Exception {
        ItDatabase.fresh(DATABASE);
        try (Connection c = connect()) {
            PgflowMigrations.apply(c);
        }
        sql("SELECT pgflow.delete_flow_and_data('greet_user')");
        sql("SELECT pgflow.create_flow('greet_user')");
        sql("SELECT pgflow.add_step('greet_user', 'full_name')");
        sql("SELECT pgflow.start_flow('greet_user', '{\"first_name\": \"Old\", \"last_name\": \"Shape\"}')");
    }

    private static String sqlValue(String query) throws Exception {
        return ItSql.value(DB_URL, query);
    }

    private static void awaitValue(String query, String expected) throws Exception {
        ItSql.awaitValue(DB_URL, query, expected);
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static Connection connect() throws Exception {
        return DriverManager.getConnection(DB_URL, "postgres", "postgres");
    }

    /**
     * The project's sources (and the modules' build output, so the reload builds incrementally), as a
     * user's working copy: the modules the WAR is built from, and the other modules' poms.
     */
    private static Path copyOfTheSources() throws IOException {
        Path copy = TARGET.resolve("launcher-it-project");
        TestFiles.deleteRecursively(copy);
        Files.createDirectories(copy);
        for (String file : List.of("pom.xml", "mvnw")) {
            Files.copy(PROJECT.resolve(file), copy.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        for (String dir : List.of(".mvn", "liquibase", "pgflow-api", "pgflow-client", "pgflow-examples", "flows", "pgflow-ejb", "pgflow-web")) {
            copyTree(PROJECT.resolve(dir), copy.resolve(dir));
        }
        for (String module : List.of("pgflow-client-example", "pgflow-ear", "pgflow-launcher", "pgflow-it", "pgflow-bench")) {
            Files.createDirectories(copy.resolve(module));
            Files.copy(PROJECT.resolve(module).resolve("pom.xml"), copy.resolve(module).resolve("pom.xml"));
        }
        return copy;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                String relative = from.relativize(dir).toString();
                if (relative.equals("target/pgflow") || relative.startsWith("target/surefire")) {
                    return FileVisitResult.SKIP_SUBTREE; // the exploded WAR and test reports: rebuilt or not needed
                }
                Files.createDirectories(to.resolve(relative));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!file.getFileName().toString().endsWith(".war")) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
