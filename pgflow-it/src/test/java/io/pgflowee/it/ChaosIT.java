package io.pgflowee.it;

import io.pgflowee.it.support.ItFlows;
import io.pgflowee.it.support.ItSql;
import io.pgflowee.testing.TestFiles;
import io.pgflowee.it.support.MicroProcess;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;

/**
 * The chaos run: two Payara Micro servers on a PostgreSQL of this test's own run {@code it_chaos}
 * ({@link ItFlows.Chaos}: a map of 20, a conditional step, handlers of 50-500 ms that fail their
 * first attempt for 10 % of the tasks) under steady load while, first, a random server is killed
 * with SIGKILL and started again, several times; then PostgreSQL is restarted twice (a fast
 * {@code pg_ctl restart}, then an immediate stop held down for 5 s and a start).
 *
 * <p>Proved from the database and the handlers' own records ({@code it_chaos_executions}): every run
 * completed with the exact expected output; no task ran twice at the same time; every attempt
 * beyond the first is explained (an injected failure, an attempt lost with a killed server as seen
 * when it was killed, or an attempt that overlapped a database outage), and every attempt lost to a
 * kill came back as an expired lease; no lease stayed expired long while a server was up. During
 * the database outages both servers kept answering (readiness 503, the API 503 problem details,
 * never 500), reconnected by themselves (LISTEN included) and went on.
 *
 * <p>Counts are bounded for the suite ({@code chaos.runs=300}, {@code chaos.kills=4}); the same
 * program with the counts is the long chaos benchmark:
 * {@code ./mvnw -B -T1 verify -pl pgflow-it -Dit.test=ChaosIT -Dchaos.runs=1000 -Dchaos.kills=10}.
 * It prints a report ({@code chaos:} lines) either way.
 */
class ChaosIT {

    private static final int RUNS = Integer.getInteger("chaos.runs", 300);
    private static final int KILLS = Integer.getInteger("chaos.kills", 4);
    private static final int WIDTH = Integer.getInteger("chaos.width", 20);
    private static final int IN_FLIGHT = Integer.getInteger("chaos.inFlight", 30);
    private static final int MIN_MS = 50;
    private static final int MAX_MS = 500;
    private static final int FAIL_PERCENT = 10;
    private static final long SEED = Long.getLong("chaos.seed", System.nanoTime());
    /** The flow's timeout (5 s) plus the lease grace (5 s): a lease older than this has expired. */
    private static final int LEASE_SECONDS = 10;

    private final List<MicroProcess> servers = new CopyOnWriteArrayList<>();
    private final Map<String, MicroProcess> live = Collections.synchronizedMap(new HashMap<>());
    private final List<Kill> kills = new ArrayList<>();
    private final List<Outage> outages = new CopyOnWriteArrayList<>();
    private final List<Probe> probes = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stopLoad = new AtomicBoolean();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger restRuns = new AtomicInteger();
    private final List<double[]> overdue = new CopyOnWriteArrayList<>();
    private EmbeddedPostgres postgres;
    private String url;

    /** A SIGKILL: the incarnation, its pid, when (epoch ms), and the tasks it held then (run/step/index/attempt). */
    private record Kill(String server, long pid, long at, Set<String> lost) {
    }

    /** A database outage: from just before the restart to when both servers were ready and working again (epoch ms). */
    private static final class Outage {
        final String kind;
        final long from;
        volatile long databaseBack;
        volatile long recovered;
        final Set<String> inFlight;

        Outage(String kind, long from, Set<String> inFlight) {
            this.kind = kind;
            this.from = from;
            this.inFlight = inFlight;
        }

        boolean overlaps(long start, long end) {
            return start <= recovered + 1000L * LEASE_SECONDS && end >= from;
        }
    }

    /** One request to a server during the database phase: what, when, and what came back (status, or the exception). */
    private record Probe(String server, String what, long at, long ms, int status, String body) {
    }

    @AfterEach
    void stop() throws Exception {
        stopLoad.set(true);
        probing.set(false);
        for (MicroProcess server : servers) {
            server.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void everyRunCompletesExactlyOnceWhileServersAreKilledAndTheDatabaseRestarts() throws Exception {
        long began = System.currentTimeMillis();
        Path data = MicroProcess.TARGET.resolve("chaos-pg");
        TestFiles.deleteRecursively(data);
        postgres = EmbeddedPostgres.builder().setPort(MicroProcess.freePort()).setDataDirectory(data.toFile()).setCleanDataDirectory(true)
                .setServerConfig("max_connections", "300").setServerConfig("fsync", "off")
                // a killed server's statements waiting for the frozen task table end within 100 ms
                // instead of running when it is let go (see kill)
                .setServerConfig("client_connection_check_interval", "100").start();
        url = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
        pgBin = binariesOf(data);
        exec("create table it_chaos_executions (id bigserial primary key, run_id uuid not null, step_slug text not null,"
                + " task_index int not null, attempt int not null, server text not null, pid bigint not null,"
                + " started_at timestamptz not null default clock_timestamp(), ended_at timestamptz, outcome text)");
        report("seed %d, %d runs at least, map of %d, %d kills, handlers %d-%d ms, %d %% first attempts fail; PostgreSQL on port %d",
                SEED, RUNS, WIDTH, KILLS, MIN_MS, MAX_MS, FAIL_PERCENT, postgres.getPort());
        Random random = new Random(SEED);
        Map<String, Integer> incarnation = new HashMap<>(Map.of("A", 0, "B", 0));
        for (String name : List.of("A", "B")) {
            incarnation.merge(name, 1, Integer::sum);
            live.put(name, startServer(name + 1));
        }
        for (MicroProcess server : live.values()) {
            server.awaitReady();
        }
        report("servers ready after %.1f s", (System.currentTimeMillis() - began) / 1000.0);

        Thread load = thread("chaos-load", this::load);
        Thread monitor = thread("chaos-monitor", this::monitorLeases);

        // 1. SIGKILLs, each while the server has tasks, each followed by a restart
        for (int k = 0; k < KILLS; k++) {
            String name = random.nextBoolean() ? "A" : "B";
            MicroProcess victim = live.get(name);
            awaitTasksOf(victim);
            Kill kill = kill(victim);
            kills.add(kill);
            report("kill %d: %s (pid %d) with %d task(s) in flight", k + 1, victim.name, kill.pid(), kill.lost().size());
            int next = incarnation.merge(name, 1, Integer::sum);
            long restarting = System.currentTimeMillis();
            MicroProcess restarted = startServer(name + next);
            restarted.awaitReady();
            live.put(name, restarted);
            report("  %s ready %.1f s after its restart", restarted.name, (System.currentTimeMillis() - restarting) / 1000.0);
        }

        // 2. the database restarted twice under the same load, probed all along
        List<Thread> probers = new ArrayList<>();
        for (MicroProcess server : List.copyOf(live.values())) {
            probers.add(thread("chaos-probe-" + server.name, () -> probe(server)));
        }
        Thread watchdog = thread("chaos-probe-watch", this::watchProbes);
        probing.set(true);
        awaitTasksOf(live.get("A"));
        restartDatabase("fast restart", () -> pgCtl("restart", "-m", "fast", "-w", "-t", "60"));
        awaitTasksOf(live.get("B"));
        List<String> options = postmasterOptions();
        restartDatabase("immediate stop, 5 s down, start", () -> {
            pgCtl("stop", "-m", "immediate", "-w", "-t", "60");
            Thread.sleep(5000);
            pgCtl(startCommand(options));
        });
        probing.set(false);
        for (Thread prober : probers) {
            prober.join(60_000);
            assertThat(prober.isAlive()).as("the prober still waits for an answer: %s", List.of(prober.getStackTrace())).isFalse();
        }
        watchdog.interrupt();

        // 3. the remaining runs, then everything must finish
        while (started.get() < RUNS) {
            Thread.sleep(200);
        }
        stopLoad.set(true);
        load.join(60_000);
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < until && !one("select count(*) from pgflow.runs where status = 'started'").equals("0")) {
            Thread.sleep(500);
        }
        monitor.interrupt();
        monitor.join(10_000);
        report("all runs ended %.1f s after the start", (System.currentTimeMillis() - began) / 1000.0);

        checkRuns();
        checkAttempts();
        checkExecutions();
        checkLeases();
        checkProbesAndListeners();
    }

    // ---- the load, the lease monitor and the probes ----

    /** Keeps IN_FLIGHT runs going (started over SQL, retried through outages) until told to stop and RUNS were started. */
    private void load() {
        while (!(stopLoad.get() && started.get() >= RUNS)) {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                while (!(stopLoad.get() && started.get() >= RUNS)) {
                    int running = Integer.parseInt(ItSql.rows(c, "select count(*) from pgflow.runs where status = 'started'")
                            .get(0).values().iterator().next());
                    int add = IN_FLIGHT - running;
                    if (add > 0) {
                        int from = started.get() + 1;
                        st.execute("select count(*) from generate_series(" + from + ", " + (from + add - 1) + ") g,"
                                + " lateral pgflow.start_flow('it_chaos', jsonb_build_object('n', g, 'width', " + WIDTH
                                + ", 'vip', g % 3 = 0, 'minMs', " + MIN_MS + ", 'maxMs', " + MAX_MS + ", 'failPercent', " + FAIL_PERCENT + "))");
                        started.addAndGet(add);
                    }
                    Thread.sleep(100);
                }
            } catch (SQLException e) {
                sleep(200); // the database is restarting: go on when it is back
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Every 500 ms: how long the oldest expired lease has been expired (s), noted with the time. */
    private void monitorLeases() {
        while (!Thread.currentThread().isInterrupted()) {
            try (Connection c = connect()) {
                while (!Thread.currentThread().isInterrupted()) {
                    String late = ItSql.rows(c, "select coalesce(extract(epoch from clock_timestamp() - min(visible_at)), 0)::text as s"
                            + " from pgflow.step_tasks where flow_slug = 'it_chaos' and status = 'started' and visible_at < clock_timestamp()")
                            .get(0).get("s");
                    overdue.add(new double[] {System.currentTimeMillis(), Double.parseDouble(late)});
                    Thread.sleep(500);
                }
            } catch (SQLException e) {
                sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * While probing, for one server: its readiness and a run started over REST, one after the other,
     * every 100 ms. A request unanswered after 3 s gets the server's threads dumped
     * ({@code servers/slow-<server>-<n>.txt}) to show what it waits for.
     */
    private void probe(MicroProcess server) {
        // HTTP/1.1 as the other tests: the JDK's HTTP/2 upgrade of a POST can hang on Payara's listener
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        while (!probing.get()) {
            sleep(10);
        }
        while (probing.get()) {
            probes.add(request(http, server, "ready", HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + "/health/ready"))));
            int n = -restRuns.incrementAndGet();
            probes.add(request(http, server, "start", HttpRequest.newBuilder(server.uri("api/flows/it_chaos/runs"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("it-operator:it-operator-secret".getBytes(StandardCharsets.UTF_8)))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": " + n + ", \"width\": " + WIDTH + ", \"vip\": false, \"minMs\": "
                            + MIN_MS + ", \"maxMs\": " + MAX_MS + ", \"failPercent\": " + FAIL_PERCENT + "}"))));
            sleep(100);
        }
    }

    /** Dumps the threads of a server whose probe has waited more than 3 s (at most 3 dumps per server). */
    private void watchProbes() {
        Map<String, Integer> dumps = new HashMap<>();
        while (!Thread.currentThread().isInterrupted()) {
            for (Map.Entry<String, long[]> e : pending.entrySet()) {
                long since = e.getValue()[0];
                if (since > 0 && System.currentTimeMillis() - since > 3000 && dumps.getOrDefault(e.getKey(), 0) < 3) {
                    int n = dumps.merge(e.getKey(), 1, Integer::sum);
                    e.getValue()[0] = 0;
                    MicroProcess server = live.values().stream().filter(m -> m.name.equals(e.getKey())).findFirst().orElse(null);
                    if (server != null) {
                        try {
                            new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                                    Long.toString(server.process.pid()), "Thread.print")
                                    .redirectErrorStream(true)
                                    .redirectOutput(MicroProcess.TARGET.resolve("servers/slow-" + server.name + "-" + n + ".txt").toFile())
                                    .start().waitFor(30, TimeUnit.SECONDS);
                        } catch (IOException ex) {
                            // no dump then
                        } catch (InterruptedException ex) {
                            return;
                        }
                    }
                }
            }
            sleep(200);
        }
    }

    /** Per server: since when (epoch ms) its current probe waits, 0 when none does. */
    private final Map<String, long[]> pending = new java.util.concurrent.ConcurrentHashMap<>();

    private Probe request(HttpClient http, MicroProcess server, String what, HttpRequest.Builder request) {
        long at = System.currentTimeMillis();
        pending.computeIfAbsent(server.name, n -> new long[1])[0] = at;
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Probe(server.name, what, at, System.currentTimeMillis() - at, r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Probe(server.name, what, at, System.currentTimeMillis() - at, -1, e.toString());
        } catch (Exception e) {
            // no answer (IOException: refused, timed out)
            return new Probe(server.name, what, at, System.currentTimeMillis() - at, -1, e.toString());
        } finally {
            pending.get(server.name)[0] = 0;
        }
    }

    // ---- kills and restarts ----

    private MicroProcess startServer(String name) throws IOException {
        MicroProcess server = MicroProcess.start(name, false, "-Dpgflow.db.url=" + url, "-Dpgflow.db.user=postgres",
                "-Dpgflow.db.password=postgres");
        servers.add(server);
        return server;
    }

    /** Waits until the server's workers hold at least one task and it has begun executing some (at most 2 minutes). */
    private void awaitTasksOf(MicroProcess server) throws Exception {
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < until) {
            try {
                if (!held(server.process.pid()).isEmpty()
                        && !one("select count(*) from it_chaos_executions where server = '" + server.name + "'").equals("0")) {
                    return;
                }
            } catch (SQLException e) {
                // the database is coming back
            }
            Thread.sleep(50);
        }
        throw new AssertionError("server " + server.name + " took no task within 2 minutes");
    }

    /**
     * Freezes the task table (EXCLUSIVE: claims, completions and failures wait; reads go on), notes
     * the tasks the server holds, kills it with SIGKILL, and lets the table go: what the server
     * held at its death is exactly what it lost.
     */
    private Kill kill(MicroProcess server) throws Exception {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("lock table pgflow.step_tasks in exclusive mode");
            }
            Set<String> held = held(c, server.process.pid());
            long at = System.currentTimeMillis();
            assertThat(server.kill()).as("server %s killed by SIGKILL", server.name).isEqualTo(128 + 9);
            // its sessions that wait for the table (a claim, a completion) notice the closed
            // connection and end (client_connection_check_interval) before the table is let go
            Thread.sleep(1000);
            c.commit();
            return new Kill(server.name, server.process.pid(), at, held);
        }
    }

    private Set<String> held(long pid) throws SQLException {
        try (Connection c = connect()) {
            return held(c, pid);
        }
    }

    /** The started tasks of the workers of the server with this pid, as run/step/index/attempt. */
    private static Set<String> held(Connection c, long pid) throws SQLException {
        Set<String> held = new HashSet<>();
        for (Map<String, String> t : ItSql.rows(c, "select t.run_id || '/' || t.step_slug || '/' || t.task_index || '/' || t.attempts_count as task"
                + " from pgflow.step_tasks t join pgflow.workers w on w.worker_id = t.last_worker_id"
                + " where t.flow_slug = 'it_chaos' and t.status = 'started' and w.function_name like '%/" + pid + "'")) {
            held.add(t.get("task"));
        }
        return held;
    }

    private interface Restart {
        void run() throws Exception;
    }

    /**
     * Notes the tasks in flight (the table frozen as for a kill), restarts the database, and waits
     * until both servers are ready and have each completed an execution begun after the database came back.
     */
    private void restartDatabase(String kind, Restart restart) throws Exception {
        Set<String> inFlight = new HashSet<>();
        Connection frozen = connect();
        frozen.setAutoCommit(false);
        try (Statement st = frozen.createStatement()) {
            st.execute("lock table pgflow.step_tasks in exclusive mode");
        }
        for (MicroProcess server : live.values()) {
            inFlight.addAll(held(frozen, server.process.pid()));
        }
        Outage outage = new Outage(kind, System.currentTimeMillis(), inFlight);
        outages.add(outage);
        restart.run(); // ends the frozen session too
        try {
            frozen.close();
        } catch (SQLException e) {
            // it died with the restart
        }
        outage.databaseBack = System.currentTimeMillis();
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        // per server: when it was ready again, when it completed a task begun after the database
        // was back, and when its wake-up LISTEN connection was back
        Map<String, long[]> back = new HashMap<>();
        while (back.values().stream().filter(t -> t[0] > 0 && t[1] > 0 && t[2] > 0).count() < live.size()) {
            assertThat(System.nanoTime()).as("servers working again within 5 minutes of the %s", kind).isLessThan(until);
            for (MicroProcess server : live.values()) {
                long[] t = back.computeIfAbsent(server.name, n -> new long[3]);
                long now = System.currentTimeMillis();
                if (t[0] == 0 && ready(server)) {
                    t[0] = now;
                }
                if (t[1] == 0 && worked(server, outage.databaseBack)) {
                    t[1] = now;
                }
                if (t[2] == 0 && listenersBack(server) >= outages.size()) {
                    t[2] = now;
                }
            }
            Thread.sleep(100);
        }
        outage.recovered = System.currentTimeMillis();
        report("database %s: down for %.1f s (%d task(s) were in flight); after it was back, seconds until ready / completing tasks /"
                + " LISTEN back: %s", kind, (outage.databaseBack - outage.from) / 1000.0, inFlight.size(),
                back.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> String.format(Locale.ROOT, "%s %.1f / %.1f / %.1f", e.getKey(),
                        (e.getValue()[0] - outage.databaseBack) / 1000.0, (e.getValue()[1] - outage.databaseBack) / 1000.0,
                        (e.getValue()[2] - outage.databaseBack) / 1000.0)).toList());
    }

    /**
     * How often the server's wake-up LISTEN connection reconnected, from its log. (The run-event
     * listener connects only while someone watches events; its reconnection is EventsAndMetricsIT's.)
     */
    private static int listenersBack(MicroProcess server) throws IOException {
        String log = Files.readString(MicroProcess.TARGET.resolve("servers/server-" + server.name + ".log"));
        return count(log, "PGFLOW-040 wake-up listener reconnected");
    }

    private static boolean ready(MicroProcess server) {
        try {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + "/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean worked(MicroProcess server, long since) {
        try {
            return !one("select count(*) from it_chaos_executions where server = '" + server.name + "' and outcome = 'ok'"
                    + " and started_at > to_timestamp(" + since / 1000.0 + ")").equals("0");
        } catch (SQLException e) {
            return false;
        }
    }

    /** pg_ctl of the binaries the test PostgreSQL runs, as an unprivileged user when the test runs as root (as zonky does). */
    private void pgCtl(String... args) throws Exception {
        Path data = MicroProcess.TARGET.resolve("chaos-pg");
        Path bin = pgBin;
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.addAll(List.of("unshare", "-U"));
        }
        command.add(bin.resolve("pg_ctl").toString());
        command.addAll(List.of("-D", data.toString()));
        command.addAll(List.of(args));
        Path log = MicroProcess.TARGET.resolve("servers/chaos-pg_ctl.log");
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("pg_ctl %s finished", List.of(args)).isTrue();
        assertThat(p.exitValue()).as("pg_ctl %s (see %s)", List.of(args), log).isZero();
    }

    /** The directory of the binaries the test PostgreSQL runs (those zonky extracted), from its postmaster's executable. */
    private Path pgBin;

    private static Path binariesOf(Path data) throws IOException {
        long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
        return Path.of("/proc", Long.toString(pid), "exe").toRealPath().getParent();
    }

    /** The postmaster's options from postmaster.opts (as zonky started it), without the data directory. */
    private static List<String> postmasterOptions() throws IOException {
        String opts = Files.readString(MicroProcess.TARGET.resolve("chaos-pg/postmaster.opts")).strip();
        List<String> words = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(opts);
        while (m.find()) {
            words.add(m.group(1));
        }
        int d = words.indexOf("-D");
        if (d >= 0) {
            words.remove(d + 1);
            words.remove(d);
        }
        return words;
    }

    private static String[] startCommand(List<String> options) {
        StringBuilder o = new StringBuilder();
        for (String word : options) {
            o.append(o.length() == 0 ? "" : " ").append('"').append(word).append('"');
        }
        Path log = MicroProcess.TARGET.resolve("servers/chaos-pg.log");
        return new String[] {"start", "-w", "-t", "60", "-l", log.toString(), "-o", o.toString()};
    }

    // ---- the checks ----

    private void checkRuns() throws SQLException {
        List<Map<String, String>> runs = rows("select status, (input->>'n')::int as n, (input->>'vip') as vip,"
                + " (input->>'width')::int as width, output::text as output from pgflow.runs where flow_slug = 'it_chaos'");
        report("%d runs (%d over REST during the outages), %s tasks", runs.size(), runs.stream().filter(r -> r.get("n").startsWith("-")).count(),
                one("select count(*) from pgflow.step_tasks"));
        assertThat(runs.size()).isGreaterThanOrEqualTo(RUNS);
        for (Map<String, String> run : runs) {
            long expected = ItFlows.chaosTotal(Integer.parseInt(run.get("n")), Integer.parseInt(run.get("width")), run.get("vip").equals("true"));
            assertThat(run.get("status")).as("run %s", run).isEqualTo("completed");
            assertThat(run.get("output")).as("run %s", run).isEqualTo("{\"total\": " + expected + "}");
        }
        // the condition: bonus ran for the VIP runs only
        assertThat(rows("select (r.input->>'vip') as vip, s.status, count(*)::text as n from pgflow.step_states s"
                + " join pgflow.runs r using (run_id) where s.step_slug = 'bonus' group by 1, 2 order by 1, 2"))
                .extracting(r -> r.get("vip") + " " + r.get("status"))
                .containsExactly("false skipped", "true completed");
        assertThat(one("select count(*) from pgflow.step_tasks where status <> 'completed'")).isEqualTo("0");
    }

    /**
     * Every ended attempt of every task (task_attempts: one row per attempt that did not complete)
     * has a cause; every attempt a kill took is among them as an expired lease.
     */
    private void checkAttempts() throws SQLException {
        assertThat(rows("select t.run_id, t.step_slug, t.task_index, t.attempts_count, count(a.attempt) as ended"
                + " from pgflow.step_tasks t left join pgflow_internal.task_attempts a using (run_id, step_slug, task_index)"
                + " group by 1, 2, 3, 4 having t.attempts_count - 1 <> count(a.attempt)"))
                .as("tasks whose attempts do not add up (attempts_count - 1 = ended attempts)").isEmpty();
        List<Map<String, String>> ended = rows("select a.run_id || '/' || a.step_slug || '/' || a.task_index || '/' || a.attempt as attempt,"
                + " a.step_slug, a.task_index, (r.input->>'n')::int as n, a.outcome, a.error_message,"
                + " (extract(epoch from a.started_at) * 1000)::bigint as started, (extract(epoch from a.ended_at) * 1000)::bigint as ended"
                + " from pgflow_internal.task_attempts a join pgflow.runs r using (run_id)");
        Set<String> killed = new HashSet<>();
        kills.forEach(k -> killed.addAll(k.lost()));
        Set<String> outageInFlight = new HashSet<>();
        outages.forEach(o -> outageInFlight.addAll(o.inFlight));
        Map<String, Integer> causes = new HashMap<>();
        List<String> unexplained = new ArrayList<>();
        Set<String> expired = new HashSet<>();
        for (Map<String, String> a : ended) {
            String attempt = a.get("attempt");
            boolean first = attempt.endsWith("/1");
            long start = Long.parseLong(a.get("started"));
            long end = Long.parseLong(a.get("ended"));
            String cause;
            if (a.get("outcome").equals("failed") && first && a.get("error_message").contains("injected failure")
                    && ItFlows.chaosInjects(Integer.parseInt(a.get("n")), a.get("step_slug"), Integer.parseInt(a.get("task_index")), FAIL_PERCENT)) {
                cause = "injected failure";
            } else if (a.get("outcome").equals("lease expired") && killed.contains(attempt)) {
                cause = "lost with a killed server";
                expired.add(attempt);
            } else if (outageInFlight.contains(attempt) || outages.stream().anyMatch(o -> o.overlaps(start, end))) {
                cause = "database outage (" + a.get("outcome") + ")";
            } else {
                cause = null;
                unexplained.add(a.toString());
            }
            if (cause != null) {
                causes.merge(cause, 1, Integer::sum);
            }
        }
        report("ended attempts by cause: %s", causes);
        assertThat(unexplained).as("attempts that ended without an injected failure, a kill or an outage").isEmpty();
        assertThat(expired).as("every attempt held by a killed server came back as an expired lease").isEqualTo(killed);
        assertThat(causes.getOrDefault("injected failure", 0)).as("injected failures").isGreaterThan(0);
        // every task meant to fail once did, unless its first attempt was lost otherwise first
        List<Map<String, String>> firsts = rows("select (r.input->>'n')::int as n, t.step_slug, t.task_index,"
                + " t.run_id || '/' || t.step_slug || '/' || t.task_index || '/1' as attempt,"
                + " exists (select 1 from pgflow_internal.task_attempts a where a.run_id = t.run_id and a.step_slug = t.step_slug"
                + "   and a.task_index = t.task_index and a.attempt = 1 and a.error_message like 'injected failure%') as injected,"
                + " exists (select 1 from it_chaos_executions e where e.run_id = t.run_id and e.step_slug = t.step_slug"
                + "   and e.task_index = t.task_index and e.attempt = 1 and e.outcome = 'injected') as recorded"
                + " from pgflow.step_tasks t join pgflow.runs r using (run_id)");
        int meant = 0;
        for (Map<String, String> t : firsts) {
            boolean eligible = ItFlows.chaosInjects(Integer.parseInt(t.get("n")), t.get("step_slug"), Integer.parseInt(t.get("task_index")), FAIL_PERCENT);
            if (eligible) {
                meant++;
            }
            if (t.get("injected").equals("t")) {
                assertThat(eligible).as("injected failure of a task not meant to fail: %s", t).isTrue();
            } else if (eligible && !killed.contains(t.get("attempt")) && !outageInFlight.contains(t.get("attempt"))
                    && t.get("recorded").equals("f")) {
                // its first attempt ended otherwise (lost in an outage before the handler got to it)
                assertThat(causes.keySet().stream().anyMatch(c -> c.startsWith("database outage")))
                        .as("task meant to fail its first attempt that did not: %s", t).isTrue();
            }
        }
        report("%d of %d tasks were meant to fail their first attempt", meant, firsts.size());
    }

    /** The handlers' own records: one execution per attempt at most, and never two of a task at once. */
    private void checkExecutions() throws SQLException {
        assertThat(rows("select run_id, step_slug, task_index, attempt, count(*) from it_chaos_executions group by 1, 2, 3, 4 having count(*) > 1"))
                .as("attempts executed twice").isEmpty();
        List<Map<String, String>> executions = rows("select run_id || '/' || step_slug || '/' || task_index as task, attempt, server, pid,"
                + " (extract(epoch from started_at) * 1000)::bigint as started, (extract(epoch from ended_at) * 1000)::bigint as ended, outcome"
                + " from it_chaos_executions order by run_id, step_slug, task_index, started_at, id");
        Map<Long, Long> killedAt = new HashMap<>();
        kills.forEach(k -> killedAt.put(k.pid(), k.at()));
        int unfinishedByKill = 0;
        int unfinishedByOutage = 0;
        for (int i = 1; i < executions.size(); i++) {
            Map<String, String> before = executions.get(i - 1);
            Map<String, String> after = executions.get(i);
            if (!before.get("task").equals(after.get("task"))) {
                continue;
            }
            long next = Long.parseLong(after.get("started"));
            if (before.get("ended") != null) {
                assertThat(next).as("%s began after %s ended", after, before).isGreaterThanOrEqualTo(Long.parseLong(before.get("ended")));
                continue;
            }
            long start = Long.parseLong(before.get("started"));
            Long death = killedAt.get(Long.parseLong(before.get("pid")));
            if (death != null && death >= start - 1000) {
                assertThat(next).as("%s began after the server of %s was killed", after, before).isGreaterThan(death);
                unfinishedByKill++;
            } else {
                // the handler could not write its end: the database was away (its attempt failed there)
                assertThat(outages.stream().anyMatch(o -> o.overlaps(start, next)))
                        .as("%s never ended, yet its server lived and the database was up; then %s", before, after).isTrue();
                unfinishedByOutage++;
            }
        }
        report("%d executions; %d cut short by a kill, %d by an outage", executions.size(), unfinishedByKill, unfinishedByOutage);
        // both servers took their share, each incarnation of them
        Map<String, Long> shares = new java.util.TreeMap<>();
        executions.forEach(e -> shares.merge(e.get("server"), 1L, Long::sum));
        report("executions per server incarnation: %s", shares);
        assertThat(shares.keySet()).as("incarnations that executed tasks")
                .containsAll(servers.stream().map(s -> s.name).toList());
    }

    private void checkLeases() {
        double worst = 0;
        for (double[] sample : overdue) {
            long at = (long) sample[0];
            boolean duringOutage = outages.stream().anyMatch(o -> at >= o.from && at <= o.recovered + 1000L * LEASE_SECONDS);
            if (!duringOutage) {
                worst = Math.max(worst, sample[1]);
            }
        }
        report("longest a lease stayed expired while the database was up: %.1f s (%d samples)", worst, overdue.size());
        // an expired lease is claimed first by the next claim of any worker with a free slot
        assertThat(worst).as("seconds an expired lease waited for a worker").isLessThan(10);
    }

    private void checkProbesAndListeners() throws IOException {
        Map<String, Integer> answers = new HashMap<>();
        for (Probe p : probes) {
            answers.merge(p.what() + " " + p.status(), 1, Integer::sum);
            assertThat(p.status()).as("%s answered during the database phase", p).isIn(200, 201, 503);
            if (p.status() == 503) {
                JsonObject body = Json.createReader(new StringReader(p.body())).readObject();
                if (p.what().equals("ready")) {
                    assertThat(body.getString("status")).isEqualTo("DOWN");
                } else {
                    assertThat(body.getString("title")).as("%s", p).isEqualTo("Database unavailable");
                }
            }
        }
        report("probes during the database phase: %s", answers);
        Map<String, Long> slowest = new java.util.TreeMap<>();
        probes.forEach(p -> slowest.merge(p.server() + " " + p.what() + " " + p.status(), p.ms(), Math::max));
        report("slowest answer (ms) by server, probe and status: %s", slowest);
        // an answer, not a wait: EclipseLink's default retries of a read (3 x 5 s) held answers for 12 s
        assertThat(probes).as("answers within 10 s during the outages").allSatisfy(p -> assertThat(p.ms()).as("%s", p).isLessThan(10_000));
        Outage held = outages.get(1);
        for (String server : live.keySet().stream().map(name -> live.get(name).name).toList()) {
            assertThat(probes).as("%s said DOWN and refused runs with 503 while the database was down", server)
                    .anySatisfy(p -> assertThat(p.server() + " " + p.what() + " " + p.status()).isEqualTo(server + " ready 503"))
                    .anySatisfy(p -> assertThat(p.server() + " " + p.what() + " " + p.status()).isEqualTo(server + " start 503"));
            assertThat(probes.stream().filter(p -> p.server().equals(server) && p.at() > held.recovered))
                    .as("%s after the recovery", server).allSatisfy(p -> assertThat(p.status()).isIn(200, 201));
            String log = Files.readString(MicroProcess.TARGET.resolve("servers/server-" + server + ".log"));
            // once per outage: reconnecting is retried every 2 s, and the test waited for both after each
            assertThat(count(log, "PGFLOW-040 wake-up listener reconnected")).as("%s's wake-up LISTEN reconnections", server).isEqualTo(2);
        }
    }

    // ---- helpers ----

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void report(String format, Object... args) {
        System.out.println("chaos: " + java.time.LocalTime.now(java.time.ZoneOffset.UTC).truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                + " " + String.format(Locale.ROOT, format, args));
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(url, "postgres", "postgres");
    }

    private void exec(String sql) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private String one(String sql) throws SQLException {
        return rows(sql).get(0).values().iterator().next();
    }

    private List<Map<String, String>> rows(String sql) throws SQLException {
        try (Connection c = connect()) {
            return ItSql.rows(c, sql);
        }
    }
}
