package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/**
 * The map width limit ({@code pgflow.max_map_width}, default 100,000 elements): a root map's input
 * array is refused by start_flow / start_flows (SQLSTATE 54000, nothing started), the array that a
 * step hands to a dependent map fails that task, its step and the run (MAP_WIDTH) in complete_task
 * and complete_tasks; every message names the length, the limit and how to change it. A map of
 * 10,000 is well under the default.
 */
class MapWidthLimitTest extends SqlEngineTest {

    @Test
    void aRootMapOfTenThousandStartsUnderTheDefaultLimit() {
        define("select pgflow.create_flow('wide')", "select pgflow.add_step('wide', 'each', step_type => 'map')");
        UUID run = start("wide", "[" + "1,".repeat(9_999) + "1]");
        assertThat(step(run, "each")).containsEntry("status", "started").containsEntry("initial_tasks", 10_000);
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where run_id = ? and status = 'queued'", run)).isEqualTo(10_000L);
    }

    @Test
    void aRootMapOverTheLimitIsRefusedByStartFlowAndStartFlowsAndNothingStarts() throws SQLException {
        define("select pgflow.create_flow('wide')", "select pgflow.add_step('wide', 'each', step_type => 'map')");
        try (Connection c = PgflowDatabaseExtension.newConnection(); Statement s = c.createStatement()) {
            s.execute("SET pgflow.max_map_width = 100");
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM pgflow.start_flow('wide', (SELECT jsonb_agg(g) FROM generate_series(1, 101) g))"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("54000");
                        assertThat(e.getMessage()).startsWith("ERROR: Flow \"wide\": the run input is an array of 101 elements, but a map"
                                + " step takes at most 100 (pgflow.max_map_width)\n  Hint: Split the work into several runs, or raise the"
                                + " limit: ALTER DATABASE <database> SET pgflow.max_map_width = <elements>");
                    });
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM pgflow.start_flows('wide', ARRAY['[1]'::jsonb,"
                    + " (SELECT jsonb_agg(g) FROM generate_series(1, 101) g)])"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("54000");
                        assertThat(e.getMessage()).startsWith("ERROR: Flow \"wide\": the run input of item 2 is an array of 101 elements,"
                                + " but a map step takes at most 100 (pgflow.max_map_width)");
                    });
            assertThat(db.<Long>one("select count(*) from pgflow.runs where flow_slug = 'wide'")).isZero();
            // exactly the limit: started
            try (ResultSet rs = s.executeQuery("SELECT status FROM pgflow.start_flow('wide', (SELECT jsonb_agg(g) FROM generate_series(1, 100) g))")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("started");
            }
        }
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where flow_slug = 'wide'")).isEqualTo(100L);
    }

    @Test
    void anArrayOverTheLimitForADependentMapFailsTheTaskTheStepAndTheRun() throws SQLException {
        define("select pgflow.create_flow('feed')", "select pgflow.add_step('feed', 'list')",
                "select pgflow.add_step('feed', 'each', ARRAY['list'], step_type => 'map')");
        UUID tooWide = start("feed", "{}");
        UUID justRight = start("feed", "{}");
        claim("feed", 2);
        try (Connection c = PgflowDatabaseExtension.newConnection(); Statement s = c.createStatement()) {
            s.execute("SET pgflow.max_map_width = 100");
            // one call each way: complete_task, and complete_tasks (which hands a map's feeder to complete_task)
            s.execute("SELECT * FROM pgflow.complete_task('" + tooWide + "', 'list', 0, (SELECT jsonb_agg(g) FROM generate_series(1, 101) g))");
            s.execute("SELECT * FROM pgflow.complete_tasks(ARRAY['" + justRight + "']::uuid[], ARRAY['list'], ARRAY[0],"
                    + " ARRAY[(SELECT jsonb_agg(g) FROM generate_series(1, 100) g)])");
        }
        assertThat(task(tooWide, "list", 0)).containsEntry("status", "failed").containsEntry("output", null)
                .containsEntry("error_message", "[MAP_WIDTH] Produced an array of 101 elements; map step each takes at most 100 (pgflow.max_map_width)");
        assertThat(step(tooWide, "list")).containsEntry("status", "failed")
                .containsEntry("error_message", "[MAP_WIDTH] Map step each would get 101 tasks from dependency list, over the limit of 100"
                        + " (pgflow.max_map_width: split the work, or ALTER DATABASE <database> SET pgflow.max_map_width = <elements>)");
        assertThat(run(tooWide)).containsEntry("status", "failed");
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'each'", tooWide)).isZero();

        assertThat(run(justRight)).containsEntry("status", "started");
        assertThat(step(justRight, "each")).containsEntry("status", "started").containsEntry("initial_tasks", 100);
    }
}
