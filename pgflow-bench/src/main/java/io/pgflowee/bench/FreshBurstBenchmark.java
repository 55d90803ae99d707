package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;

import javax.sql.DataSource;

/**
 * A burst on a fresh database, the way a nightly import or a webhook storm arrives: against a
 * running server (its workers drain), on its database emptied and analyzed while empty (what a new
 * installation looks like to the planner), {@code warmup} runs (500), then {@code count} runs
 * (4,000) of {@code greet_user} started in one statement ({@code via=statement}, a
 * {@code LATERAL start_flow} over {@code generate_series}) or one {@code start_flows} call
 * ({@code via=start_flows}); the start time and the drain rate from its commit to the last
 * completion. Then the same after the warm-up and an {@code ANALYZE}, alternating ({@code rounds}, 2), and the ratio of the drain rates
 * (issue 29's target: at least 80 %). <b>Deletes every run of the database</b>: it refuses to run
 * without {@code fresh=delete-all-runs}.
 *
 * <pre>
 * ./mvnw -o -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.FreshBurstBenchmark \
 *   -Dexec.args="url=jdbc:postgresql://localhost:15432/postgres fresh=delete-all-runs count=4000 via=statement"
 * </pre>
 */
public final class FreshBurstBenchmark {

    private FreshBurstBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        if (!"delete-all-runs".equals(opts.get("fresh"))) {
            System.err.println("FreshBurstBenchmark deletes every run of the database: pass fresh=delete-all-runs to confirm");
            System.exit(2);
        }
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "500"));
        int count = Integer.parseInt(opts.getOrDefault("count", "4000"));
        String via = opts.getOrDefault("via", "statement");
        DataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        System.out.printf("# fresh burst: %d greet_user runs via %s after %d warm-up runs, 2 steps each; %d cores here%n", count, via, warmup,
                Runtime.getRuntime().availableProcessors());
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "2"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            double fresh = 0;
            double analyzed = 0;
            // alternating, so that neither side always runs on a colder server
            for (int round = 1; round <= rounds; round++) {
                truncate(st);
                st.execute("ANALYZE pgflow.runs, pgflow.step_states, pgflow.step_tasks");
                burst(c, warmup, "statement");
                fresh += report("round " + round + ": fresh (analyzed empty)", c, count, via);
                truncate(st);
                burst(c, warmup, "statement");
                st.execute("ANALYZE pgflow.runs, pgflow.step_states, pgflow.step_tasks");
                analyzed += report("round " + round + ": analyzed", c, count, via);
            }
            System.out.printf(Locale.ROOT, "fresh / analyzed drain rate over %d rounds: %.0f %%%n", rounds, 100 * fresh / analyzed);
        }
        System.exit(0);
    }

    /** Deletes every run; the server's workers keep claiming, and a deadlock with them is retried (PostgreSQL picks one). */
    private static void truncate(Statement st) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                st.execute("TRUNCATE pgflow.runs, pgflow.step_states, pgflow.step_tasks, pgflow_internal.task_attempts CASCADE");
                return;
            } catch (java.sql.SQLException e) {
                if (!"40P01".equals(e.getSQLState()) || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** One burst, printed; its drain rate in steps/s. */
    private static double report(String what, Connection c, int count, String via) throws Exception {
        double[] r = burst(c, count, via);
        double rate = 2.0 * count / r[1];
        System.out.printf(Locale.ROOT, "%-32s start %6.2f s, drain %6.2f s: %,.0f steps/s%n", what, r[0], r[1], rate);
        return rate;
    }

    /** Starts {@code n} runs in one statement, waits until none is started; {start seconds, drain seconds}. */
    private static double[] burst(Connection c, int n, String via) throws Exception {
        String sql = via.equals("start_flows")
                ? "SELECT count(*) FROM pgflow.start_flows('greet_user', (SELECT array_agg(jsonb_build_object('first_name', 'F' || g,"
                        + " 'last_name', 'B')) FROM generate_series(1, ?) g))"
                : "SELECT count(*) FROM generate_series(1, ?) g, LATERAL pgflow.start_flow('greet_user', jsonb_build_object('first_name',"
                        + " 'F' || g, 'last_name', 'B'))";
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, n);
            ps.execute();
        }
        long t1 = System.nanoTime();
        try (Statement st = c.createStatement()) {
            while (true) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pgflow.runs WHERE status = 'started'")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        break;
                    }
                }
                Thread.sleep(50);
            }
        }
        long t2 = System.nanoTime();
        return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }
}
