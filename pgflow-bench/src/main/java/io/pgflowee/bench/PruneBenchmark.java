package io.pgflowee.bench;

import static io.pgflowee.bench.CoreWorker.exec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * pgflow-prune on a running server, and what it costs the workers: makes {@code runs} (default
 * 1,000,000) finished runs of flow bench_prune that ended 60 days ago (2 steps, 2 tasks each), then
 * <ol>
 *   <li>runs the SQL core workload (a 3-step chain, {@code workers} JDBC workers claiming 10 and
 *       completing them in one call, runs started as fast as they drain) for {@code seconds}: tasks/s alone;</li>
 *   <li>starts pgflow-prune for bench_prune (retention P30D, {@code chunkSize}) over REST and runs the same
 *       workload until the job ends: tasks/s beside the prune, and the prune's runs (and rows) deleted per second;</li>
 *   <li>the workload alone again for {@code seconds}.</li>
 * </ol>
 * Prints the database calibration first.
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.PruneBenchmark \
 *   -Dexec.args="http=http://localhost:8080 url=jdbc:postgresql://localhost:15432/postgres adminPassword=$(cat ~/.pgflow/admin-password)"
 * </pre>
 */
public final class PruneBenchmark {

    private PruneBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        String http = opts.getOrDefault("http", "http://localhost:8080");
        int runs = Integer.parseInt(opts.getOrDefault("runs", "1000000"));
        int workers = Integer.parseInt(opts.getOrDefault("workers", "4"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "30"));
        int chunk = Integer.parseInt(opts.getOrDefault("chunkSize", "1000"));
        String auth = BenchOptions.adminAuthorization(opts);
        PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);

        try (Connection c = ds.getConnection()) {
            exec(c, "select pgflow.create_flow('bench_prune') where not exists (select 1 from pgflow.flows where flow_slug = 'bench_prune')",
                    "select pgflow.add_step('bench_prune', 'a') where not exists (select 1 from pgflow.steps where flow_slug = 'bench_prune')",
                    "select pgflow.add_step('bench_prune', 'b', ARRAY['a']) where (select count(*) from pgflow.steps where flow_slug = 'bench_prune') = 1",
                    "select pgflow.create_flow('bench_core') where not exists (select 1 from pgflow.flows where flow_slug = 'bench_core')",
                    "select pgflow.add_step('bench_core', 's1') where not exists (select 1 from pgflow.steps where flow_slug = 'bench_core')",
                    "select pgflow.add_step('bench_core', 's2', ARRAY['s1']) where (select count(*) from pgflow.steps where flow_slug = 'bench_core') = 1",
                    "select pgflow.add_step('bench_core', 's3', ARRAY['s2']) where (select count(*) from pgflow.steps where flow_slug = 'bench_core') = 2");
            long t0 = System.nanoTime();
            long made = makeFinishedRuns(c, runs);
            System.out.printf("# %,d finished bench_prune runs ended 60 days ago (%,d made now in %.0f s); %s in pgflow.runs in all%n", runs, made,
                    (System.nanoTime() - t0) / 1e9, one(c, "select to_char(count(*), 'FM999,999,999') from pgflow.runs"));
        }

        double alone = workload(ds, workers, () -> false, seconds * 1000L);
        System.out.printf("SQL core workload alone (%d workers, 3-step chain): %,.0f tasks/s%n", workers, alone);

        Path exports = Files.createTempDirectory("prune-bench");
        ApiJobs jobs = new ApiJobs(http, auth);
        String location = jobs.start("pgflow-prune", "{\"flows\": \"bench_prune\", \"retention\": \"P30D\", \"exportDir\": \"" + exports
                + "\", \"chunkSize\": " + chunk + "}")[1];
        AtomicBoolean jobDone = new AtomicBoolean();
        String[] last = new String[1];
        Thread poller = new Thread(() -> {
            try {
                last[0] = jobs.awaitEnd(location);
            } catch (Exception e) {
                last[0] = e.toString();
            }
            jobDone.set(true);
        });
        poller.start();
        double beside = workload(ds, workers, jobDone::get, Long.MAX_VALUE);
        poller.join();
        String body = last[0];
        long ms = ApiJobs.millis(body);
        long files;
        try (var list = Files.walk(exports)) {
            files = list.filter(p -> p.toString().endsWith(".jsonl.gz")).count();
        }
        long bytes;
        try (var list = Files.walk(exports)) {
            bytes = list.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf("pgflow-prune of %,d runs (%,d rows with their step states and tasks), chunk %d: %s in %.1f s = %,.0f runs/s,"
                        + " %,.0f rows/s; export %d files, %,.1f MB (%s)%n", runs, runs * 5L, chunk, BenchOptions.field(body, "status"), ms / 1000.0,
                runs * 1000.0 / ms, runs * 5000.0 / ms, files, bytes / 1e6, body.replaceAll(".*\"steps\":(\\[.*?\\]),\"skipped.*", "$1"));
        System.out.printf("SQL core workload beside the prune: %,.0f tasks/s (%.0f %% of alone)%n", beside, 100 * beside / alone);
        double after = workload(ds, workers, () -> false, seconds * 1000L);
        System.out.printf("SQL core workload alone again: %,.0f tasks/s%n", after);
        try (Connection c = ds.getConnection()) {
            System.out.printf("# bench_prune runs left: %s; removing bench_core's runs%n", one(c, "select count(*) from pgflow.runs where flow_slug = 'bench_prune'"));
            exec(c, "delete from pgflow.step_tasks where flow_slug = 'bench_core'", "delete from pgflow.step_states where flow_slug = 'bench_core'",
                    "delete from pgflow.runs where flow_slug = 'bench_core'");
        }
    }

    /** Makes finished bench_prune runs (ended 60 days ago) until there are {@code runs}; how many it made. */
    private static long makeFinishedRuns(Connection c, int runs) throws Exception {
        long have = Long.parseLong(one(c, "select count(*) from pgflow.runs where flow_slug = 'bench_prune'"));
        long made = 0;
        try (Statement st = c.createStatement()) {
            while (have + made < runs) {
                int n = (int) Math.min(100_000, runs - have - made);
                c.setAutoCommit(false);
                st.execute("create temp table bench_new on commit drop as select pgflow._new_run_id() as run_id,"
                        + " now() - interval '60 days' - make_interval(secs => g) as started_at from generate_series(1, " + n + ") g");
                insertFinishedRuns(st);
                c.commit();
                c.setAutoCommit(true);
                made += n;
            }
            if (made > 0) {
                st.execute("vacuum analyze pgflow.runs");
                st.execute("vacuum analyze pgflow.step_states");
                st.execute("vacuum analyze pgflow.step_tasks");
            }
        }
        return made;
    }

    /**
     * The rows of the runs in temporary table {@code bench_new (run_id, started_at)}: completed runs of
     * bench_prune (steps a and b, one completed task each) that took 2 seconds. Also {@code PartitionPruneBenchmark}'s.
     */
    static void insertFinishedRuns(Statement st) throws java.sql.SQLException {
        st.execute("insert into pgflow.runs (run_id, flow_slug, status, input, output, remaining_steps, started_at, completed_at)"
                + " select run_id, 'bench_prune', 'completed', jsonb_build_object('n', 1), '{\"b\": true}', 0, started_at,"
                + " started_at + interval '2 seconds' from bench_new");
        for (String step : List.of("a", "b")) {
            st.execute("insert into pgflow.step_states (flow_slug, run_id, step_slug, status, initial_tasks, remaining_tasks,"
                    + " remaining_deps, output, created_at, started_at, completed_at) select 'bench_prune', run_id, '" + step
                    + "', 'completed', 1, 0, 0, 'true', started_at, started_at, started_at + interval '1 second' from bench_new");
            st.execute("insert into pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, status, attempts_count, output,"
                    + " queued_at, started_at, completed_at, visible_at) select 'bench_prune', run_id, '" + step
                    + "', 0, 'completed', 1, 'true', started_at, started_at, started_at + interval '1 second', started_at from bench_new");
        }
    }

    /**
     * The SQL core workload: {@code workers} chain workers and a feeder that keeps about 3,000 runs
     * queued, until {@code stop} or {@code millis} have passed; completed tasks per second.
     */
    private static double workload(PGSimpleDataSource ds, int workers, java.util.function.BooleanSupplier stop, long millis) throws Exception {
        long end = millis == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + millis * 1_000_000L;
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong completed = new AtomicLong();
        AtomicLong roundTrips = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        Thread feeder = new Thread(() -> {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                while (!done.get()) {
                    try (ResultSet rs = st.executeQuery("select count(*) from pgflow.runs where flow_slug = 'bench_core' and status = 'started'")) {
                        rs.next();
                        if (rs.getLong(1) < 3000) {
                            st.execute("select count(*) from pgflow.start_flows('bench_core', array(select jsonb_build_object('i', g)"
                                    + " from generate_series(1, 500) g))");
                            continue;
                        }
                    }
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "feeder");
        feeder.start();
        Thread.sleep(1000); // a backlog first
        long t0 = System.nanoTime();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(() -> CoreWorker.run(ds, "bench_core", 10, true,
                    () -> done.get() || stop.getAsBoolean() || System.nanoTime() > end, completed, roundTrips), "worker-" + i);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        done.set(true);
        feeder.join();
        return completed.get() / s;
    }

    private static String one(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
