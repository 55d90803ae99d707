package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import javax.sql.DataSource;

import io.pgflowee.migrations.PgflowMigrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Pruning a month of runs: {@code runs} (default 1,000,000) finished runs of a 2-step flow (2 step
 * states and 2 tasks each) started over the weeks [now - 65 days, now - 37 days), in four weekly
 * run partitions, pruned with {@code prune_data_older_than(interval '30 days')}:
 * <ul>
 *   <li>{@code drop}: every run of the month finished, so the four weeks are dropped whole;</li>
 *   <li>{@code rows}: each week also holds one run still open, so no week may be dropped and the month
 *       is deleted row by row (what every prune did before the tables were partitioned).</li>
 * </ul>
 * Alternating drop, rows, drop, rows ({@code rounds} pairs, default 2), each on freshly made runs,
 * on an embedded PostgreSQL 17 (fsync and synchronous_commit on). The past weeks are made the way
 * {@code create_run_partitions} made them when they were ahead ({@code _create_run_partition} and the
 * registry row), since a benchmark cannot wait a month. First, the conversion itself:
 * {@code partition_run_tables()} timed on plain tables holding the same {@code runs}. Prints the
 * calibration first, then per prune: its time, the runs and bytes before and after.
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.PartitionPruneBenchmark -Dexec.args="runs=1000000 rounds=2"
 * </pre>
 */
public final class PartitionPruneBenchmark {

    private static final int WEEKS = 4;
    private static final int FIRST_DAY = 65; // the month starts 65 days ago, weeks of 7 days: until 37 days ago

    private PartitionPruneBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        int runs = Integer.parseInt(opts.getOrDefault("runs", "1000000"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "2"));
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("fsync", "on")
                .setServerConfig("max_connections", "100")
                .setServerConfig("shared_buffers", "256MB")
                .setServerConfig("max_wal_size", "4GB")
                .start()) {
            DataSource ds = pg.getPostgresDatabase();
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                PgflowMigrations.apply(c);
                st.execute("select pgflow.create_flow('bench_prune')");
                st.execute("select pgflow.add_step('bench_prune', 'a')");
                st.execute("select pgflow.add_step('bench_prune', 'b', ARRAY['a'])");
            }
            Calibration.print(ds, 4, 5);
            // the conversion of a database that has them (its locks last as long as this)
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                insertRuns(st, runs);
                st.execute("vacuum analyze pgflow.runs, pgflow.step_states, pgflow.step_tasks");
                long t0 = System.nanoTime();
                String made;
                try (ResultSet rs = st.executeQuery("select pgflow.partition_run_tables()::text")) {
                    rs.next();
                    made = rs.getString(1);
                }
                System.out.printf("partition_run_tables() with %,d runs (%,d step states, %,d tasks) in the plain tables: %.2f s; %s%n",
                        runs, 2L * runs, 2L * runs, (System.nanoTime() - t0) / 1e9, made);
                st.execute("truncate pgflow.runs cascade");
                st.execute("select * from pgflow.drop_run_partitions(now(), only_empty => true)"); // the emptied legacy range
            }
            System.out.printf("# %,d finished runs of a 2-step flow (2 step states, 2 tasks each) started over %d weeks from %d days ago;"
                    + " prune_data_older_than(interval '30 days'); %d cores%n", runs, WEEKS, FIRST_DAY,
                    Runtime.getRuntime().availableProcessors());
            for (int round = 1; round <= rounds; round++) {
                for (String mode : new String[] {"drop", "rows"}) {
                    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                        prepare(st, runs, mode.equals("rows"));
                        long runsBefore = count(st, "select count(*) from pgflow.runs");
                        long bytesBefore = count(st, bytes());
                        long t0 = System.nanoTime();
                        st.execute("select pgflow.prune_data_older_than(interval '30 days')");
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        System.out.printf("round %d %-4s: %.2f s; runs %,d -> %,d; run tables %,d -> %,d MiB; week partitions left %d%n",
                                round, mode, seconds, runsBefore, count(st, "select count(*) from pgflow.runs"), bytesBefore >> 20,
                                count(st, bytes()) >> 20, count(st, "select count(*) from pgflow_internal.run_partitions where suffix like 'bench_%'"));
                    }
                }
            }
        }
    }

    /** The bytes of the seven run tables, every partition with its indexes. */
    private static String bytes() {
        return "select coalesce(sum(pg_total_relation_size(p.relid)), 0) from unnest(array['pgflow.runs', 'pgflow.step_states',"
                + " 'pgflow.step_tasks', 'pgflow_internal.task_attempts', 'pgflow_internal.run_retries', 'pgflow_internal.run_traces',"
                + " 'pgflow_internal.task_traces']::regclass[]) t(parent), pg_partition_tree(t.parent) p where p.isleaf";
    }

    /** Empties the run tables, makes the month's weeks (if missing) and its runs; {@code open}: one open run per week. */
    private static void prepare(Statement st, int runs, boolean open) throws Exception {
        st.execute("truncate pgflow.runs cascade");
        for (int w = 0; w < WEEKS; w++) {
            int from = FIRST_DAY - 7 * w;
            int to = from - 7;
            String suffix = "bench_w" + w;
            if (count(st, "select count(*) from pgflow_internal.run_partitions where suffix = '" + suffix + "'") == 0) {
                st.execute("select pgflow._create_run_partition('" + suffix + "', pgflow._run_id_floor(now() - interval '" + from
                        + " days'), pgflow._run_id_floor(now() - interval '" + to + " days'))");
                st.execute("insert into pgflow_internal.run_partitions (suffix, starts_at, ends_at, from_id, to_id) values ('" + suffix
                        + "', now() - interval '" + from + " days', now() - interval '" + to + " days', pgflow._run_id_floor(now() - interval '"
                        + from + " days'), pgflow._run_id_floor(now() - interval '" + to + " days'))");
            }
        }
        insertRuns(st, runs);
        if (open) {
            st.execute("update pgflow.runs r set status = 'started', completed_at = null, remaining_steps = 1, output = null"
                    + " where r.run_id in (select distinct on (tableoid) run_id from pgflow.runs order by tableoid, run_id)");
        }
        st.execute("vacuum analyze pgflow.runs, pgflow.step_states, pgflow.step_tasks");
    }

    /** {@code runs} completed runs started over the month, 2 step states and 2 tasks each, in chunks of 100,000. */
    private static void insertRuns(Statement st, int runs) throws Exception {
        Connection c = st.getConnection();
        double spanSeconds = WEEKS * 7 * 86400.0 - 60;
        int chunk = 100_000;
        for (int made = 0; made < runs; made += chunk) {
            int n = Math.min(chunk, runs - made);
            c.setAutoCommit(false);
            // run ids of their start times: the 48 time bits of a version 7 id, then random bits
            st.execute("create temp table bench_new on commit drop as select (substr(replace(pgflow._run_id_floor(t.started_at)::text, '-', ''),"
                    + " 1, 12) || '7' || substr(md5(random()::text || g), 1, 19))::uuid as run_id, t.started_at"
                    + " from generate_series(" + (made + 1) + ", " + (made + n) + ") g,"
                    + " lateral (select now() - interval '" + FIRST_DAY + " days' + make_interval(secs => g * " + spanSeconds / runs + ")) t(started_at)");
            PruneBenchmark.insertFinishedRuns(st);
            c.commit();
            c.setAutoCommit(true);
        }
    }

    private static long count(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
