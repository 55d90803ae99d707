package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak: {@code greet_user} runs started from SQL at a steady {@code rate} (runs/s) for
 * {@code minutes} against a running server (for example {@code ./pgflow}), with finished runs older
 * than {@code keep} minutes pruned every minute ({@code pgflow.prune_data_older_than}, as a daily
 * prune does over a longer retention), so that the tables can reach a steady state. Every
 * {@code every} seconds one line: runs waiting, the latency of the runs completed in the interval
 * (p50 / p95), the server's heap after its last GC ({@code /health/live}), the database sessions by
 * application and state ({@code pg_stat_activity}), the size (table + indexes) of runs,
 * step_states and step_tasks, step_tasks' live and dead tuples and its autovacuum count. The
 * summary compares the first half with the second: what must stay flat (heap after GC,
 * connections, sizes, dead ratio) and by how much it moved.
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.SoakBenchmark \
 *   -Dexec.args="url=jdbc:postgresql://localhost:15432/postgres http=http://localhost:8080 rate=450 minutes=30"
 * </pre>
 */
public final class SoakBenchmark {

    private record Sample(double minute, long waiting, double p50, double p95, long heapAfterGc, long sessions, long sizeMiB,
                          long tasksLive, long tasksDead, long autovacuums) {
        double deadRatio() {
            return tasksLive + tasksDead == 0 ? 0 : (double) tasksDead / (tasksLive + tasksDead);
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        String url = opts.getOrDefault("url", "jdbc:postgresql://localhost:15432/postgres");
        String user = opts.getOrDefault("user", "postgres");
        String password = opts.getOrDefault("password", "postgres");
        String http = opts.getOrDefault("http", "http://localhost:8080");
        double rate = Double.parseDouble(opts.getOrDefault("rate", "450"));
        int minutes = Integer.parseInt(opts.getOrDefault("minutes", "30"));
        int every = Integer.parseInt(opts.getOrDefault("every", "60"));
        int keep = Integer.parseInt(opts.getOrDefault("keep", "5"));
        org.postgresql.ds.PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        System.out.printf("# soak: greet_user (2 steps) at %.0f runs/s from SQL (start_flows every 10 ms) for %d min; finished runs older than"
                + " %d min pruned every minute; server %s, database %s, %d client cores%n", rate, minutes, keep, http, url,
                Runtime.getRuntime().availableProcessors());
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select string_agg(name || '=' || setting, ', ' order by name) from pg_settings"
                    + " where name in ('autovacuum', 'autovacuum_naptime', 'autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_threshold',"
                    + " 'autovacuum_vacuum_cost_limit', 'autovacuum_vacuum_cost_delay', 'synchronous_commit', 'shared_buffers')")) {
                rs.next();
                System.out.println("# database settings: " + rs.getString(1));
            }
            try (ResultSet rs = st.executeQuery("select coalesce(array_to_string(reloptions, ', '), 'defaults') from pg_class"
                    + " where oid = 'pgflow.step_tasks'::regclass")) {
                rs.next();
                System.out.println("# step_tasks storage options: " + rs.getString(1));
            }
        }
        System.out.println("minute | waiting runs | p50 ms | p95 ms | heap after GC MiB | db sessions (pgflow / all) | runs+states+tasks MiB"
                + " | step_tasks live | dead | dead % | autovacuums");

        AtomicLong started = new AtomicLong();
        ScheduledExecutorService starter = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService pruner = Executors.newSingleThreadScheduledExecutor();
        List<Sample> samples = new ArrayList<>();
        long t0 = System.nanoTime();
        try (Connection s = DriverManager.getConnection(url, user, password);
             Connection p = DriverManager.getConnection(url, user, password);
             Connection m = DriverManager.getConnection(url, user, password)) {
            PreparedStatement start = s.prepareStatement("select count(*) from pgflow.start_flows('greet_user',"
                    + " array(select jsonb_build_object('first_name', 'Soak', 'last_name', 'Run ' || g) from generate_series(?, ?) g))");
            starter.scheduleAtFixedRate(() -> {
                try {
                    long due = (long) ((System.nanoTime() - t0) / 1e9 * rate) + 1;
                    long from = started.get();
                    if (due <= from) {
                        return;
                    }
                    start.setLong(1, from + 1);
                    start.setLong(2, due);
                    start.executeQuery().close();
                    started.set(due);
                } catch (Exception e) {
                    System.err.println("start failed: " + e.getMessage());
                }
            }, 0, 10, TimeUnit.MILLISECONDS);
            pruner.scheduleAtFixedRate(() -> {
                try (Statement st = p.createStatement()) {
                    st.execute("select pgflow.prune_data_older_than(make_interval(mins => " + keep + "))");
                } catch (Exception e) {
                    System.err.println("prune failed: " + e.getMessage());
                }
            }, 60, 60, TimeUnit.SECONDS);

            long end = t0 + TimeUnit.MINUTES.toNanos(minutes);
            long next = t0;
            Map<String, Long> sizesAfterWarmUp = null;
            double warmUpMinute = 0;
            while (System.nanoTime() < end) {
                next += TimeUnit.SECONDS.toNanos(every);
                Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
                Sample sample = sample(m, http, (System.nanoTime() - t0) / 60e9, every);
                samples.add(sample);
                System.out.printf(Locale.ROOT, "%6.1f | %12d | %6.1f | %6.1f | %17d | %26s | %21d | %15d | %6d | %6.1f | %d%n",
                        sample.minute(), sample.waiting(), sample.p50(), sample.p95(), sample.heapAfterGc(), sessions(m),
                        sample.sizeMiB(), sample.tasksLive(), sample.tasksDead(), 100 * sample.deadRatio(), sample.autovacuums());
                if (sizesAfterWarmUp == null && sample.minute() >= Math.min(keep + 3, minutes / 2.0)) {
                    sizesAfterWarmUp = relationSizes(m);
                    warmUpMinute = sample.minute();
                }
            }
            if (sizesAfterWarmUp != null) {
                Map<String, Long> last = relationSizes(m);
                double span = (System.nanoTime() - t0) / 60e9 - warmUpMinute;
                System.out.printf(Locale.ROOT, "# relation sizes (KiB) at minute %.1f and at the end, change per minute over %.1f min:%n",
                        warmUpMinute, span);
                for (Map.Entry<String, Long> e : last.entrySet()) {
                    long before = sizesAfterWarmUp.getOrDefault(e.getKey(), 0L);
                    System.out.printf(Locale.ROOT, "#   %-48s %9d %9d %+8.1f KiB/min%n", e.getKey(), before / 1024, e.getValue() / 1024,
                            (e.getValue() - before) / 1024.0 / span);
                }
            }
        } finally {
            starter.shutdownNow();
            pruner.shutdownNow();
        }
        System.out.printf("# started %d runs in %.1f min (%.0f runs/s)%n", started.get(), (System.nanoTime() - t0) / 60e9,
                started.get() / ((System.nanoTime() - t0) / 1e9));
        summary(samples);
    }

    private static Sample sample(Connection m, String http, double minute, int every) throws Exception {
        try (Statement st = m.createStatement()) {
            long waiting;
            try (ResultSet rs = st.executeQuery("select count(*) from pgflow.runs where status = 'started'")) {
                rs.next();
                waiting = rs.getLong(1);
            }
            double p50;
            double p95;
            try (ResultSet rs = st.executeQuery("select coalesce(percentile_cont(0.5) within group (order by ms), 0),"
                    + " coalesce(percentile_cont(0.95) within group (order by ms), 0) from (select extract(epoch from completed_at - started_at) * 1000 as ms"
                    + " from pgflow.runs where status = 'completed' and completed_at > now() - make_interval(secs => " + every + ")) x")) {
                rs.next();
                p50 = rs.getDouble(1);
                p95 = rs.getDouble(2);
            }
            long sessions;
            try (ResultSet rs = st.executeQuery("select count(*) from pg_stat_activity where datname = current_database()")) {
                rs.next();
                sessions = rs.getLong(1);
            }
            long size;
            // a plain table, or every partition of a partitioned one (docs/operations.md, "Time partitions")
            try (ResultSet rs = st.executeQuery("select sum(pg_total_relation_size(c.oid)) / 1048576 from pg_class c"
                    + " where c.oid in (select t from unnest(array['pgflow.runs', 'pgflow.step_states', 'pgflow.step_tasks']::regclass[]) t"
                    + " union select p.relid from unnest(array['pgflow.runs', 'pgflow.step_states', 'pgflow.step_tasks']::regclass[]) t,"
                    + " pg_partition_tree(t) p where p.isleaf)")) {
                rs.next();
                size = rs.getLong(1);
            }
            try (ResultSet rs = st.executeQuery("select coalesce(sum(n_live_tup), 0), coalesce(sum(n_dead_tup), 0), coalesce(sum(autovacuum_count), 0)"
                    + " from pg_stat_user_tables where relid = 'pgflow.step_tasks'::regclass"
                    + " or relid in (select p.relid from pg_partition_tree('pgflow.step_tasks') p where p.isleaf)")) {
                rs.next();
                return new Sample(minute, waiting, p50, p95, ServerHealth.heapAfterGcMiB(http), sessions, size, rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }
    }

    /** Every table and index of the engine's runtime tables, by size (bytes). */
    private static Map<String, Long> relationSizes(Connection m) throws Exception {
        Map<String, Long> sizes = new java.util.LinkedHashMap<>();
        try (Statement st = m.createStatement(); ResultSet rs = st.executeQuery("select c.relnamespace::regnamespace || '.' || c.relname"
                + " || case when c.relkind = 'i' then ' (index)' else '' end, pg_relation_size(c.oid) from pg_class c"
                + " where c.relnamespace in ('pgflow'::regnamespace, 'pgflow_internal'::regnamespace, 'pgflow_partitions'::regnamespace)"
                + " and c.relkind in ('r', 'i')"
                + " and pg_relation_size(c.oid) > 0 order by pg_relation_size(c.oid) desc")) {
            while (rs.next()) {
                sizes.put(rs.getString(1), rs.getLong(2));
            }
        }
        return sizes;
    }

    private static String sessions(Connection m) throws Exception {
        try (Statement st = m.createStatement(); ResultSet rs = st.executeQuery("select count(*) filter (where application_name like 'pgflow%'),"
                + " count(*) from pg_stat_activity where datname = current_database()")) {
            rs.next();
            return rs.getLong(1) + " / " + rs.getLong(2);
        }
    }

    /** First half against second half (the first sample, a warm-up, left out): the means and the change. */
    private static void summary(List<Sample> samples) {
        if (samples.size() < 4) {
            System.out.println("# too few samples for a summary");
            return;
        }
        List<Sample> body = samples.subList(1, samples.size());
        List<Sample> first = body.subList(0, body.size() / 2);
        List<Sample> second = body.subList(body.size() / 2, body.size());
        System.out.println("# first half vs second half (means; the first sample left out as warm-up):");
        line("heap after GC MiB", first, second, x -> x.heapAfterGc());
        line("database sessions", first, second, x -> x.sessions());
        line("runs+step_states+step_tasks MiB", first, second, x -> x.sizeMiB());
        line("step_tasks live tuples", first, second, x -> x.tasksLive());
        line("step_tasks dead %", first, second, x -> 100 * x.deadRatio());
        line("waiting runs", first, second, x -> x.waiting());
        line("p95 latency ms", first, second, x -> x.p95());
        System.out.printf("# max dead %% of step_tasks: %.1f; autovacuums of step_tasks during the soak: %d%n",
                body.stream().mapToDouble(Sample::deadRatio).max().orElse(0) * 100,
                samples.get(samples.size() - 1).autovacuums() - samples.get(0).autovacuums());
    }

    private static void line(String what, List<Sample> first, List<Sample> second, java.util.function.ToDoubleFunction<Sample> f) {
        double a = first.stream().mapToDouble(f).average().orElse(Double.NaN);
        double b = second.stream().mapToDouble(f).average().orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "#   %-32s %10.1f -> %10.1f (%+.1f %%)%n", what, a, b, a == 0 ? 0 : 100 * (b - a) / a);
    }
}
