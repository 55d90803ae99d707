package io.pgflowee.bench;

import static io.pgflowee.bench.CoreWorker.exec;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.postgresql.PGConnection;

import io.pgflowee.migrations.PgflowMigrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Drives the SQL API directly over JDBC, as a worker does, against a real PostgreSQL 17 with
 * durable settings (fsync on, synchronous_commit on). Measures, for docs/performance.md:
 * <ul>
 *   <li>throughput (completed tasks per second) of a 3-step chain and of a fan-out flow (1 root,
 *       a map over 50 items, 1 join) for each worker count;</li>
 *   <li>client round trips and server commits per task;</li>
 *   <li>start-to-claim pickup latency with idle workers woken by NOTIFY;</li>
 *   <li>claim time with an empty table and with a million finished tasks in it;</li>
 *   <li>operator controls ({@code only=controls}): pickup of a new run's task while a wide map
 *       drains (fair claiming), and chain throughput with a concurrency limit that never binds
 *       (the cost of the per-flow claim lock) and with one that does.</li>
 *   <li>schedules ({@code only=schedules}): creating {@code schedules} schedules, an idle
 *       {@code tick()} among them, every one of them due at once (the ticks it takes, as the
 *       servers' ticker calls them), a day of missed minutely firings caught up, and a console
 *       page's next firings.</li>
 *   <li>error search ({@code only=errors}): the runs list's search by error text over {@code tasks}
 *       tasks, 1 % failed: its page query and its capped count, for a rare, a common and an absent text.</li>
 *   <li>per-key control ({@code only=keys}): the chain over {@code keys} concurrency keys with a
 *       limit of 1 per key against the chain without keys, and the cost of one claim from
 *       {@code queued} tasks over {@code queuedKeys} keys.</li>
 * </ul>
 * Usage: {@code SqlCoreBenchmark [workers=1,4] [runs=2000] [fanoutRuns=100] [batch=50]
 * [mode=batch|single] [pickups=200] [finished=1000000] [fairMap=10000] [only=claims|controls|pickup|throughput|keys|schedules|errors] [tasks=1000000] [schedules=5000] [keys=1000] [rounds=3] [queued=100000] [queuedKeys=10000] [stats=on] [setup=<file of SQL run after the migrations>] [compare=<file> rounds=3]}; with {@code compare} the chain and the fan-out alternate between this database and a second one the file's SQL set up, {@code rounds} times, and the medians of the rates and of the server's CPU per task (while the workers run) are compared; with {@code stats=on} pg_stat_statements is loaded and each throughput line is followed by the database time per task and the costliest statements inside the calls.
 */
public final class SqlCoreBenchmark {

    private final DataSource ds;
    private final int batch;
    private final boolean batchCompletion;
    private final boolean claimWithCompletion;
    private final boolean stats;
    /** With a postmaster's pid, throughput() measures the server's CPU per task while the workers run (compare=). */
    private long postmaster;
    private double lastCpuMicrosPerTask;

    private SqlCoreBenchmark(DataSource ds, int batch, boolean batchCompletion, boolean claimWithCompletion, boolean stats) {
        this.claimWithCompletion = claimWithCompletion;
        this.ds = ds;
        this.batch = batch;
        this.batchCompletion = batchCompletion;
        this.stats = stats;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        int[] workers = Arrays.stream(opts.getOrDefault("workers", "1,4").split(",")).mapToInt(Integer::parseInt).toArray();
        int runs = Integer.parseInt(opts.getOrDefault("runs", "2000"));
        int fanoutRuns = Integer.parseInt(opts.getOrDefault("fanoutRuns", "100"));
        int batch = Integer.parseInt(opts.getOrDefault("batch", "50")); // the workers' default batchSize
        boolean batchCompletion = !"single".equals(opts.getOrDefault("mode", "batch"));
        // mode=claiming: each batch's completion claims the next batch (complete_tasks_and_claim)
        boolean claimWithCompletion = "claiming".equals(opts.get("mode"));
        int pickups = Integer.parseInt(opts.getOrDefault("pickups", "200"));
        int pickupWorkers = Integer.parseInt(opts.getOrDefault("pickupWorkers", "4")); // idle workers that LISTEN
        int finished = Integer.parseInt(opts.getOrDefault("finished", "1000000"));
        boolean stats = "on".equals(opts.get("stats"));

        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
        if (stats) {
            // database time per task from pg_stat_statements: top-level calls (what workers send)
            // and, with track=all, the statements inside the functions, foreign-key checks included
            builder.setServerConfig("shared_preload_libraries", "pg_stat_statements")
                    .setServerConfig("pg_stat_statements.track", "all")
                    .setServerConfig("pg_stat_statements.max", "10000");
        }
        try (EmbeddedPostgres pg = builder
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on")
                .setServerConfig("max_connections", "100")
                .setServerConfig("shared_buffers", "256MB")
                .start()) {
            DataSource ds = pg.getPostgresDatabase();
            try (Connection c = ds.getConnection()) {
                PgflowMigrations.apply(c);
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                        "select version(), current_setting('synchronous_commit'), current_setting('fsync')")) {
                    rs.next();
                    System.out.printf("# %s%n# synchronous_commit=%s fsync=%s, %d cores, batch=%d, completion=%s%n",
                            rs.getString(1), rs.getString(2), rs.getString(3),
                            Runtime.getRuntime().availableProcessors(), batch, claimWithCompletion ? "complete_tasks_and_claim (each batch's completion claims the next)"
                                    : batchCompletion ? "complete_tasks (one call per claimed batch)" : "complete_task (one call per task)");
                }
            }
            prepare(ds, stats, opts.get("setup"));
            SqlCoreBenchmark bench = new SqlCoreBenchmark(ds, batch, batchCompletion, claimWithCompletion, stats);
            bench.calibrate(4, 5);
            if (opts.containsKey("compare")) {
                // a second database in the same cluster, the layout or setting under test applied to it
                try (Connection c = ds.getConnection()) {
                    exec(c, "create database compare");
                }
                DataSource other = pg.getDatabase("postgres", "compare");
                try (Connection c = other.getConnection()) {
                    PgflowMigrations.apply(c);
                }
                prepare(other, stats, opts.get("compare"));
                compare(bench, new SqlCoreBenchmark(other, batch, batchCompletion, claimWithCompletion, stats), workers, runs, fanoutRuns,
                        Integer.parseInt(opts.getOrDefault("rounds", "3")));
                return;
            }
            if ("claims".equals(opts.get("only"))) {
                bench.claimCost(finished);
                return;
            }
            if ("pickup".equals(opts.get("only"))) {
                bench.pickupLatency(pickupWorkers, pickups);
                return;
            }
            if ("throughput".equals(opts.get("only"))) {
                for (int w : workers) {
                    bench.throughput("chain", runs, 3, w);
                    bench.throughput("fanout", fanoutRuns, 52, w);
                }
                return;
            }
            if ("keys".equals(opts.get("only"))) {
                bench.keys(runs, workers[workers.length - 1], Integer.parseInt(opts.getOrDefault("keys", "1000")),
                        Integer.parseInt(opts.getOrDefault("rounds", "3")), Integer.parseInt(opts.getOrDefault("queued", "100000")),
                        Integer.parseInt(opts.getOrDefault("queuedKeys", "10000")));
                return;
            }
            if ("errors".equals(opts.get("only"))) {
                bench.errorSearch(Integer.parseInt(opts.getOrDefault("tasks", "1000000")));
                return;
            }
            if ("schedules".equals(opts.get("only"))) {
                bench.schedules(Integer.parseInt(opts.getOrDefault("schedules", "5000")));
                return;
            }
            if ("controls".equals(opts.get("only"))) {
                int w = workers[workers.length - 1];
                bench.fairPickup(w, Integer.parseInt(opts.getOrDefault("fairMap", "10000")));
                bench.throughput("chain", runs, 3, w);
                bench.limited("chain", runs, w, 100_000);
                bench.limited("chain", runs, w, 8);
                return;
            }
            for (int w : workers) {
                bench.throughput("chain", runs, 3, w);
                bench.throughput("fanout", fanoutRuns, 52, w);
            }
            // the cost of live events: the same chain while a console subscribes to every run's events
            try (Connection c = ds.getConnection()) {
                exec(c, "select pgflow.subscribe_events('" + UUID.randomUUID() + "', null, 3600)", "listen pgflow_events");
                System.out.println("# with a live subscription to all events (every transition NOTIFYs pgflow_events):");
                bench.throughput("chain", runs, 3, workers[workers.length - 1]);
                exec(c, "delete from pgflow_internal.event_subscriptions");
            }
            bench.pickupLatency(pickupWorkers, pickups);
            bench.claimCost(finished);
        }
    }

    /** The benchmark's flows, pg_stat_statements when asked, then the SQL of {@code setupFile} if any. */
    private static void prepare(DataSource ds, boolean stats, String setupFile) throws Exception {
        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.create_flow('chain')", "select pgflow.add_step('chain', 's1')",
                    "select pgflow.add_step('chain', 's2', ARRAY['s1'])", "select pgflow.add_step('chain', 's3', ARRAY['s2'])",
                    "select pgflow.create_flow('fanout')", "select pgflow.add_step('fanout', 'root')",
                    "select pgflow.add_step('fanout', 'each', ARRAY['root'], step_type => 'map')",
                    "select pgflow.add_step('fanout', 'join', ARRAY['each'])",
                    "select pgflow.create_flow('ping')", "select pgflow.add_step('ping', 'pong')");
            if (stats) {
                exec(c, "create extension if not exists pg_stat_statements");
            }
            if (setupFile != null) {
                // SQL run once after the migrations, to compare variants in one session (a setting, a layout)
                String sql = java.nio.file.Files.readString(java.nio.file.Path.of(setupFile));
                exec(c, sql);
                System.out.println("# setup " + setupFile + " on " + c.getCatalog() + ": " + sql.strip());
            }
        }
    }

    /**
     * {@code compare=<file>}: the chain and the fan-out on this database (A) and on a second one
     * set up with the file's SQL (B), alternating A and B within each round and swapping which goes
     * first every round, a checkpoint before each measurement; then the medians and B's median
     * against A's. The two share the cluster, its buffers and its disk, so a drift of the machine
     * reaches both.
     */
    private static void compare(SqlCoreBenchmark a, SqlCoreBenchmark b, int[] workers, int runs, int fanoutRuns, int rounds)
            throws Exception {
        Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
        try (Connection c = a.ds.getConnection()) {
            a.postmaster = postmasterOf(c); // one cluster: the same for both
            b.postmaster = a.postmaster;
        }
        for (int round = 1; round <= rounds; round++) {
            System.out.println("# round " + round);
            for (int w : workers) {
                for (String flow : List.of("chain", "fanout")) {
                    SqlCoreBenchmark[] order = round % 2 == 1 ? new SqlCoreBenchmark[] {a, b} : new SqlCoreBenchmark[] {b, a};
                    for (SqlCoreBenchmark x : order) {
                        String label = x == a ? "A" : "B";
                        try (Connection c = x.ds.getConnection()) {
                            exec(c, "checkpoint");
                        }
                        System.out.print(label + " ");
                        double rate = "chain".equals(flow) ? x.throughput(flow, runs, 3, w) : x.throughput(flow, fanoutRuns, 52, w);
                        rates.computeIfAbsent(flow + " workers=" + w + " " + label, k -> new ArrayList<>()).add(rate);
                        rates.computeIfAbsent(flow + " workers=" + w + " cpu " + label, k -> new ArrayList<>()).add(x.lastCpuMicrosPerTask);
                    }
                }
            }
        }
        System.out.println("# medians of " + rounds + " rounds (tasks/s), B against A");
        for (int w : workers) {
            for (String flow : List.of("chain", "fanout")) {
                double ma = medianOf(rates.get(flow + " workers=" + w + " A"));
                double mb = medianOf(rates.get(flow + " workers=" + w + " B"));
                double ca = medianOf(rates.get(flow + " workers=" + w + " cpu A"));
                double cb = medianOf(rates.get(flow + " workers=" + w + " cpu B"));
                System.out.printf("%-6s workers=%d: A %.0f, B %.0f: %+.1f %%; database CPU per task A %.0f us, B %.0f us: %+.1f %%%n",
                        flow, w, ma, mb, (mb / ma - 1) * 100, ca, cb, (cb / ca - 1) * 100);
            }
        }
    }

    /** The postmaster of the server {@code c} is connected to: its backend's parent process. */
    private static long postmasterOf(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return ProcCpu.parentOf(rs.getLong(1));
        }
    }

    /**
     * CPU seconds the whole server has used: the postmaster's and its running children's, and its
     * reaped children's (backends that ended: the benchmark's workers disconnect after each case).
     */
    private static double clusterCpuSeconds(long postmaster) throws Exception {
        return ProcCpu.treeCpuSeconds(postmaster) + ProcCpu.reapedChildrenCpuSeconds(postmaster);
    }

    private static double medianOf(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private void calibrate(int clients, int seconds) throws Exception {
        Calibration.print(ds, clients, seconds);
    }

    private double throughput(String flow, int runs, int tasksPerRun, int workers) throws Exception {
        return throughput(flow, runs, tasksPerRun, workers, 0);
    }

    /** As above; with {@code keys > 0} run i gets the concurrency key {@code k<i % keys>}. Returns tasks/s. */
    private double throughput(String flow, int runs, int tasksPerRun, int workers, int keys) throws Exception {
        long startNanos = System.nanoTime();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (int done = 0; done < runs; done += 100) {
                st.execute("select count(*) from generate_series(1, " + Math.min(100, runs - done)
                        + ") g, lateral pgflow.start_flow('" + flow + "', jsonb_build_object('i', g)"
                        + (keys > 0 ? ", concurrency_key => 'k' || ((" + done + " + g) % " + keys + ")" : "") + ")");
            }
        }
        double startSeconds = (System.nanoTime() - startNanos) / 1e9;
        long expected = (long) runs * tasksPerRun;
        try (Connection c = ds.getConnection()) {
            // statistics as autovacuum keeps them on a live database: without them the first run's
            // cached plans are made for empty tables (sequential scans that stay when the tables grow)
            exec(c, "analyze pgflow.runs, pgflow.step_states, pgflow.step_tasks");
        }
        AtomicLong completed = new AtomicLong();
        AtomicLong roundTrips = new AtomicLong();
        if (stats) {
            try (Connection c = ds.getConnection()) {
                exec(c, "select pg_stat_statements_reset()");
            }
        }
        long commitsBefore = commits();
        double cpuBefore = postmaster > 0 ? clusterCpuSeconds(postmaster) : 0;
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(() -> CoreWorker.run(ds, flow, batch, batchCompletion, claimWithCompletion, () -> completed.get() >= expected, completed, roundTrips),
                    "worker-" + i);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        // the server's CPU per task while the workers ran: steadier than the rate on a shared machine. The
        // workers' backends end after their connections close; their time counts once the postmaster reaped them
        if (postmaster > 0) {
            Thread.sleep(300);
        }
        lastCpuMicrosPerTask = postmaster > 0 ? (clusterCpuSeconds(postmaster) - cpuBefore) * 1e6 / expected : Double.NaN;
        long commits = commits() - commitsBefore;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) filter (where status = 'completed'), count(*) from pgflow.runs where flow_slug = '" + flow + "'")) {
            rs.next();
            if (rs.getLong(1) != rs.getLong(2)) {
                throw new IllegalStateException(flow + ": " + rs.getLong(1) + " of " + rs.getLong(2) + " runs completed");
            }
        }
        System.out.printf("%-6s workers=%d runs=%d tasks=%d: %.0f tasks/s (%.2f s); %.2f round trips/task, %.2f commits/task;"
                        + " start_flow: %.0f runs/s%n",
                flow, workers, runs, expected, expected / seconds, seconds, (double) roundTrips.get() / expected,
                (double) commits / expected, runs / startSeconds);
        if (postmaster > 0) {
            System.out.printf("  database CPU per task while the workers ran: %.0f us%n", lastCpuMicrosPerTask);
        }
        if (stats) {
            databaseTime(expected);
        }
        return expected / seconds;
    }

    /**
     * Per-key control (issue 32): the chain with its runs spread over {@code keys} concurrency keys
     * and {@code set_key_concurrency(1)}, against the same chain without keys, alternated
     * {@code rounds} times (target: at least half the unlimited rate); then the cost of a claim of
     * 10 from a queue of {@code queued} tasks over {@code queuedKeys} keys, with and without a
     * per-key limit of 1 (target: under 5 ms).
     */
    private void keys(int runs, int workers, int keys, int rounds, int queued, int queuedKeys) throws Exception {
        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.create_flow('keyed')", "select pgflow.add_step('keyed', 's1')",
                    "select pgflow.add_step('keyed', 's2', ARRAY['s1'])", "select pgflow.add_step('keyed', 's3', ARRAY['s2'])",
                    "select pgflow.set_key_concurrency('keyed', 1)");
        }
        List<Double> ratios = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            System.out.printf("# round %d: the chain without keys, then over %d keys with set_key_concurrency(1)%n", round, keys);
            double plain = throughput("chain", runs, 3, workers);
            double keyed = throughput("keyed", runs, 3, workers, keys);
            ratios.add(keyed / plain);
        }
        Collections.sort(ratios);
        if (!ratios.isEmpty()) {
            System.out.printf("# %d keys, limit 1 per key: %.2f-%.2f of the unlimited chain rate, median %.2f (target at least 0.50)%n", keys,
                ratios.get(0), ratios.get(ratios.size() - 1), ratios.get(ratios.size() / 2));
        }

        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.create_flow('wide')", "select pgflow.add_step('wide', 'only')",
                    "select count(*) from pgflow.start_flows('wide', array_fill('{}'::jsonb, array[" + queued + "]), null,"
                            + " array(select 'k' || (g % " + queuedKeys + ") from generate_series(1, " + queued + ") g))",
                    "analyze pgflow.step_tasks, pgflow_internal.concurrency_keys");
        }
        claimCostByKey(queued, queuedKeys, false);
        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.set_key_concurrency('wide', 1)");
        }
        claimCostByKey(queued, queuedKeys, true);
    }

    /** How many tick() calls said "more" (the ticker calls again at once; otherwise a second later). */
    private int moreSaid;

    /** One tick() call: its summary's schedules_fired, and how long it took (ms) in {@code ms}. */
    private int tick(Connection c, List<Double> ms) throws SQLException {
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select t ->> 'schedules_fired', t ->> 'more'"
                + " from pgflow.tick() t")) {
            rs.next();
            ms.add((System.nanoTime() - t0) / 1e6);
            if ("true".equals(rs.getString(2))) {
                moreSaid++;
            }
            return Integer.parseInt(rs.getString(1));
        }
    }

    private static String percentiles(List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        return String.format("median %.2f ms, p95 %.2f ms, max %.2f ms over %d calls", sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() * 95 / 100), sorted.get(sorted.size() - 1), sorted.size());
    }

    /**
     * The runs list's error search ({@code RunFilter.errorContains}): {@code tasks} tasks (100 per
     * run), 1 % of them failed with an error text, as many earlier attempts; then the runs page's
     * query (the runs whose tasks' or attempts' error contains a text, any case, newest first, 26
     * rows) and its totals' count for a rare text, a common one and one found nowhere.
     */
    private void errorSearch(int tasks) throws Exception {
        int runs = Math.max(1, tasks / 100);
        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.create_flow('errs')", "select pgflow.add_step('errs', 'fetch', step_type => 'map')");
            long t0 = System.nanoTime();
            exec(c, "insert into pgflow.runs (flow_slug, status, input, started_at, failed_at) select 'errs', 'failed', '[]',"
                    + " now() - make_interval(secs => g), now() from generate_series(1, " + runs + ") g",
                    "insert into pgflow.step_states (flow_slug, run_id, step_slug, status, initial_tasks, remaining_tasks, failed_at)"
                    + " select 'errs', r.run_id, 'fetch', 'failed', 100, 1, now() from pgflow.runs r where r.flow_slug = 'errs'",
                    "insert into pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, status, attempts_count, error_message, failed_at,"
                    + " visible_at) select 'errs', r.run_id, 'fetch', i, case when (hashtext(r.run_id::text) + i) % 100 = 0 then 'failed'"
                    + " else 'completed' end, 1, case when (hashtext(r.run_id::text) + i) % 100 = 0 then format("
                    + "'java.net.SocketException: Connection reset by peer (host db-%s:5432)\n at io.example.Fetch.run(Fetch.java:%s)',"
                    + " abs(hashtext(r.run_id::text)) % 100000, i) end, case when (hashtext(r.run_id::text) + i) % 100 = 0 then now() end,"
                    + " 'infinity' from pgflow.runs r, generate_series(0, 99) i where r.flow_slug = 'errs'",
                    "insert into pgflow_internal.task_attempts (run_id, step_slug, task_index, attempt, outcome, error_message, ended_at)"
                    + " select t.run_id, t.step_slug, t.task_index, 1, 'failed', 'java.util.concurrent.TimeoutException: upstream took '"
                    + " || (t.task_index * 37 % 1000) || ' ms', now() from pgflow.step_tasks t where t.flow_slug = 'errs' and t.status = 'failed'",
                    // fail_task keeps the last failure as an attempt too
                    "insert into pgflow_internal.task_attempts (run_id, step_slug, task_index, attempt, outcome, error_message, ended_at)"
                    + " select t.run_id, t.step_slug, t.task_index, 2, 'failed', t.error_message, now() from pgflow.step_tasks t"
                    + " where t.flow_slug = 'errs' and t.status = 'failed'",
                    "analyze pgflow.runs", "analyze pgflow.step_tasks", "analyze pgflow_internal.task_attempts");
            long failed = scalarLong(c, "select count(*) from pgflow.step_tasks where flow_slug = 'errs' and error_message is not null");
            System.out.printf("# %,d tasks of %,d runs, %,d with an error (2 attempts each in task_attempts), loaded in %.1f s%n", tasks, runs,
                    failed, (System.nanoTime() - t0) / 1e9);
            String hostOfOne = scalarText(c, "select substring(error_message from 'db-[0-9]+:') from pgflow.step_tasks"
                    + " where flow_slug = 'errs' and error_message is not null limit 1");
            String[][] texts = {{"rare (one run's host)", hostOfOne}, {"common (every failure)", "CONNECTION RESET"},
                {"an earlier attempt's", "upstream took 111 ms"}, {"nowhere", "no such error text"}};
            String in = "r.run_id IN (SELECT a.run_id FROM pgflow_internal.task_attempts a WHERE a.error_message ILIKE ?)";
            for (String[] text : texts) {
                List<Double> page = new ArrayList<>();
                List<Double> count = new ArrayList<>();
                int found = 0;
                for (int i = 0; i < 20; i++) {
                    long s0 = System.nanoTime();
                    found = rows(c, "SELECT r.run_id FROM pgflow.runs r WHERE " + in + " ORDER BY r.started_at DESC, r.run_id DESC LIMIT 26",
                            "%" + text[1] + "%");
                    page.add((System.nanoTime() - s0) / 1e6);
                    s0 = System.nanoTime();
                    rows(c, "SELECT count(*) FROM (SELECT 1 FROM pgflow.runs r WHERE " + in + " AND r.status = 'failed' LIMIT 10001) x",
                            "%" + text[1] + "%");
                    count.add((System.nanoTime() - s0) / 1e6);
                }
                System.out.printf("# error contains %s \"%s\": %d runs on the page; page query %s; failed count %s%n", text[0], text[1], found,
                        percentiles(page), percentiles(count));
            }
        }
    }

    private static int rows(Connection c, String sql, String like) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, like);
            int n = 0;
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    n++;
                }
            }
            return n;
        }
    }

    private static long scalarLong(Connection c, String sql) throws Exception {
        try (var st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String scalarText(Connection c, String sql) throws Exception {
        try (var st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void schedules(int count) throws Exception {
        String[] zones = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"};
        try (Connection c = ds.getConnection()) {
            // only the benchmark's own (the example flows' changelogs declare two)
            exec(c, "delete from pgflow_internal.schedules");
            long t0 = System.nanoTime();
            try (PreparedStatement create = c.prepareStatement("select (pgflow.create_schedule(?, 'ping', ?, '{}', ?)).schedule_name")) {
                for (int i = 0; i < count; i++) {
                    create.setString(1, "s" + i);
                    create.setString(2, (i % 60) + " " + (i % 7 == 0 ? "*/2" : "*") + " * * " + (i % 3 == 0 ? "MON-FRI" : "*"));
                    create.setString(3, zones[i % zones.length]);
                    create.executeQuery().close();
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            exec(c, "analyze pgflow_internal.schedules");
            System.out.printf("# created %,d schedules (hourly-style crons, 4 time zones) in %.1f s: %,.0f a second%n", count, seconds, count / seconds);

            List<Double> idle = new ArrayList<>();
            exec(c, "update pgflow_internal.schedules set next_fire_at = now() + interval '1 hour'");
            for (int i = 0; i < 200; i++) {
                tick(c, idle);
            }
            System.out.printf("# tick() among %,d schedules, none due (what every server pays each second): %s%n", count, percentiles(idle));

            // every schedule due at once (the servers were down for a minute): the ticker calls again while "more" (10 calls a second)
            exec(c, "update pgflow_internal.schedules set next_fire_at = now() - interval '1 minute'");
            List<Double> due = new ArrayList<>();
            int fired = 0;
            int calls = 0;
            moreSaid = 0;
            t0 = System.nanoTime();
            while (fired < count && calls < 10 * count) {
                fired += tick(c, due);
                calls++;
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            long runs = one(c, "select count(*) from pgflow.runs where flow_slug = 'ping' and idempotency_key like 'schedule:%'");
            System.out.printf("# %,d schedules due at once: %,d runs started by %d tick() calls (%d said more: called again at once, the"
                    + " others a second later) in %.2f s of calls (%,.0f firings a second); per call %s%n",
                    count, runs, calls, moreSaid, seconds, runs / seconds, percentiles(due));
            // one minutely schedule, down for a day, catch_up 'all': 1,440 missed firings
            exec(c, "select pgflow.create_schedule('minutely', 'ping', '* * * * *', '{}', 'UTC', 'all')",
                    "update pgflow_internal.schedules set next_fire_at = next_fire_at + interval '1 hour' where schedule_name <> 'minutely'",
                    "update pgflow_internal.schedules set next_fire_at = date_trunc('minute', now()) - interval '1 day' where schedule_name = 'minutely'");
            List<Double> catchUp = new ArrayList<>();
            fired = 0;
            calls = 0;
            t0 = System.nanoTime();
            int got;
            do {
                got = tick(c, catchUp);
                fired += got;
                calls++;
            } while (got > 0 && calls < 100);
            seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("# a minutely schedule down for a day, catch_up all: %,d runs started by %d tick() calls in %.2f s; per call %s%n",
                    fired, calls, seconds, percentiles(catchUp));

            List<Double> page = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long p0 = System.nanoTime();
                one(c, "select count(*) from (select array(select pgflow.schedule_firings(s.schedule_name, 5)) from pgflow_internal.schedules s"
                        + " order by s.schedule_name limit 50) x");
                page.add((System.nanoTime() - p0) / 1e6);
            }
            System.out.printf("# next 5 firings of a page of 50 schedules (the console's, /api/schedules): %s%n", percentiles(page));
        }
    }

    private static long one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void claimCostByKey(int queued, int queuedKeys, boolean limited) throws Exception {
        UUID me = UUID.randomUUID();
        List<Double> ms = new ArrayList<>();
        long claimed = 0;
        try (Connection c = ds.getConnection();
             PreparedStatement claim = c.prepareStatement("select count(*) from pgflow.claim_tasks('wide', ?, 10)")) {
            exec(c, "select pgflow.register_worker('" + me + "', 'wide', 'bench')");
            claim.setObject(1, me);
            for (int i = 0; i < 300; i++) {
                long t0 = System.nanoTime();
                try (ResultSet rs = claim.executeQuery()) {
                    rs.next();
                    claimed += rs.getLong(1);
                }
                ms.add((System.nanoTime() - t0) / 1e6);
            }
        }
        Collections.sort(ms);
        System.out.printf("# claim of 10 from %,d queued tasks over %,d keys%s: median %.2f ms, p95 %.2f ms, max %.2f ms over %d claims"
                        + " (%d tasks claimed; target under 5 ms)%n", queued, queuedKeys, limited ? ", set_key_concurrency(1)" : ", no limit",
                ms.get(ms.size() / 2), ms.get(ms.size() * 95 / 100), ms.get(ms.size() - 1), ms.size(), claimed);
    }

    /**
     * Prints the database time per completed task from pg_stat_statements (reset before the
     * workers started, so start_flow is not in it): the top-level calls the workers made, then the
     * statements inside them that cost most, with how often they ran per task.
     */
    private void databaseTime(long tasks) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select sum(total_exec_time), sum(calls) from pg_stat_statements"
                    + " where toplevel and query not like '%pg_stat_statements%' and query ~* 'claim_tasks|complete_task|register_worker|mark_worker'")) {
                rs.next();
                System.out.printf("  database time per task: %.3f ms (%.2f top-level calls/task)%n",
                        rs.getDouble(1) / tasks, rs.getDouble(2) / tasks);
            }
            try (ResultSet rs = st.executeQuery("select coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0),"
                    + " string_agg(DISTINCT substring(query from 'FROM ONLY (\\S+)'), ', ')"
                    + " from pg_stat_statements where query like '%FROM ONLY%FOR KEY SHARE OF%'")) {
                rs.next();
                System.out.printf("  of which foreign-key checks: %.3f ms (%.2f per task; tables %s)%n",
                        rs.getDouble(1) / tasks, rs.getDouble(2) / tasks, rs.getString(3));
            }
            try (ResultSet rs = st.executeQuery("select total_exec_time, calls, regexp_replace(query, '\\s+', ' ', 'g')"
                    + " from pg_stat_statements where not toplevel order by total_exec_time desc limit 12")) {
                while (rs.next()) {
                    String q = rs.getString(3);
                    System.out.printf("    %.3f ms/task, %.2f calls/task: %s%n", rs.getDouble(1) / tasks, rs.getDouble(2) / tasks,
                            q.length() > 110 ? q.substring(0, 110) + "..." : q);
                }
            }
        }
    }

    private void pickupLatency(int workers, int samples) throws Exception {
        Map<UUID, Long> startedAt = new ConcurrentHashMap<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Long> startCalls = Collections.synchronizedList(new ArrayList<>());
        List<Long> wakeUps = Collections.synchronizedList(new ArrayList<>());
        List<Long> claimCalls = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch ready = new CountDownLatch(workers);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(() -> {
                UUID me = UUID.randomUUID();
                try (Connection c = ds.getConnection();
                     PreparedStatement claim = c.prepareStatement("select run_id, task_index from pgflow.claim_tasks('ping', ?, 10)");
                     PreparedStatement complete = c.prepareStatement("select 1 from pgflow.complete_task(?, 'pong', ?, '1')")) {
                    exec(c, "select pgflow.register_worker('" + me + "', 'ping', 'bench')", "listen pgflow_tasks");
                    claim.setObject(1, me);
                    ready.countDown();
                    while (!stop.get()) {
                        List<UUID> got = new ArrayList<>();
                        long claimBegan = System.nanoTime();
                        try (ResultSet rs = claim.executeQuery()) {
                            long now = System.nanoTime();
                            while (rs.next()) {
                                UUID run = (UUID) rs.getObject(1);
                                Long t0 = startedAt.remove(run);
                                if (t0 != null) {
                                    latencies.add(now - t0);
                                    claimCalls.add(now - claimBegan);
                                    wakeUps.add(claimBegan - t0);
                                }
                                got.add(run);
                            }
                        }
                        for (UUID run : got) {
                            complete.setObject(1, run);
                            complete.setInt(2, 0);
                            complete.executeQuery().close();
                        }
                        if (got.isEmpty()) {
                            // idle: wait for a wake-up, polling every 100 ms as the fallback
                            c.unwrap(PGConnection.class).getNotifications(100);
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "idle-worker-" + i);
            threads.add(t);
            t.start();
        }
        ready.await(30, TimeUnit.SECONDS);
        Thread.sleep(300);
        if (stats) {
            try (Connection c = ds.getConnection()) {
                exec(c, "select pg_stat_statements_reset()");
            }
        }
        try (Connection c = ds.getConnection(); PreparedStatement start = c.prepareStatement(
                "select run_id from pgflow.start_flow('ping', '{}', ?)")) {
            for (int i = 0; i < samples; i++) {
                UUID run = UUID.randomUUID();
                long t0 = System.nanoTime();
                startedAt.put(run, t0);
                start.setObject(1, run);
                start.executeQuery().close();
                startCalls.add(System.nanoTime() - t0);
                Thread.sleep(25);
            }
        }
        Thread.sleep(500);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("pickup (start_flow call to claim returning the task), %d idle workers, %d samples: p50 %.2f ms, p95 %.2f ms, max %.2f ms%n",
                workers, sorted.size(), BenchOptions.percentileMillis(sorted, 50), BenchOptions.percentileMillis(sorted, 95), sorted.get(sorted.size() - 1) / 1e6);
        // where it goes: the start_flow call (its commit included), from the call to the winning
        // claim's first byte sent (the notification's way and the worker's wake-up), and that claim
        System.out.printf("  of which: start_flow call p50 %.2f ms; start to claim sent p50 %.2f ms; the winning claim call p50 %.2f ms%n",
                median(startCalls), median(wakeUps), median(claimCalls));
        if (stats) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "select mean_exec_time, calls, toplevel, regexp_replace(query, '\\s+', ' ', 'g') from pg_stat_statements"
                            + " where query not like '%pg_stat_statements%' order by total_exec_time desc limit 14")) {
                while (rs.next()) {
                    String q = rs.getString(4);
                    System.out.printf("    %s %.3f ms x %d: %s%n", rs.getBoolean(3) ? "call" : "  in", rs.getDouble(1), rs.getLong(2),
                            q.length() > 120 ? q.substring(0, 120) + "..." : q);
                }
            }
        }
    }

    private static double median(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return BenchOptions.percentileMillis(sorted, 50);
    }

    /** Chain throughput with a concurrency limit of {@code maxRunning} on the flow (removed afterwards). */
    private void limited(String flow, int runs, int workers, int maxRunning) throws Exception {
        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.set_flow_concurrency('" + flow + "', " + maxRunning + ")");
            System.out.printf("# %s with set_flow_concurrency(%d) (%s):%n", flow, maxRunning,
                    maxRunning >= workers * batch ? "never binding: the cost of the claim lock" : "binding");
            throughput(flow, runs, 3, workers);
            exec(c, "select pgflow.set_flow_concurrency('" + flow + "', null)");
        }
    }

    /**
     * Fair claiming: {@code workers} busy workers drain a root map of {@code width} tasks while a
     * new one-task run of the same flow starts every 20 ms; prints the start-to-claim time of those
     * runs and how many map tasks were still queued when the last one was claimed.
     */
    private void fairPickup(int workers, int width) throws Exception {
        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.create_flow('fairmap')", "select pgflow.add_step('fairmap', 'each', step_type => 'map')",
                    "select count(*) from pgflow.start_flow('fairmap', (select jsonb_agg(g) from generate_series(1, " + width + ") g))");
        }
        Map<UUID, Long> startedAt = new ConcurrentHashMap<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong mapTasksDone = new AtomicLong();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(() -> {
                UUID me = UUID.randomUUID();
                try (Connection c = ds.getConnection();
                     PreparedStatement claim = c.prepareStatement("select run_id, task_index from pgflow.claim_tasks('fairmap', ?, ?)");
                     PreparedStatement complete = c.prepareStatement(
                             "select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::jsonb[])")) {
                    exec(c, "select pgflow.register_worker('" + me + "', 'fairmap', 'bench')");
                    claim.setObject(1, me);
                    claim.setInt(2, batch);
                    while (!stop.get()) {
                        List<Object> ids = new ArrayList<>();
                        List<Integer> indexes = new ArrayList<>();
                        try (ResultSet rs = claim.executeQuery()) {
                            long now = System.nanoTime();
                            while (rs.next()) {
                                UUID run = (UUID) rs.getObject(1);
                                Long started = startedAt.remove(run);
                                if (started != null) {
                                    latencies.add(now - started);
                                } else {
                                    mapTasksDone.incrementAndGet();
                                }
                                ids.add(run);
                                indexes.add(rs.getInt(2));
                            }
                        }
                        if (ids.isEmpty()) {
                            Thread.sleep(1);
                            continue;
                        }
                        String[] steps = new String[ids.size()];
                        String[] outputs = new String[ids.size()];
                        Arrays.fill(steps, "each");
                        Arrays.fill(outputs, "1");
                        complete.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                        complete.setArray(2, c.createArrayOf("text", steps));
                        complete.setArray(3, c.createArrayOf("int4", indexes.toArray()));
                        complete.setArray(4, c.createArrayOf("jsonb", outputs));
                        complete.executeQuery().close();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "fair-worker-" + i);
            threads.add(t);
            t.start();
        }
        long queuedAtLastPickup = -1;
        int started = 0;
        try (Connection c = ds.getConnection(); PreparedStatement start = c.prepareStatement(
                "select run_id from pgflow.start_flow('fairmap', '[\"x\"]', ?)")) {
            while (mapTasksDone.get() < width * 0.8) {
                UUID run = UUID.randomUUID();
                startedAt.put(run, System.nanoTime());
                start.setObject(1, run);
                start.executeQuery().close();
                started++;
                Thread.sleep(20);
                queuedAtLastPickup = width - mapTasksDone.get();
            }
        }
        while (!startedAt.isEmpty() && System.nanoTime() - t0 < 120_000_000_000L) {
            Thread.sleep(10);
        }
        double drainSeconds = (System.nanoTime() - t0) / 1e9;
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("fair pickup: %d busy workers draining a map of %,d tasks (%.0f map tasks/s); %d new one-task runs"
                        + " started every 20 ms, %d claimed: start-to-claim p50 %.2f ms, p95 %.2f ms, max %.2f ms;"
                        + " ~%,d map tasks still unclaimed when the last new run was started%n",
                workers, width, mapTasksDone.get() / drainSeconds, started, sorted.size(), BenchOptions.percentileMillis(sorted, 50), BenchOptions.percentileMillis(sorted, 95),
                sorted.get(sorted.size() - 1) / 1e6, queuedAtLastPickup);
    }

    private void claimCost(int finished) throws Exception {
        double empty = measureClaims(300);
        long t0 = System.nanoTime();
        try (Connection c = ds.getConnection()) {
            int runs = finished / 10;
            // synthetic history: loaded without firing FK triggers (the rows are consistent by construction)
            exec(c, "set session_replication_role = replica");
            exec(c, "select pgflow.create_flow('bulk')", "select pgflow.add_step('bulk', 'each', step_type => 'map')",
                    "create temp table bulk_runs as select gen_random_uuid() as run_id from generate_series(1, " + runs + ")",
                    "insert into pgflow.runs (run_id, flow_slug, status, input, remaining_steps, started_at, completed_at)"
                            + " select run_id, 'bulk', 'completed', '[]', 0, now(), now() from bulk_runs",
                    "insert into pgflow.step_states (flow_slug, run_id, step_slug, status, initial_tasks, remaining_tasks,"
                            + " remaining_deps, output, started_at, completed_at)"
                            + " select 'bulk', run_id, 'each', 'completed', 10, 0, 0, '[]', now(), now() from bulk_runs",
                    "insert into pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, status, attempts_count, output,"
                            + " queued_at, started_at, completed_at, visible_at)"
                            + " select 'bulk', run_id, 'each', i, 'completed', 1, '1', now(), now(), now(), now()"
                            + " from bulk_runs, generate_series(0, 9) i",
                    "set session_replication_role = origin",
                    "analyze pgflow.runs", "analyze pgflow.step_states", "analyze pgflow.step_tasks");
        }
        System.out.printf("inserted %,d finished tasks in %.1f s%n", finished, (System.nanoTime() - t0) / 1e9);
        double full = measureClaims(300);
        System.out.printf("claim_tasks mean latency: %.3f ms with an empty table, %.3f ms with %,d finished tasks (ratio %.2f)%n",
                empty, full, finished, full / empty);
    }

    /** Mean milliseconds of a claim_tasks call that finds one task (after a start_flow of 'ping'). */
    private double measureClaims(int n) throws Exception {
        UUID me = UUID.randomUUID();
        List<Long> times = new ArrayList<>();
        try (Connection c = ds.getConnection();
             PreparedStatement start = c.prepareStatement("select run_id from pgflow.start_flow('ping', '{}')");
             PreparedStatement claim = c.prepareStatement("select run_id from pgflow.claim_tasks('ping', ?, 1)");
             PreparedStatement complete = c.prepareStatement("select 1 from pgflow.complete_task(?, 'pong', 0, '1')")) {
            exec(c, "select pgflow.register_worker('" + me + "', 'ping', 'bench')");
            claim.setObject(1, me);
            for (int i = 0; i < n + 50; i++) {
                start.executeQuery().close();
                long t0 = System.nanoTime();
                UUID run;
                try (ResultSet rs = claim.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("nothing to claim");
                    }
                    run = (UUID) rs.getObject(1);
                }
                if (i >= 50) {
                    times.add(System.nanoTime() - t0);
                }
                complete.setObject(1, run);
                complete.executeQuery().close();
            }
        }
        return times.stream().mapToLong(Long::longValue).average().orElseThrow() / 1e6;
    }

    private long commits() throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select xact_commit from pg_stat_database where datname = current_database()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

}
