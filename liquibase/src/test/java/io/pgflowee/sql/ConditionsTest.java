package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** if / ifNot with skip, skip-cascade and fail, evaluated once when a step becomes ready. */
class ConditionsTest extends SqlEngineTest {

    @Test
    void aRootIfIsTestedAgainstTheRunInputByContainment() {
        define("select pgflow.create_flow('c')",
               "select pgflow.add_step('c', 'vip', required_input_pattern => '{\"tier\": \"gold\"}')",
               "select pgflow.add_step('c', 'always')");

        UUID met = start("c", "{\"tier\": \"gold\", \"name\": \"x\"}");
        assertThat(step(met, "vip")).containsEntry("status", "started");

        UUID unmet = start("c", "{\"tier\": \"silver\"}");
        assertThat(step(unmet, "vip")).containsEntry("status", "skipped").containsEntry("skip_reason", "condition_unmet")
                .containsEntry("remaining_tasks", null);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'vip'", unmet)).isZero();
        assertThat(run(unmet)).containsEntry("remaining_steps", 1);
    }

    @Test
    void ifNotAndCombinedPatterns() {
        define("select pgflow.create_flow('c')",
               "select pgflow.add_step('c', 'both', required_input_pattern => '{\"a\": 1}', forbidden_input_pattern => '{\"b\": 2}')");

        assertThat(step(start("c", "{\"a\": 1}"), "both")).containsEntry("status", "started");
        assertThat(step(start("c", "{\"a\": 1, \"b\": 2}"), "both")).containsEntry("status", "skipped");
        assertThat(step(start("c", "{\"b\": 3}"), "both")).containsEntry("status", "skipped");
    }

    @Test
    void aDependentConditionSeesTheCompletedDependencyOutputs() {
        define("select pgflow.create_flow('d')",
               "select pgflow.add_step('d', 'check')",
               "select pgflow.add_step('d', 'notify', ARRAY['check'], required_input_pattern => '{\"check\": {\"ok\": true}}')");
        UUID yes = start("d", "{}");
        UUID no = start("d", "{}");
        claim("d", 10);

        complete(yes, "check", 0, "{\"ok\": true, \"detail\": 1}");
        complete(no, "check", 0, "{\"ok\": false}");

        assertThat(step(yes, "notify")).containsEntry("status", "started");
        assertThat(step(no, "notify")).containsEntry("status", "skipped");
        assertThat(run(no)).containsEntry("status", "completed").containsEntry("output", null);
    }

    @Test
    void failModeFailsTheStepAndTheRunWithConditionNotMet() {
        define("select pgflow.create_flow('f')",
               "select pgflow.add_step('f', 'other')",
               "select pgflow.add_step('f', 'gate', required_input_pattern => '{\"go\": true}', when_unmet => 'fail')");

        UUID run = start("f", "{\"go\": false}");

        assertThat(step(run, "gate")).containsEntry("status", "failed").containsEntry("error_message", "Condition not met")
                .containsEntry("started_at", null);
        assertThat(run(run)).containsEntry("status", "failed");
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ?", run))
                .as("conditions resolve before any task is queued").isZero();
        assertThat(step(run, "other")).containsEntry("status", "created");
        assertThat(claim("f", 10)).isEmpty();
    }

    @Test
    void skipCascadeSkipsTheDependentsToo() {
        define("select pgflow.create_flow('s')",
               "select pgflow.add_step('s', 'maybe', required_input_pattern => '{\"x\": 1}', when_unmet => 'skip-cascade')",
               "select pgflow.add_step('s', 'then', ARRAY['maybe'])",
               "select pgflow.add_step('s', 'other')");

        UUID run = start("s", "{}");

        assertThat(step(run, "maybe")).containsEntry("skip_reason", "condition_unmet");
        assertThat(step(run, "then")).containsEntry("status", "skipped").containsEntry("skip_reason", "dependency_skipped");
        assertThat(run(run)).containsEntry("remaining_steps", 1);
    }

    @Test
    void plainSkipsLetDependentsRunWithoutTheKeyAndTheIfNotIdiomRunsTheFallback() {
        define("select pgflow.create_flow('i')",
               "select pgflow.add_step('i', 'primary', required_input_pattern => '{\"use_primary\": true}')",
               "select pgflow.add_step('i', 'fallback', ARRAY['primary'], forbidden_input_pattern => '{\"primary\": {}}')",
               "select pgflow.add_step('i', 'join', ARRAY['primary', 'fallback'])");

        UUID run = start("i", "{\"use_primary\": false}");

        assertThat(step(run, "primary")).containsEntry("status", "skipped");
        assertThat(step(run, "fallback")).containsEntry("status", "started");
        assertThat(claim("i", 10)).singleElement().satisfies(t -> assertThat(t.get("input")).isEqualTo("{}"));
        complete(run, "fallback", 0, "\"fb\"");
        assertThat(claim("i", 10)).singleElement().satisfies(t -> assertThat(t.get("input")).isEqualTo("{\"fallback\": \"fb\"}"));

        UUID primary = start("i", "{\"use_primary\": true}");
        claim("i", 10);
        complete(primary, "primary", 0, "{\"p\": 1}");
        assertThat(step(primary, "fallback")).containsEntry("status", "skipped");
    }

    @Test
    void skipsConvergeThroughChainsAndAJoinOfSkippedParentsStartsWithEmptyInput() {
        define("select pgflow.create_flow('v')",
               "select pgflow.add_step('v', 'a', required_input_pattern => '{\"run_a\": true}')",
               "select pgflow.add_step('v', 'b', ARRAY['a'], required_input_pattern => '{\"a\": {}}')",
               "select pgflow.add_step('v', 'z', required_input_pattern => '{\"run_z\": true}')",
               "select pgflow.add_step('v', 'join', ARRAY['b', 'z'])");

        UUID run = start("v", "{}");

        assertThat(step(run, "a")).containsEntry("status", "skipped");
        assertThat(step(run, "b")).containsEntry("status", "skipped");
        assertThat(step(run, "z")).containsEntry("status", "skipped");
        assertThat(step(run, "join")).containsEntry("status", "started");
        assertThat(claim("v", 10)).singleElement().satisfies(t -> assertThat(t.get("input")).isEqualTo("{}"));
    }

    @Test
    void aRootMapWithAnObjectPatternIsAlwaysUnmet() {
        define("select pgflow.create_flow('rm')",
               "select pgflow.add_step('rm', 'each', step_type => 'map', required_input_pattern => '{\"a\": 1}')",
               "select pgflow.add_step('rm', 'after', ARRAY['each'], step_type => 'map')");
        UUID run = start("rm", "[{\"a\": 1}]");
        assertThat(step(run, "each")).containsEntry("status", "skipped");
        assertThat(step(run, "after")).containsEntry("status", "completed").containsEntry("output", "[]");
        assertThat(run(run)).containsEntry("status", "completed");
    }

    @Test
    void forceSkipIsIdempotentAndNamesAnUnknownRun() {
        define("select pgflow.create_flow('k')", "select pgflow.add_step('k', 'a')", "select pgflow.add_step('k', 'b', ARRAY['a'])");
        UUID run = start("k", "{}");

        assertThat((Integer) db.one("select pgflow._cascade_force_skip_steps(?, 'a', 'condition_unmet')", run)).isEqualTo(2);
        assertThat((Integer) db.one("select pgflow._cascade_force_skip_steps(?, 'a', 'condition_unmet')", run)).isZero();
        assertThat(run(run)).containsEntry("remaining_steps", 0);
        UUID ghost = UUID.randomUUID();
        assertThat(message(db.error("select pgflow._cascade_force_skip_steps(?, 'a', 'x')", ghost)))
                .isEqualTo("Run not found: " + ghost);
    }
}
