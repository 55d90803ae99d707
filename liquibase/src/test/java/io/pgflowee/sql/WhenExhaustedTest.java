package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** when_exhausted: skip and skip-cascade after the last attempt fails. */
class WhenExhaustedTest extends SqlEngineTest {

    @Test
    void skipLetsDependentsRunWithoutTheSkippedOutput() {
        define("select pgflow.create_flow('s', max_attempts => 1)",
               "select pgflow.add_step('s', 'a')",
               "select pgflow.add_step('s', 'opt', when_exhausted => 'skip')",
               "select pgflow.add_step('s', 'join', ARRAY['a', 'opt'])");
        UUID run = start("s", "{}");
        claim("s", 10);
        complete(run, "a", 0, "\"A\"");

        assertThat(fail(run, "opt", 0, "optional failed")).containsEntry("status", "failed");

        assertThat(step(run, "opt")).containsEntry("status", "skipped").containsEntry("skip_reason", "handler_failed")
                .containsEntry("error_message", "optional failed").containsEntry("remaining_tasks", null);
        assertThat(claim("s", 10)).singleElement().satisfies(t -> assertThat(t.get("input")).isEqualTo("{\"a\": \"A\"}"));
        complete(run, "join", 0, "\"J\"");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"join\": \"J\"}");
    }

    @Test
    void skipCascadeSkipsEveryTransitiveDependentButNotIndependentBranches() {
        define("select pgflow.create_flow('c', max_attempts => 1)",
               "select pgflow.add_step('c', 'src', when_exhausted => 'skip-cascade')",
               "select pgflow.add_step('c', 'mid', ARRAY['src'])",
               "select pgflow.add_step('c', 'leaf', ARRAY['mid'])",
               "select pgflow.add_step('c', 'indep')");
        UUID run = start("c", "{}");
        claim("c", 10);

        fail(run, "src", 0, "nope");

        assertThat(step(run, "src")).containsEntry("status", "skipped").containsEntry("skip_reason", "handler_failed");
        assertThat(step(run, "mid")).containsEntry("status", "skipped").containsEntry("skip_reason", "dependency_skipped");
        assertThat(step(run, "leaf")).containsEntry("status", "skipped").containsEntry("skip_reason", "dependency_skipped");
        assertThat(run(run)).containsEntry("status", "started").containsEntry("remaining_steps", 1);
        complete(run, "indep", 0, "1");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"indep\": 1}");
        // a replayed failure changes nothing
        assertThat(fail(run, "src", 0, "again")).containsEntry("status", "failed");
        assertThat(run(run)).containsEntry("remaining_steps", 0);
    }

    @Test
    void aSkippedSourceGivesADependentMapAnEmptyArray() {
        define("select pgflow.create_flow('e', max_attempts => 1)",
               "select pgflow.add_step('e', 'list', when_exhausted => 'skip')",
               "select pgflow.add_step('e', 'each', ARRAY['list'], step_type => 'map')");
        UUID run = start("e", "{}");
        claim("e", 1);

        fail(run, "list", 0, "no list");

        assertThat(step(run, "each")).containsEntry("status", "completed").containsEntry("output", "[]")
                .containsEntry("initial_tasks", 0);
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"each\": []}");
    }

    @Test
    void aFlowWhoseOnlyStepIsSkippedCompletesWithNullOutput() {
        define("select pgflow.create_flow('o', max_attempts => 1)", "select pgflow.add_step('o', 'only', when_exhausted => 'skip')");
        UUID run = start("o", "{}");
        claim("o", 1);
        fail(run, "only", 0, "x");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", null);
    }

    @Test
    void aSkippedMapStepOrphansItsSiblingTasks() {
        define("select pgflow.create_flow('m', max_attempts => 1)",
               "select pgflow.add_step('m', 'each', step_type => 'map', when_exhausted => 'skip')");
        UUID run = start("m", "[1, 2, 3]");
        claim("m", 1);

        fail(run, "each", 0, "first element failed");

        assertThat(step(run, "each")).containsEntry("status", "skipped");
        assertThat(claim("m", 10)).isEmpty();
        assertThat(complete(run, "each", 1, "1")).containsEntry("status", "queued");
        assertThat(run(run)).containsEntry("status", "completed");
    }

    @Test
    void typeViolationsIgnoreWhenExhausted() {
        define("select pgflow.create_flow('t')",
               "select pgflow.add_step('t', 'list', when_exhausted => 'skip')",
               "select pgflow.add_step('t', 'each', ARRAY['list'], step_type => 'map')");
        UUID run = start("t", "{}");
        claim("t", 1);

        assertThat(complete(run, "list", 0, "{\"not\": \"an array\"}")).containsEntry("status", "failed");

        assertThat(task(run, "list", 0)).containsEntry("error_message", "[TYPE_VIOLATION] Produced object instead of array")
                .containsEntry("output", "{\"not\": \"an array\"}");
        assertThat(step(run, "list")).containsEntry("status", "failed").containsEntry("error_message",
                "[TYPE_VIOLATION] Map step each expects array input but dependency list produced object");
        assertThat(step(run, "each")).containsEntry("initial_tasks", null).containsEntry("status", "created");
        assertThat(run(run)).containsEntry("status", "failed");
    }
}
