package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * The hot statements find their rows by key whatever the statistics say: on tables analyzed while
 * empty (a fresh database), a burst of starts and its completions scan no engine table
 * sequentially. Without this, each start_flow of a 20,000-run statement scanned every step_states
 * row (244 s instead of 9.5 s after ANALYZE, measured 2026-12-02) and each completion batch every
 * run. Counted with pg_stat_xact_user_tables: the sequential scans of this transaction.
 */
class PlanStabilityTest extends SqlEngineTest {

    private static final int RUNS = 2000;

    /** Sequential scans per engine table in the current transaction. */
    private static Map<String, Long> seqScans(Statement st) throws Exception {
        Map<String, Long> scans = new LinkedHashMap<>();
        try (ResultSet rs = st.executeQuery("SELECT relname, seq_scan FROM pg_stat_xact_user_tables"
                + " WHERE schemaname = 'pgflow' AND relname IN ('runs', 'step_states', 'step_tasks') ORDER BY relname")) {
            while (rs.next()) {
                scans.put(rs.getString(1), rs.getLong(2));
            }
        }
        return scans;
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws Exception;
    }

    /** The (run_id, step_slug, task_index) rows of a claim. */
    private static List<Object[]> tasks(PreparedStatement ps, Binder binder) throws Exception {
        try (ps) {
            binder.bind(ps);
            List<Object[]> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Object[] {rs.getObject(1), rs.getString(2), rs.getInt(3)});
                }
            }
            return out;
        }
    }

    @Test
    void aBurstOnTablesAnalyzedEmptyStartsClaimsAndCompletesWithoutScanningTheTables() throws Exception {
        db.exec("select pgflow.create_flow('burst', max_attempts => 1)");
        db.exec("select pgflow.add_step('burst', 'a')");
        db.exec("select pgflow.add_step('burst', 'b', ARRAY['a'])");
        registerWorker("burst");
        db.exec("ANALYZE pgflow.runs, pgflow.step_states, pgflow.step_tasks");
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("SELECT count(*) FROM generate_series(1, " + RUNS + ") g, LATERAL pgflow.start_flow('burst', jsonb_build_object('n', g))");
            Map<String, Long> afterStarts = seqScans(st);
            st.execute("SELECT count(*) FROM pgflow.start_flows('burst', (SELECT array_agg(jsonb_build_object('m', g)) FROM generate_series(1, "
                    + RUNS + ") g))");
            List<Object[]> claimed = tasks(c.prepareStatement("SELECT run_id, step_slug, task_index FROM pgflow.claim_tasks('burst', ?, 100)"),
                    ps -> ps.setObject(1, worker));
            for (int i = 0; i < 20 && !claimed.isEmpty(); i++) {
                List<Object[]> done = claimed;
                claimed = tasks(c.prepareStatement("SELECT run_id, step_slug, task_index FROM pgflow.complete_tasks_and_claim(?, 100, ?, ?, ?,"
                        + " ?::jsonb[])"), ps -> {
                            ps.setObject(1, worker);
                            ps.setArray(2, c.createArrayOf("uuid", done.stream().map(t -> t[0]).toArray()));
                            ps.setArray(3, c.createArrayOf("text", done.stream().map(t -> t[1]).toArray()));
                            ps.setArray(4, c.createArrayOf("int4", done.stream().map(t -> t[2]).toArray()));
                            ps.setArray(5, c.createArrayOf("text", done.stream().map(t -> "1").toArray()));
                        });
            }
            Map<String, Long> afterAll = seqScans(st);
            c.rollback();
            // a few per statement may remain (where no key applies); one per run or per task is the trap (10,008 of runs before)
            assertThat(afterStarts).as("sequential scans while starting " + RUNS + " runs one by one").allSatisfy((t, n) -> assertThat(n)
                    .as(t).isLessThan(RUNS / 100));
            assertThat(afterAll).as("sequential scans after a batch start and 20 completion batches").allSatisfy((t, n) -> assertThat(n)
                    .as(t).isLessThan(RUNS / 50));
        }
    }
}
