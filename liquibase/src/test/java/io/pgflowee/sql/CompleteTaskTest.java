package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.pgflowee.testing.SqlEngineTest;

/** complete_task: counters, dependents, run completion and every no-op. */
class CompleteTaskTest extends SqlEngineTest {

    private UUID startDiamond() {
        define("select pgflow.create_flow('d')",
               "select pgflow.add_step('d', 'root')",
               "select pgflow.add_step('d', 'left', ARRAY['root'])",
               "select pgflow.add_step('d', 'right', ARRAY['root'])",
               "select pgflow.add_step('d', 'join', ARRAY['left', 'right'])");
        return start("d", "{\"n\": 1}");
    }

    @Test
    void completingAStepReleasesItsDependentsAndCountsDown() {
        UUID run = startDiamond();
        claim("d", 10);

        Map<String, Object> done = complete(run, "root", 0, "{\"r\": 1}");

        assertThat(done).containsEntry("status", "completed").containsEntry("output", "{\"r\": 1}");
        assertThat(step(run, "root")).containsEntry("status", "completed").containsEntry("remaining_tasks", 0)
                .containsEntry("output", "{\"r\": 1}");
        assertThat(step(run, "left")).containsEntry("status", "started").containsEntry("remaining_deps", 0);
        assertThat(step(run, "join")).containsEntry("status", "created").containsEntry("remaining_deps", 2);
        assertThat(run(run)).containsEntry("remaining_steps", 3).containsEntry("status", "started");
        assertThat(db.rows("select step_slug from pgflow.step_tasks where run_id = ? and status = 'queued' order by 1", run))
                .extracting(r -> r.get("step_slug")).containsExactly("left", "right");
    }

    @Test
    void theRunCompletesWithTheOutputsOfItsLeafStepsOnly() {
        UUID run = startDiamond();
        claim("d", 10);
        complete(run, "root", 0, "1");
        claim("d", 10);
        complete(run, "left", 0, "\"L\"");
        complete(run, "right", 0, "\"R\"");
        assertThat(claim("d", 10)).singleElement().satisfies(t ->
                assertThat(t.get("input")).isEqualTo("{\"left\": \"L\", \"right\": \"R\"}"));

        complete(run, "join", 0, "{\"both\": true}");

        Map<String, Object> r = run(run);
        assertThat(r).containsEntry("status", "completed").containsEntry("remaining_steps", 0)
                .containsEntry("output", "{\"join\": {\"both\": true}}");
        assertThat(r.get("completed_at")).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "false", "\"\"", "null", "[]", "{}"})
    void falsyOutputsAreStoredAsTheyAre(String output) {
        define("select pgflow.create_flow('s')", "select pgflow.add_step('s', 'only')");
        UUID run = start("s", "{}");
        claim("s", 1);

        complete(run, "only", 0, output);

        assertThat(task(run, "only", 0)).containsEntry("output", output);
        assertThat(step(run, "only")).containsEntry("output", output);
        assertThat(run(run)).containsEntry("output", "{\"only\": " + output + "}");
    }

    @Test
    void aSqlNullOutputIsKeptAsNull() {
        define("select pgflow.create_flow('s')", "select pgflow.add_step('s', 'only')");
        UUID run = start("s", "{}");
        claim("s", 1);

        complete(run, "only", 0, null);

        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"only\": null}");
    }

    @Test
    void completingAQueuedCompletedOrUnknownTaskChangesNothing() {
        UUID run = startDiamond();

        assertThat(complete(run, "root", 0, "1")).containsEntry("status", "queued").containsEntry("output", null);
        claim("d", 10);
        complete(run, "root", 0, "1");
        assertThat(complete(run, "root", 0, "2")).containsEntry("status", "completed").containsEntry("output", "1");
        assertThat(run(run)).containsEntry("remaining_steps", 3);
        assertThat(db.rows("select * from pgflow.complete_task(?, 'ghost', 0, '1')", run)).isEmpty();
    }

    @Test
    void aFailedRunIgnoresLateCompletions() {
        define("select pgflow.create_flow('f', max_attempts => 1)", "select pgflow.add_step('f', 'a')",
               "select pgflow.add_step('f', 'b')", "select pgflow.add_step('f', 'c', ARRAY['a', 'b'])");
        UUID run = start("f", "{}");
        claim("f", 10);
        fail(run, "a", 0, "boom");

        assertThat(complete(run, "b", 0, "\"late\"")).containsEntry("status", "started").containsEntry("output", null);
        assertThat(step(run, "b")).containsEntry("status", "started");
        assertThat(step(run, "c")).containsEntry("remaining_deps", 2);
        assertThat(run(run)).containsEntry("status", "failed").containsEntry("remaining_steps", 3);
    }

    @Test
    void completionsOfOneRunShareOneTransactionTimestamp() {
        define("select pgflow.create_flow('s')", "select pgflow.add_step('s', 'a')", "select pgflow.add_step('s', 'b', ARRAY['a'])");
        UUID run = start("s", "{}");
        claim("s", 1);
        complete(run, "a", 0, "1");

        assertThat((Boolean) db.one("select t.completed_at = s.completed_at and s.completed_at = b.started_at"
                + " and b.started_at = bt.queued_at from pgflow.step_tasks t"
                + " join pgflow.step_states s on s.run_id = t.run_id and s.step_slug = t.step_slug"
                + " join pgflow.step_states b on b.run_id = t.run_id and b.step_slug = 'b'"
                + " join pgflow.step_tasks bt on bt.run_id = t.run_id and bt.step_slug = 'b'"
                + " where t.run_id = ? and t.step_slug = 'a'", run)).isTrue();
    }

    @Test
    void completeTasksCompletesABatchInOneCall() {
        define("select pgflow.create_flow('m')", "select pgflow.add_step('m', 'each', step_type => 'map')");
        UUID run = start("m", "[1, 2, 3]");
        claim("m", 10);

        assertThat(db.rows("select task_index, status from pgflow.complete_tasks(array[?, ?, ?]::uuid[],"
                + " array['each', 'each', 'each'], array[2, 0, 1], array['\"c\"', '\"a\"', '\"b\"']::jsonb[])",
                run, run, run)).extracting(r -> r.get("task_index") + ":" + r.get("status"))
                .containsExactly("0:completed", "1:completed", "2:completed");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"each\": [\"a\", \"b\", \"c\"]}");
        assertThat(message(db.error("select * from pgflow.complete_tasks(array[?]::uuid[], array[]::text[], array[0], array['1']::jsonb[])", run)))
                .isEqualTo("complete_tasks: run_ids (1), step_slugs (0), task_indexes (1) and outputs (1) must have the same length");
    }
}
