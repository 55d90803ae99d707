package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import javax.sql.DataSource;

import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.query.DashboardQueries;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.RunFilter;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.engine.query.WorkerQueries;
import io.pgflowee.migrations.PgflowMigrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;

/**
 * The read model at scale: {@code runs} runs (default 1,000,000) of three 3-step flows with mixed
 * statuses (90 % completed, 5 % failed, 3 % started, 2 % cancelled; 2 % of them in the last hour,
 * the rest over 30 days), about three tasks each, then the latency of every query the console and
 * the API use, through the application's JPA persistence unit (EclipseLink), one EntityManager per
 * request as in the container. Usage: {@code ReadModelBenchmark [runs=1000000] [iterations=60]}.
 */
public final class ReadModelBenchmark {

    private ReadModelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        int runs = Integer.parseInt(opts.getOrDefault("runs", "1000000"));
        int iterations = Integer.parseInt(opts.getOrDefault("iterations", "60"));
        only = opts.get("only");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("synchronous_commit", "on").setServerConfig("fsync", "on")
                .setServerConfig("shared_buffers", "256MB").setServerConfig("max_connections", "50").start()) {
            DataSource ds = pg.getPostgresDatabase();
            try (Connection c = ds.getConnection()) {
                PgflowMigrations.apply(c);
            }
            System.out.printf("# PostgreSQL 17 (embedded, fsync=on, synchronous_commit=on, shared_buffers=256MB), %d cores%n",
                    Runtime.getRuntime().availableProcessors());
            Calibration.print(ds, 4, 5);
            long t0 = System.nanoTime();
            load(ds, runs);
            System.out.printf("loaded %,d runs in %.0f s: %s%n", runs, (System.nanoTime() - t0) / 1e9, sizes(ds));

            // pooled like the server's data source: EclipseLink takes a connection per statement outside a
            // transaction, and a new PostgreSQL connection (a backend fork) costs tens of milliseconds here
            com.zaxxer.hikari.HikariConfig poolConfig = new com.zaxxer.hikari.HikariConfig();
            poolConfig.setDataSource(ds);
            poolConfig.setMaximumPoolSize(8);
            com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource(poolConfig);
            EntityManagerFactory emf = Persistence.createEntityManagerFactory("pgflow", Map.of(
                    "jakarta.persistence.transactionType", "RESOURCE_LOCAL", "jakarta.persistence.jtaDataSource", "",
                    "jakarta.persistence.nonJtaDataSource", pool, "eclipselink.weaving", "false"));
            List<UUID> sample = sampleRunIds(ds, 500);
            OffsetDateTime dayStart = OffsetDateTime.now().minusDays(10);
            measure(emf, iterations, "runs page 1, no filter", em -> new RunQueries(em).page(RunFilter.ALL, null, 50));
            measure(emf, iterations, "runs page 1, flow = bench_b", em -> new RunQueries(em).page(RunFilter.ALL.withFlow("bench_b"), null, 50));
            measure(emf, iterations, "runs page 1, status = failed", em -> new RunQueries(em).page(
                    RunFilter.ALL.withStatuses(Set.of(RunStatus.FAILED)), null, 50));
            measure(emf, iterations, "runs page 1, status = cancelled", em -> new RunQueries(em).page(
                    RunFilter.ALL.withStatuses(Set.of(RunStatus.CANCELLED)), null, 50));
            measure(emf, iterations, "runs page 1, status = started", em -> new RunQueries(em).page(
                    RunFilter.ALL.withStatuses(Set.of(RunStatus.STARTED)), null, 50));
            measure(emf, iterations, "runs page 1, started in one day", em -> new RunQueries(em).page(
                    RunFilter.ALL.withStarted(dayStart, dayStart.plusDays(1)), null, 50));
            measure(emf, iterations, "runs page 1, run id prefix (4 digits)", em -> new RunQueries(em).page(
                    RunFilter.ALL.withRunIdPrefix(pick(sample).toString().substring(0, 4)), null, 50));
            measure(emf, iterations, "runs page 1, input contains a customer (~100 runs)", em -> new RunQueries(em).page(
                    RunFilter.ALL.withInputContaining("{\"customer\": \"c-" + ThreadLocalRandom.current().nextInt(10000) + "\"}"), null, 50));
            measure(emf, iterations, "runs page 1, input contains plan=pro (half)", em -> new RunQueries(em).page(
                    RunFilter.ALL.withInputContaining("{\"plan\": \"pro\"}"), null, 50));
            measure(emf, iterations, "runs page 5 (4 cursors followed), flow = bench_c", em -> {
                RunQueries q = new RunQueries(em);
                var page = q.page(RunFilter.ALL.withFlow("bench_c"), null, 50);
                for (int i = 0; i < 4; i++) {
                    page = q.page(RunFilter.ALL.withFlow("bench_c"), page.nextCursor(), 50);
                }
            });
            measure(emf, iterations, "run detail", em -> new RunQueries(em).detail(pick(sample)).orElseThrow());
            measure(emf, iterations, "flows (with runs per status)", em -> new FlowQueries(em).flows());
            measure(emf, iterations, "workers", em -> new WorkerQueries(em).workers());
            measure(emf, iterations, "dashboard part: runs per minute", em -> new DashboardQueries(em).perMinute());
            measure(emf, iterations, "dashboard part: queue per flow", em -> new DashboardQueries(em).queues());
            measure(emf, iterations, "dashboard part: slowest steps", em -> new DashboardQueries(em).slowestSteps(10));
            measure(emf, iterations, "dashboard part: latest failures", em -> new DashboardQueries(em).latestFailures(5));
            measure(emf, iterations, "dashboard", em -> new DashboardQueries(em).dashboard(5));
            emf.close();
            pool.close();
        }
    }

    private static <T> T pick(List<T> list) {
        return list.get(ThreadLocalRandom.current().nextInt(list.size()));
    }

    private static String only;

    private static void measure(EntityManagerFactory emf, int iterations, String what, Consumer<EntityManager> request) {
        if (only != null && !what.contains(only)) {
            return;
        }
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < iterations + 5; i++) {
            EntityManager em = emf.createEntityManager();
            long t0 = System.nanoTime();
            try {
                request.accept(em);
            } finally {
                em.close();
            }
            if (i >= 5) {
                times.add(System.nanoTime() - t0);
            }
        }
        Collections.sort(times);
        System.out.printf("%-52s p50 %7.2f ms  p95 %7.2f ms  max %7.2f ms%n", what, BenchOptions.percentileMillis(times, 50), BenchOptions.percentileMillis(times, 95),
                times.get(times.size() - 1) / 1e6);
    }

    private static List<UUID> sampleRunIds(DataSource ds, int n) throws Exception {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select run_id from pgflow.runs tablesample system (1) limit " + n)) {
            while (rs.next()) {
                ids.add((UUID) rs.getObject(1));
            }
        }
        return ids;
    }

    private static String sizes(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "select (select count(*) from pgflow.runs), (select count(*) from pgflow.step_states),"
                        + " (select count(*) from pgflow.step_tasks), pg_size_pretty(pg_database_size(current_database()))")) {
            rs.next();
            return String.format("%,d runs, %,d step states, %,d tasks, database %s", rs.getLong(1), rs.getLong(2), rs.getLong(3),
                    rs.getString(4));
        }
    }

    /**
     * Synthetic history, consistent by construction, loaded in bulk (foreign-key triggers off for the
     * load) in started_at order, so that, as in a real database, recent runs sit together at the end of
     * the tables. (Scattered over every page instead, the dashboard's hour of runs did not fit in
     * shared_buffers and it took 375 ms instead of the sum of its parts, 142 ms.)
     */
    static void load(DataSource ds, int runs) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String flow : List.of("bench_a", "bench_b", "bench_c")) {
                st.execute("select pgflow.create_flow('" + flow + "')");
                st.execute("select pgflow.add_step('" + flow + "', 's1')");
                st.execute("select pgflow.add_step('" + flow + "', 's2', ARRAY['s1'])");
                st.execute("select pgflow.add_step('" + flow + "', 's3', ARRAY['s2'])");
            }
            st.execute("select pgflow.register_worker(gen_random_uuid(), 'bench_a', 'bench-server')");
            st.execute("set session_replication_role = replica");
            st.execute("create temp table bench_runs as select g, gen_random_uuid() as run_id,"
                    + " (array['bench_a','bench_b','bench_c'])[1 + g % 3] as flow_slug,"
                    + " case when g % 100 < 90 then 'completed' when g % 100 < 95 then 'failed' when g % 100 < 98 then 'started'"
                    + " else 'cancelled' end as status,"
                    + " case when g % 50 = 7 then now() - random() * interval '1 hour' else now() - random() * interval '30 days' end"
                    + " as started_at from generate_series(1, " + runs + ") g");
            st.execute("insert into pgflow.runs (run_id, flow_slug, status, input, output, remaining_steps, started_at, completed_at,"
                    + " failed_at, cancelled_at)"
                    + " select run_id, flow_slug, status, jsonb_build_object('customer', 'c-' || (g % 10000), 'plan',"
                    + " case when g % 2 = 0 then 'pro' else 'free' end),"
                    + " case when status = 'completed' then '{\"s3\": true}'::jsonb end,"
                    + " case when status = 'completed' then 0 else 2 end, started_at,"
                    + " case when status = 'completed' then started_at + interval '3 seconds' end,"
                    + " case when status = 'failed' then started_at + interval '2 seconds' end,"
                    + " case when status = 'cancelled' then started_at + interval '2 seconds' end from bench_runs order by started_at");
            st.execute("insert into pgflow.step_states (flow_slug, run_id, step_slug, status, initial_tasks, remaining_tasks,"
                    + " remaining_deps, output, created_at, started_at, completed_at) select flow_slug, run_id, 's1', 'completed', 1, 0, 0,"
                    + " 'true', started_at, started_at, started_at + interval '1 second' from bench_runs order by started_at");
            st.execute("insert into pgflow.step_states (flow_slug, run_id, step_slug, status, initial_tasks, remaining_tasks,"
                    + " remaining_deps, output, error_message, created_at, started_at, completed_at, failed_at, cancelled_at)"
                    + " select flow_slug, run_id, 's2', case status when 'completed' then 'completed' when 'failed' then 'failed'"
                    + " when 'started' then 'started' else 'cancelled' end, 1, case when status = 'completed' then 0 else 1 end, 0,"
                    + " case when status = 'completed' then 'true'::jsonb end, case when status = 'failed' then 'card declined' end,"
                    + " started_at, started_at + interval '1 second',"
                    + " case when status = 'completed' then started_at + interval '2 seconds' end,"
                    + " case when status = 'failed' then started_at + interval '2 seconds' end,"
                    + " case when status = 'cancelled' then started_at + interval '2 seconds' end from bench_runs order by started_at");
            st.execute("insert into pgflow.step_states (flow_slug, run_id, step_slug, status, initial_tasks, remaining_tasks,"
                    + " remaining_deps, output, created_at, started_at, completed_at, cancelled_at)"
                    + " select flow_slug, run_id, 's3', case status when 'completed' then 'completed' when 'cancelled' then 'cancelled'"
                    + " else 'created' end, 1, case when status = 'completed' then 0 end, case when status = 'completed' then 0 else 1 end,"
                    + " case when status = 'completed' then 'true'::jsonb end, started_at,"
                    + " case when status = 'completed' then started_at + interval '2 seconds' end,"
                    + " case when status = 'completed' then started_at + interval '3 seconds' end,"
                    + " case when status = 'cancelled' then started_at + interval '2 seconds' end from bench_runs order by started_at");
            st.execute("insert into pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, status, attempts_count, output,"
                    + " queued_at, started_at, completed_at, visible_at)"
                    + " select flow_slug, run_id, 's1', 0, 'completed', 1, 'true', started_at, started_at, started_at + interval '1 second',"
                    + " started_at from bench_runs order by started_at");
            st.execute("insert into pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, status, attempts_count, output,"
                    + " error_message, queued_at, started_at, completed_at, failed_at, cancelled_at, visible_at)"
                    + " select flow_slug, run_id, 's2', 0, case status when 'completed' then 'completed' when 'failed' then 'failed'"
                    + " when 'started' then 'started' else 'cancelled' end, 1, case when status = 'completed' then 'true'::jsonb end,"
                    + " case when status = 'failed' then 'card declined' || chr(10) || '  at Charge.run' end,"
                    + " started_at + interval '1 second', started_at + interval '1 second',"
                    + " case when status = 'completed' then started_at + interval '2 seconds' end,"
                    + " case when status = 'failed' then started_at + interval '2 seconds' end,"
                    + " case when status = 'cancelled' then started_at + interval '2 seconds' end,"
                    + " case when status in ('failed', 'cancelled') then 'infinity' else started_at + interval '65 seconds' end from bench_runs order by started_at");
            st.execute("insert into pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, status, attempts_count, output,"
                    + " queued_at, started_at, completed_at, visible_at)"
                    + " select flow_slug, run_id, 's3', 0, 'completed', 1, 'true', started_at + interval '2 seconds',"
                    + " started_at + interval '2 seconds', started_at + interval '3 seconds', started_at from bench_runs"
                    + " where status = 'completed' order by started_at");
            st.execute("set session_replication_role = origin");
            st.execute("vacuum analyze pgflow.runs");
            st.execute("vacuum analyze pgflow.step_states");
            st.execute("vacuum analyze pgflow.step_tasks");
            // write the load out now: a checkpoint spread over the next minutes slowed whatever was
            // measured first (the dashboard took 454 ms right after the load, 77 ms once written out)
            st.execute("checkpoint");
        }
    }
}
