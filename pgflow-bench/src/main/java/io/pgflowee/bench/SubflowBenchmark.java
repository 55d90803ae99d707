package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * Subflows end to end (issue 31's target) on a running server with the example flows, as
 * {@code ./pgflow}: one run of {@code order_fulfilment} whose {@code ship} step is a map subflow of
 * {@code children} (1,000) parcels, each a child run of the 2-step flow {@code shipping} (plus its
 * own {@code total}, {@code parcels}, {@code summary} steps and one {@code payment} child), against
 * {@code children} independent runs of {@code shipping} started at once ({@code start_flows}).
 * Alternates the two {@code rounds} (3) times; each time is the database's own (first start to
 * last completion). Target: the family within 1.5x the independent runs. Also reports the
 * hand-over: from the {@code ship} step's start to its last child's start (the children start in
 * the transactions that complete the step's tasks, so a worker's report starts them without a
 * second round trip), and from the last child's completion to the order's. Prints the database
 * calibration first.
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.SubflowBenchmark \
 *   -Dexec.args="url=jdbc:postgresql://localhost:15432/postgres children=1000 rounds=3"
 * </pre>
 */
public final class SubflowBenchmark {

    private SubflowBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);
        int children = Integer.parseInt(opts.getOrDefault("children", "1000"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
        List<Double> independent = new ArrayList<>();
        List<Double> family = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            independent.add(independent(ds, children, round));
            family.add(family(ds, children, round));
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            ratios.add(family.get(i) / independent.get(i));
        }
        Collections.sort(independent);
        Collections.sort(family);
        Collections.sort(ratios);
        double a = independent.get(independent.size() / 2);
        double b = family.get(family.size() / 2);
        System.out.printf("# median: %,d independent shipping runs %.2f s, one order with %,d shipping children %.2f s: %.2fx;"
                + " per round %.2f-%.2fx, median %.2fx (target at most 1.5x)%n", children, a, children, b, b / a, ratios.get(0),
                ratios.get(ratios.size() - 1), ratios.get(ratios.size() / 2));
        System.exit(0);
    }

    private static String parcels(int n, String tag) {
        return "(select jsonb_agg(jsonb_build_object('id', '" + tag + "-' || g, 'grams', 100 + g, 'cents', 10)) from generate_series(1, " + n + ") g)";
    }

    private static double independent(PGSimpleDataSource ds, int n, int round) throws Exception {
        String tag = "bench-i" + round + "-" + System.nanoTime();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("select count(*) from pgflow.start_flows('shipping', (select array_agg(jsonb_build_object('orderId', '" + tag
                    + "', 'parcel', 'p-' || g, 'grams', 100 + g)) from generate_series(1, " + n + ") g))");
            String where = " from pgflow.runs where flow_slug = 'shipping' and parent_run_id is null and input->>'orderId' = '" + tag + "'";
            await(st, "select count(*) = " + n + " and bool_and(status <> 'started')" + where);
            String failed = text(st, "select count(*) filter (where status <> 'completed')" + where);
            double seconds = number(st, "select extract(epoch from max(completed_at) - min(started_at))" + where);
            System.out.printf("# round %d: %,d independent runs of shipping: %.2f s (%.0f runs/s), not completed: %s%n", round, n, seconds,
                    n / seconds, failed);
            return seconds;
        }
    }

    private static double family(PGSimpleDataSource ds, int n, int round) throws Exception {
        String tag = "bench-f" + round + "-" + System.nanoTime();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            String order = text(st, "select run_id::text from pgflow.start_flow('order_fulfilment', jsonb_build_object('orderId', '" + tag
                    + "', 'card', '4242', 'parcels', " + parcels(n, tag) + "))");
            await(st, "select status <> 'started' from pgflow.runs where run_id = '" + order + "'");
            String status = text(st, "select status from pgflow.runs where run_id = '" + order + "'");
            double seconds = number(st, "select extract(epoch from completed_at - started_at) from pgflow.runs where run_id = '" + order + "'");
            String kids = "from pgflow.runs where parent_run_id = '" + order + "' and parent_step_slug = 'ship'";
            double handOver = number(st, "select extract(epoch from (select max(started_at) " + kids + ") - ss.started_at) * 1000"
                    + " from pgflow.step_states ss where ss.run_id = '" + order + "' and ss.step_slug = 'ship'");
            double tail = number(st, "select extract(epoch from r.completed_at - (select max(completed_at) " + kids + ")) * 1000"
                    + " from pgflow.runs r where r.run_id = '" + order + "'");
            String childCount = text(st, "select count(*) filter (where status = 'completed') || ' of ' || count(*) " + kids);
            System.out.printf("# round %d: one order_fulfilment with %,d shipping children: %.2f s, %s (children completed: %s);"
                    + " ship step start to last child start %.0f ms, last child end to order end %.0f ms%n", round, n, seconds, status,
                    childCount, handOver, tail);
            return seconds;
        }
    }

    private static void await(Statement st, String sql) throws Exception {
        long t0 = System.nanoTime();
        while (!"t".equals(text(st, sql))) {
            if (System.nanoTime() - t0 > 900_000_000_000L) {
                throw new IllegalStateException("not within 15 min: " + sql);
            }
            Thread.sleep(50);
        }
    }

    private static String text(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static double number(Statement st, String sql) throws Exception {
        return Double.parseDouble(text(st, sql));
    }
}
