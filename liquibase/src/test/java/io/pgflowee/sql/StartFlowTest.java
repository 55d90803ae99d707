package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** start_flow, start_flow_with_states and get_run_with_states. */
class StartFlowTest extends SqlEngineTest {

    private void twoRootsAndAJoin() {
        define("select pgflow.create_flow('f')",
               "select pgflow.add_step('f', 'left')",
               "select pgflow.add_step('f', 'right')",
               "select pgflow.add_step('f', 'join', ARRAY['left', 'right'])");
    }

    @Test
    void createsTheRunItsStepStatesAndTasksForRootStepsOnly() {
        twoRootsAndAJoin();

        Map<String, Object> started = db.row("select run_id, status, input::text as input, remaining_steps, output,"
                + " started_at from pgflow.start_flow('f', '{\"x\": 1}'::jsonb)");
        UUID run = (UUID) started.get("run_id");

        assertThat(started).containsEntry("status", "started").containsEntry("input", "{\"x\": 1}")
                .containsEntry("remaining_steps", 3).containsEntry("output", null);
        assertThat(db.rows("select step_slug, status, remaining_deps, initial_tasks, coalesce(remaining_tasks, -1) as remaining_tasks"
                + " from pgflow.step_states where run_id = ? order by step_slug", run)).containsExactly(
                Map.of("step_slug", "join", "status", "created", "remaining_deps", 2, "initial_tasks", 1, "remaining_tasks", -1),
                Map.of("step_slug", "left", "status", "started", "remaining_deps", 0, "initial_tasks", 1, "remaining_tasks", 1),
                Map.of("step_slug", "right", "status", "started", "remaining_deps", 0, "initial_tasks", 1, "remaining_tasks", 1));
        assertThat(db.rows("select step_slug, task_index, status, attempts_count from pgflow.step_tasks"
                + " where run_id = ? order by step_slug", run)).containsExactly(
                Map.of("step_slug", "left", "task_index", 0, "status", "queued", "attempts_count", 0),
                Map.of("step_slug", "right", "task_index", 0, "status", "queued", "attempts_count", 0));
        // one transaction: every timestamp of the call is the same now()
        assertThat((Long) db.one("select count(distinct ts) from (select started_at ts from pgflow.runs where run_id = ?"
                + " union all select created_at from pgflow.step_states where run_id = ?"
                + " union all select started_at from pgflow.step_states where run_id = ? and started_at is not null"
                + " union all select queued_at from pgflow.step_tasks where run_id = ?) t", run, run, run, run)).isEqualTo(1L);
    }

    @Test
    void acceptsACallerChosenRunIdAndRejectsItTwice() {
        twoRootsAndAJoin();
        UUID id = UUID.randomUUID();

        assertThat((UUID) db.one("select run_id from pgflow.start_flow('f', '{}', ?)", id)).isEqualTo(id);
        SQLException again = db.error("select * from pgflow.start_flow('f', '{}', ?)", id);
        assertThat(again.getSQLState()).isEqualTo("23505");
        assertThat(message(again)).isEqualTo("Run " + id + " already exists; start_flow needs a new run_id (or none)");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(1L);
    }

    @Test
    void anUnknownFlowIsAnErrorNamingTheFlow() {
        SQLException e = db.error("select * from pgflow.start_flow('nope', '{}')");

        assertThat(e.getSQLState()).isEqualTo("23503");
        assertThat(message(e)).isEqualTo("Flow \"nope\" does not exist");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isZero();
    }

    @Test
    void aNullInputIsRejected() {
        twoRootsAndAJoin();

        SQLException e = db.error("select * from pgflow.start_flow('f', null)");
        assertThat(e.getSQLState()).isEqualTo("23502");
        assertThat(message(e)).isEqualTo("Flow \"f\": input must not be NULL (pass '{}'::jsonb for a flow without input)");
    }

    @Test
    void rootMapFlowsNeedAnArrayInput() {
        define("select pgflow.create_flow('m')", "select pgflow.add_step('m', 'each', step_type => 'map')");

        SQLException object = db.error("select * from pgflow.start_flow('m', '{\"a\": 1}')");
        assertThat(object.getSQLState()).isEqualTo("P0001");
        assertThat(message(object)).isEqualTo("Flow m has root map steps but input is not an array (got object)");
        assertThat(message(db.error("select * from pgflow.start_flow('m', 'null'::jsonb)")))
                .isEqualTo("Flow m has root map steps but input is not an array (got null)");
        assertThat(message(db.error("select * from pgflow.start_flow('m', null)")))
                .isEqualTo("Flow m has root map steps but input is NULL");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isZero();
    }

    @Test
    void initialTasksFollowTheStepKind() {
        define("select pgflow.create_flow('m')",
               "select pgflow.add_step('m', 'root_map', step_type => 'map')",
               "select pgflow.add_step('m', 'dep_map', ARRAY['root_map'], step_type => 'map')",
               "select pgflow.add_step('m', 'single', ARRAY['dep_map'])");

        UUID run = start("m", "[1, 2, 3]");

        assertThat(db.rows("select step_slug, coalesce(initial_tasks, -1) as initial_tasks from pgflow.step_states"
                + " where run_id = ? order by step_slug", run))
                .containsExactly(Map.of("step_slug", "dep_map", "initial_tasks", -1), Map.of("step_slug", "root_map", "initial_tasks", 3),
                        Map.of("step_slug", "single", "initial_tasks", 1));
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'root_map'", run))
                .isEqualTo(3L);
    }

    @Test
    void startDelayKeepsRootTasksInvisibleForThatLong() {
        define("select pgflow.create_flow('d')", "select pgflow.add_step('d', 'later', start_delay => 30)");

        UUID run = start("d", "{}");

        Map<String, Object> delay = db.row("select extract(epoch from visible_at - clock_timestamp())::int as seconds"
                + " from pgflow.step_tasks where run_id = ?", run);
        assertThat((Integer) delay.get("seconds")).isBetween(28, 30);
        assertThat(claim("d", 10)).isEmpty();
        makeVisible(run);
        assertThat(claim("d", 10)).hasSize(1);
    }

    @Test
    void aZeroStepFlowCompletesImmediately() {
        define("select pgflow.create_flow('empty')");

        UUID run = start("empty", "{}");

        assertThat(run(run)).containsEntry("status", "completed").containsEntry("remaining_steps", 0)
                .containsEntry("output", null);
    }

    @Test
    void startFlowWithStatesReturnsTheRunAndAllStepStates() {
        twoRootsAndAJoin();
        UUID id = UUID.randomUUID();

        Map<String, Object> json = db.row("select r->'run'->>'run_id' as run_id, r->'run'->>'status' as status,"
                + " jsonb_array_length(r->'steps') as steps, r->'steps'->0->>'step_slug' as first"
                + " from pgflow.start_flow_with_states('f', '{}', ?) r", id);
        assertThat(json).containsEntry("run_id", id.toString()).containsEntry("status", "started")
                .containsEntry("steps", 3).containsEntry("first", "left");
        assertThat((Object) db.one("select pgflow.get_run_with_states(?)", UUID.randomUUID())).isNull();
        assertThat((String) db.one("select pgflow.get_run_with_states(?)->'run'->>'flow_slug'", id)).isEqualTo("f");
    }

    @Test
    void startedAtIsTheStartingTransactionsNow() {
        twoRootsAndAJoin();
        UUID run = start("f", "{}");
        assertThat((Boolean) db.one("select started_at between now() - interval '1 minute' and now()"
                + " and completed_at is null and failed_at is null from pgflow.runs where run_id = ?", run)).isTrue();
    }

    @Test
    void runIdsAreVersion7UuidsThatGrowWithTime() {
        twoRootsAndAJoin();
        java.sql.Timestamp before = db.one("select date_trunc('milliseconds', clock_timestamp())");
        UUID first = start("f", "{}");
        db.exec("select pg_sleep(0.002)");
        UUID viaMany = db.one("select run_id from pgflow.start_flows('f', array['{}']::jsonb[])");
        java.sql.Timestamp after = db.one("select clock_timestamp()");

        for (UUID id : java.util.List.of(first, viaMany)) {
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
            long millis = id.getMostSignificantBits() >>> 16;
            assertThat(millis).isBetween(before.getTime(), after.getTime());
        }
        assertThat((Boolean) db.one("select ?::uuid < ?::uuid", first, viaMany)).as("a later millisecond sorts later").isTrue();
        assertThat((Long) db.one("select count(distinct r.run_id) from generate_series(1, 200) g cross join lateral pgflow.start_flow('f', jsonb_build_object('n', g)) r"))
                .isEqualTo(200L);
    }

    /**
     * The run checks of every start and completion ("run_id = $1 AND status = 'started'") find the
     * run by an index condition on run_id, also with statistics from when few runs were unfinished
     * and thousands unfinished now (a partial index on flow_slug was once picked and walked them all).
     */
    @Test
    void aRunsChecksFindItByItsIdWhateverTheBacklogAndTheStatistics() throws SQLException {
        // statistics taken when every run had finished (a flow without steps completes at its start)
        define("select pgflow.create_flow('done')", "select pgflow.create_flow('backlog')", "select pgflow.add_step('backlog', 'only')");
        db.exec("select count(*) from generate_series(1, 5000) g, lateral pgflow.start_flow('done', jsonb_build_object('g', g))");
        db.exec("analyze pgflow.runs");
        db.exec("select count(*) from generate_series(1, 5000) g, lateral pgflow.start_flow('backlog', jsonb_build_object('g', g))");
        UUID run = start("backlog", "{}");

        java.util.List<String> plan = new java.util.ArrayList<>();
        try (java.sql.Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("set plan_cache_mode = force_generic_plan");
            st.execute("prepare check_run(uuid) as select 1 from pgflow.runs r where r.run_id = $1 and r.status = 'started'"
                    + " and r.remaining_steps = 0");
            try (java.sql.ResultSet rs = st.executeQuery("explain (costs off) execute check_run('" + run + "')")) {
                while (rs.next()) {
                    plan.add(rs.getString(1).trim());
                }
            }
            st.execute("deallocate check_run");
            st.execute("reset plan_cache_mode");
        }
        assertThat(plan).as(String.join("\n", plan)).anyMatch(line -> line.startsWith("Index Cond: (run_id = $1)"));
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'backlog' and status = 'started'")).isEqualTo(5001L);
    }
}
