package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * End-to-end benchmark against a running server (for example {@code ./pgflow}): starts
 * {@code greet_user} runs from SQL at steady rates and reports, per rate, the start-to-completed
 * latency p50 / p95 (database timestamps: {@code runs.completed_at - runs.started_at}), the
 * completed steps per second over the measured window, the backlog left when the window closed,
 * the server's heap in use and after its last collection ({@code /health/live}), the CPU time per
 * completed step of the Payara process and of PostgreSQL's processes (from /proc; all on this
 * machine), commits per step ({@code pg_stat_database}) and, when the database loads
 * {@code pg_stat_statements}, the database time per step. {@code rates=auto} looks for the highest
 * sustained rate (from {@code from}, default 100, up by half while the backlog at the window's end
 * stays under a second's worth and p50 under a second, then twice halfway between the last rate that
 * held and the first that did not). With {@code readers=n} (and {@code consolePassword}, else the
 * launcher's file), n console sessions read pages without pause through every window
 * ({@link ConsoleReaders}): each window then also says their pages per second and page times, and
 * with {@code replica=<jdbc url>} the transactions the replica and the primary served in it (the
 * console's reads on a replica: {@code PGFLOW_DB_READ_URL}; docs/performance.md). {@code primaryPid=} and
 * {@code replicaPid=} (postmaster process ids) add the CPU time per completed step of each server
 * with its processes (the primary's alone is what a replica on its own machine takes off it).
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.EndToEndBenchmark \
 *   -Dexec.args="url=jdbc:postgresql://localhost:15432/postgres http=http://localhost:8080 rates=5,20,50 seconds=20"
 * </pre>
 */
public final class EndToEndBenchmark {

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        String url = opts.getOrDefault("url", "jdbc:postgresql://localhost:15432/postgres");
        String user = opts.getOrDefault("user", "postgres");
        String password = opts.getOrDefault("password", "postgres");
        String http = opts.getOrDefault("http", "http://localhost:8080");
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
        String[] rates = opts.getOrDefault("rates", "5,20,50").split(",");
        org.postgresql.ds.PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        System.out.printf("# end-to-end: greet_user (2 steps) started from SQL at steady rates (start_flows every 10 ms), %d s per rate, server %s, database %s, %d client cores%n",
                seconds, http, url, Runtime.getRuntime().availableProcessors());
        System.out.println("# heap before: " + heap(http));
        int readerCount = Integer.parseInt(opts.getOrDefault("readers", "0"));
        replicaUrl = opts.get("replica");
        primaryPid = Long.parseLong(opts.getOrDefault("primaryPid", "0"));
        replicaPid = Long.parseLong(opts.getOrDefault("replicaPid", "0"));
        if (readerCount > 0) {
            String run;
            try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select run_id from pgflow.runs order by run_id desc limit 1")) {
                run = rs.next() ? rs.getString(1) : null;
            }
            readers = ConsoleReaders.start(http, opts.getOrDefault("consoleUser", "admin"), BenchOptions.adminPassword(opts, "consolePassword"),
                    readerCount, run);
            System.out.printf("# %d console readers (dashboard, runs, runs of greet_user completed, flows, workers%s) through every window%s%n",
                    readerCount, run == null ? "" : ", a run", replicaUrl == null ? "" : "; replica " + replicaUrl);
        }
        if (rates.length == 1 && rates[0].equals("auto")) {
            // the highest sustained rate: up by half while the backlog at the window's end stays under a
            // second's worth of runs and p50 under a second, then report the last rate that held
            double rate = Double.parseDouble(opts.getOrDefault("from", "100"));
            System.out.println("# warm-up (JIT, pools, caches), not judged:");
            measure(url, user, password, http, rate / 2, seconds);
            double held = 0;
            while (true) {
                Result r = measure(url, user, password, http, rate, seconds);
                if (!r.sustained(rate)) {
                    break;
                }
                held = rate;
                rate *= 1.5;
            }
            // then twice halfway between the last rate that held and the first that did not
            for (int i = 0; i < 2 && held > 0; i++) {
                double mid = Math.round((held + rate) / 2);
                if (measure(url, user, password, http, mid, seconds).sustained(mid)) {
                    held = mid;
                } else {
                    rate = mid;
                }
            }
            System.out.printf("# highest sustained rate found: %.0f runs/s (%.0f steps/s)%n", held, 2 * held);
            return;
        }
        for (String r : rates) {
            measure(url, user, password, http, Double.parseDouble(r), seconds);
        }
    }

    /** Console sessions reading through every window (option readers), or null. */
    private static ConsoleReaders readers;
    /** The replica whose served transactions each window reports (option replica), or null. */
    private static String replicaUrl;
    /** The postmasters whose process trees' CPU each window reports (options primaryPid, replicaPid), or 0. */
    private static long primaryPid;
    private static long replicaPid;

    private static final java.util.function.Predicate<ProcCpu.Proc> PAYARA = p -> p.cmdline().contains("payara-micro");
    private static final java.util.function.Predicate<ProcCpu.Proc> POSTGRES = p -> p.cmdline().startsWith("postgres")
            || p.cmdline().contains("/bin/postgres ");

    /** What one rate did. */
    private record Result(long backlog, double p50) {
        /** Held: at the window's end less than a second's worth of runs waits, and the median run took under a second. */
        boolean sustained(double rate) {
            return backlog <= rate && p50 <= 1000;
        }
    }

    private static Result measure(String url, String user, String password, String http, double rate, int seconds) throws Exception {
        List<UUID> runs = Collections.synchronizedList(new ArrayList<>());
        ScheduledExecutorService starter = Executors.newSingleThreadScheduledExecutor();
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            // every 10 ms the runs due by then, in one start_flows call (one start_flow per run costs the
            // client and the database more than the server under test at these rates)
            PreparedStatement start = c.prepareStatement("select run_id from pgflow.start_flows('greet_user',"
                    + " array(select jsonb_build_object('first_name', 'Alice', 'last_name', 'Smith ' || g) from generate_series(?, ?) g))");
            int[] n = {0};
            boolean statements = resetStatements(c);
            long commitsBefore = commits(c);
            double payaraCpu = ProcCpu.cpuSeconds(PAYARA);
            double postgresCpu = ProcCpu.cpuSeconds(POSTGRES);
            double primaryTreeCpu = ProcCpu.treeCpuSeconds(primaryPid);
            double replicaTreeCpu = ProcCpu.treeCpuSeconds(replicaPid);
            long replicaBefore = replicaUrl == null ? 0 : replicaTransactions(user, password);
            long primaryBefore = replicaUrl == null ? 0 : transactions(c);
            if (readers != null) {
                readers.window(); // from here on
            }
            long windowStart = System.nanoTime();
            starter.scheduleAtFixedRate(() -> {
                try {
                    long due = (long) ((System.nanoTime() - windowStart) / 1e9 * rate) + 1;
                    if (due <= n[0]) {
                        return;
                    }
                    start.setInt(1, n[0] + 1);
                    start.setInt(2, (int) due);
                    n[0] = (int) due;
                    try (ResultSet rs = start.executeQuery()) {
                        while (rs.next()) {
                            runs.add(rs.getObject(1, UUID.class));
                        }
                    }
                } catch (Exception e) {
                    System.err.println("start failed: " + e.getMessage());
                }
            }, 0, 10, TimeUnit.MILLISECONDS);
            Thread.sleep(seconds * 1000L);
            starter.shutdown();
            starter.awaitTermination(10, TimeUnit.SECONDS);
            double window = (System.nanoTime() - windowStart) / 1e9;
            String reads = readers == null ? "" : "; " + readers.window();
            double primaryCpu = ProcCpu.treeCpuSeconds(primaryPid) - primaryTreeCpu;
            double replicaCpu = ProcCpu.treeCpuSeconds(replicaPid) - replicaTreeCpu;
            if (replicaUrl != null) {
                // pg_stat_database counts a transaction when its backend reports (at most every second): a window's worth
                reads += String.format("; transactions served in the window: replica %d, primary %d (the starter's and workers' included)",
                        replicaTransactions(user, password) - replicaBefore, transactions(c) - primaryBefore);
            }
            UUID[] ids = runs.toArray(new UUID[0]);
            long backlog = count(c, "select count(*) from pgflow.runs where run_id = any(?) and status = 'started'", ids);
            long stepsInWindow = count(c, "select count(*) from pgflow.step_states where run_id = any(?) and status = 'completed'", ids);
            if (primaryPid != 0 || replicaPid != 0) {
                reads += String.format("; CPU per completed step of the primary %.2f ms, of the replica %.2f ms (each postmaster and its processes)",
                        primaryCpu * 1000 / Math.max(stepsInWindow, 1), replicaCpu * 1000 / Math.max(stepsInWindow, 1));
            }
            double payaraCpuPerStep = (ProcCpu.cpuSeconds(PAYARA) - payaraCpu) * 1000 / Math.max(stepsInWindow, 1);
            double postgresCpuPerStep = (ProcCpu.cpuSeconds(POSTGRES) - postgresCpu) * 1000 / Math.max(stepsInWindow, 1);
            long commits = commits(c) - commitsBefore;
            String database = String.format("commits per step %.2f (the starter's included)", (double) commits / Math.max(stepsInWindow, 1));
            if (statements) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select"
                        + " sum(total_exec_time) filter (where query ~ 'claim_tasks|complete_task|fail_task'),"
                        + " sum(calls) filter (where query ~ 'claim_tasks|complete_task|fail_task'), sum(total_exec_time)"
                        + " from pg_stat_statements where toplevel and dbid = (select oid from pg_database where datname = current_database())")) {
                    rs.next();
                    database += String.format("; database time per step: %.3f ms in the workers' calls (%.2f calls/step), %.3f ms in all"
                            + " statements (the starter's and the server's others included)", rs.getDouble(1) / Math.max(stepsInWindow, 1),
                            rs.getDouble(2) / Math.max(stepsInWindow, 1), rs.getDouble(3) / Math.max(stepsInWindow, 1));
                }
            }
            String heap = heap(http);
            // let the backlog drain (at most 120 s) so every run has a latency
            long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (count(c, "select count(*) from pgflow.runs where run_id = any(?) and status = 'started'", ids) > 0
                    && System.nanoTime() < drainUntil) {
                Thread.sleep(200);
            }
            List<Double> latencies = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select extract(epoch from completed_at - started_at) * 1000"
                    + " from pgflow.runs where run_id = any(?) and status = 'completed' order by 1")) {
                ps.setArray(1, c.createArrayOf("uuid", ids));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        latencies.add(rs.getDouble(1));
                    }
                }
            }
            long failed = count(c, "select count(*) from pgflow.runs where run_id = any(?) and status = 'failed'", ids);
            System.out.printf("offered %.0f runs/s: started %d runs in %.1f s; completed %.0f steps/s in the window; backlog %d runs at window end;"
                            + " latency p50 %.1f ms, p95 %.1f ms, max %.1f ms (%d completed, %d failed); heap %s;"
                            + " CPU per completed step: Payara %.2f ms, PostgreSQL %.2f ms (its backends, the starter's included); %s%s%n",
                    rate, ids.length, window, stepsInWindow / window, backlog,
                    ServerHealth.percentile(latencies, 50), ServerHealth.percentile(latencies, 95), latencies.isEmpty() ? Double.NaN : latencies.get(latencies.size() - 1),
                    latencies.size(), failed, heap, payaraCpuPerStep, postgresCpuPerStep, database, reads);
            return new Result(backlog, ServerHealth.percentile(latencies, 50));
        }
    }

    /** Transactions committed and rolled back so far in the database {@code c} is connected to (pg_stat_database). */
    private static long transactions(Connection c) throws Exception {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select xact_commit + xact_rollback from pg_stat_database where datname = current_database()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** As {@link #transactions(Connection)}, on the replica (option replica). */
    private static long replicaTransactions(String user, String password) throws Exception {
        try (Connection r = DriverManager.getConnection(replicaUrl, user, password)) {
            return transactions(r);
        }
    }

    /** Resets pg_stat_statements when the database has it (shared_preload_libraries); false when it has not. */
    private static boolean resetStatements(Connection c) {
        try (Statement st = c.createStatement()) {
            st.execute("select pg_stat_statements_reset()");
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Transactions committed in the database so far. */
    private static long commits(Connection c) throws Exception {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select xact_commit from pg_stat_database where datname = current_database()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long count(Connection c, String sql, UUID[] ids) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("uuid", ids));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String heap(String http) {
        try {
            String live = ServerHealth.live(http);
            Matcher used = Pattern.compile("\"heapUsedMiB\":\"?(\\d+)").matcher(live);
            Matcher max = Pattern.compile("\"heapMaxMiB\":\"?(\\d+)").matcher(live);
            Matcher afterGc = Pattern.compile("\"heapAfterGcMiB\":\"?(\\d+)").matcher(live);
            return (used.find() ? used.group(1) : "?") + " MiB used of " + (max.find() ? max.group(1) : "?") + " MiB, "
                    + (afterGc.find() ? afterGc.group(1) : "?") + " MiB after the last GC";
        } catch (Exception e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
