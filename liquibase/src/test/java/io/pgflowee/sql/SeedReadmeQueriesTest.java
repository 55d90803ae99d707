package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * The user's starting document (shared/seed/hello-world-README.md): every SQL statement in it, run
 * verbatim against our schema (only YOUR_RUN_ID and your_flow_slug filled in), shows what it says.
 */
class SeedReadmeQueriesTest extends SqlEngineTest {

    /** greet_user as the seed's sample flow declares it (liquibase/flows/greet_user.sql compiles the same). */
    private void greetUser() {
        define("SELECT pgflow.create_flow('greet_user', max_attempts => 3, base_delay => 5, timeout => 60)",
               "SELECT pgflow.add_step('greet_user', 'full_name')",
               "SELECT pgflow.add_step('greet_user', 'greeting', ARRAY['full_name'])");
    }

    private static String seed(String sql, UUID run) {
        return sql.replace("YOUR_RUN_ID", run.toString());
    }

    @Test
    void theHelloWorldJourneyAndEveryMonitoringQuery() {
        greetUser();

        // 3. Trigger the Example Flow
        Map<String, Object> started = db.row("""
                -- Start the greet_user flow
                SELECT * FROM pgflow.start_flow(
                  flow_slug => 'greet_user',
                  input => '{"first_name": "Alice", "last_name": "Smith"}'::jsonb
                );""");
        UUID run = (UUID) started.get("run_id");
        assertThat(started).containsEntry("status", "started").containsEntry("flow_slug", "greet_user");

        // Active Tasks: the first task waits
        List<Map<String, Object>> active = db.rows("""
                SELECT run_id, step_slug, status, attempts_count,
                  queued_at, started_at, last_worker_id
                FROM pgflow.step_tasks
                WHERE status IN ('queued', 'started')
                ORDER BY queued_at ASC;""");
        assertThat(active).singleElement().satisfies(t -> assertThat(t).containsEntry("step_slug", "full_name")
                .containsEntry("status", "queued").containsEntry("attempts_count", 0).containsEntry("last_worker_id", null));

        // what a worker does
        List<Map<String, Object>> first = claim("greet_user", 10);
        assertThat(first).singleElement().satisfies(t ->
                assertThat(t.get("flow_input")).isEqualTo("{\"last_name\": \"Smith\", \"first_name\": \"Alice\"}"));
        complete(run, "full_name", 0, "\"Alice Smith\"");
        List<Map<String, Object>> second = claim("greet_user", 10);
        assertThat(second).singleElement().satisfies(t -> assertThat(t.get("input")).isEqualTo("{\"full_name\": \"Alice Smith\"}"));
        complete(run, "greeting", 0, "\"Hello, Alice Smith!\"");

        // 4. Observe the Output
        Map<String, Object> output = db.row(seed("""
                -- Check run status and output
                SELECT status, output, remaining_steps
                FROM pgflow.runs
                WHERE run_id = 'YOUR_RUN_ID';""", run));
        assertThat(output.get("status")).isEqualTo("completed");
        assertThat(output.get("output").toString()).isEqualTo("{\"greeting\": \"Hello, Alice Smith!\"}");
        assertThat(output.get("remaining_steps")).isEqualTo(0);

        // 5. Monitor Step Execution: the two steps with their outputs
        List<Map<String, Object>> steps = db.rows(seed("""
                -- View step details
                SELECT ss.step_slug, ss.status, st.output
                FROM pgflow.step_states ss
                LEFT JOIN pgflow.step_tasks st ON
                  ss.run_id = st.run_id AND
                  ss.step_slug = st.step_slug AND
                  st.status = 'completed'
                WHERE ss.run_id = 'YOUR_RUN_ID';""", run));
        assertThat(steps).extracting(s -> s.get("step_slug") + "|" + s.get("status") + "|" + s.get("output"))
                .containsExactlyInAnyOrder("full_name|completed|\"Alice Smith\"", "greeting|completed|\"Hello, Alice Smith!\"");

        // Recent Runs
        List<Map<String, Object>> recent = db.rows("""
                SELECT run_id, status, input, output, remaining_steps, started_at
                FROM pgflow.runs
                WHERE flow_slug = 'greet_user'
                ORDER BY started_at DESC
                LIMIT 10;""");
        assertThat(recent).singleElement().satisfies(r -> assertThat(r).containsEntry("run_id", run)
                .containsEntry("status", "completed").containsEntry("remaining_steps", 0));

        // Active Tasks: none left
        assertThat(db.rows("""
                SELECT run_id, step_slug, status, attempts_count,
                  queued_at, started_at, last_worker_id
                FROM pgflow.step_tasks
                WHERE status IN ('queued', 'started')
                ORDER BY queued_at ASC;""")).isEmpty();

        // Execution Timeline
        List<Map<String, Object>> timeline = db.rows(seed("""
                SELECT step_slug, status, started_at, completed_at, failed_at,
                  EXTRACT(EPOCH FROM (COALESCE(completed_at, failed_at) - started_at)) AS duration_seconds
                FROM pgflow.step_states
                WHERE run_id = 'YOUR_RUN_ID'
                ORDER BY created_at ASC;""", run));
        assertThat(timeline).hasSize(2).allSatisfy(s -> {
            assertThat(s.get("status")).isEqualTo("completed");
            assertThat(((java.math.BigDecimal) s.get("duration_seconds")).signum()).isGreaterThanOrEqualTo(0);
        });

        // Worker Activity: the worker that just claimed is alive
        List<Map<String, Object>> workers = db.rows("""
                SELECT worker_id, last_heartbeat
                FROM pgflow.workers
                WHERE last_heartbeat > now() - interval '6 seconds';""");
        assertThat(workers).extracting(w -> w.get("worker_id")).containsExactly(worker);

        // Failed Steps: none for a completed run
        assertThat(db.rows(seed("""
                SELECT ss.step_slug, st.attempts_count, st.error_message, st.failed_at
                FROM pgflow.step_states ss
                JOIN pgflow.step_tasks st ON
                  ss.run_id = st.run_id AND
                  ss.step_slug = st.step_slug
                WHERE ss.run_id = 'YOUR_RUN_ID' AND ss.status = 'failed';""", run))).isEmpty();
    }

    @Test
    void theFailedStepsQueryShowsAnExhaustedStep() {
        greetUser();
        db.exec("update pgflow.flows set opt_max_attempts = 1 where flow_slug = 'greet_user'");
        UUID run = start("greet_user", "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}");
        claim("greet_user", 1);
        fail(run, "full_name", 0, "IllegalStateException: no last name service");

        List<Map<String, Object>> failed = db.rows(seed("""
                SELECT ss.step_slug, st.attempts_count, st.error_message, st.failed_at
                FROM pgflow.step_states ss
                JOIN pgflow.step_tasks st ON
                  ss.run_id = st.run_id AND
                  ss.step_slug = st.step_slug
                WHERE ss.run_id = 'YOUR_RUN_ID' AND ss.status = 'failed';""", run));
        assertThat(failed).singleElement().satisfies(f -> {
            assertThat(f).containsEntry("step_slug", "full_name").containsEntry("attempts_count", 1)
                    .containsEntry("error_message", "IllegalStateException: no last name service");
            assertThat(f.get("failed_at")).isNotNull();
        });
    }

    @Test
    void verifyTablesListsExactlyTheSevenTables() {
        List<Map<String, Object>> tables = db.rows("""
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = 'pgflow';""");
        assertThat(tables).extracting(t -> t.get("table_name")).containsExactlyInAnyOrder(
                "flows", "steps", "deps", "runs", "step_states", "step_tasks", "workers");
    }

    @Test
    void deleteFlowAndDataAsTheModifyExistingFlowsSectionDoes() {
        greetUser();
        start("greet_user", "{}");
        db.exec("SELECT pgflow.delete_flow_and_data('greet_user');");
        assertThat((Long) db.one("select count(*) from pgflow.flows")).isZero();
    }
}
