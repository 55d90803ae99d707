package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** get_flow_shape, compare_flow_shapes, ensure_flow_compiled and delete_flow_and_data. */
class FlowShapesTest extends SqlEngineTest {

    private static final String SHAPE = "{\"steps\": ["
            + "{\"slug\": \"a\", \"stepType\": \"single\", \"dependencies\": [], \"whenUnmet\": \"skip\", \"whenExhausted\": \"fail\","
            + " \"requiredInputPattern\": {\"defined\": false}, \"forbiddenInputPattern\": {\"defined\": false}},"
            + "{\"slug\": \"m\", \"stepType\": \"map\", \"dependencies\": [\"a\"], \"whenUnmet\": \"skip\", \"whenExhausted\": \"skip\","
            + " \"requiredInputPattern\": {\"defined\": true, \"value\": {\"a\": [1]}}, \"forbiddenInputPattern\": {\"defined\": false},"
            + " \"options\": {\"maxAttempts\": 5, \"startDelay\": 2}}],"
            + " \"options\": {\"maxAttempts\": 4, \"timeout\": 30}}";

    private List<String> compare(String local, String dbShape) {
        try {
            return Arrays.asList((String[]) db.<java.sql.Array>one(
                    "select pgflow.compare_flow_shapes(?::jsonb, ?::jsonb)", local, dbShape).getArray());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theShapeOfAStoredFlowListsStepsInOrderWithSortedDependenciesAndNoOptions() throws Exception {
        define("select pgflow.create_flow('s')", "select pgflow.add_step('s', 'b')", "select pgflow.add_step('s', 'a')",
               "select pgflow.add_step('s', 'c', ARRAY['b', 'a'], max_attempts => 9, forbidden_input_pattern => '{\"x\": 1}')");

        String shape = db.one("select pgflow.get_flow_shape('s')::text");

        assertThat(shape).isEqualTo("{\"steps\": ["
                + "{\"slug\": \"b\", \"stepType\": \"single\", \"whenUnmet\": \"skip\", \"dependencies\": [], \"whenExhausted\": \"fail\","
                + " \"requiredInputPattern\": {\"defined\": false}, \"forbiddenInputPattern\": {\"defined\": false}}, "
                + "{\"slug\": \"a\", \"stepType\": \"single\", \"whenUnmet\": \"skip\", \"dependencies\": [], \"whenExhausted\": \"fail\","
                + " \"requiredInputPattern\": {\"defined\": false}, \"forbiddenInputPattern\": {\"defined\": false}}, "
                + "{\"slug\": \"c\", \"stepType\": \"single\", \"whenUnmet\": \"skip\", \"dependencies\": [\"a\", \"b\"], \"whenExhausted\": \"fail\","
                + " \"requiredInputPattern\": {\"defined\": false}, \"forbiddenInputPattern\": {\"value\": {\"x\": 1}, \"defined\": true}}]}");
        assertThat((String) db.one("select pgflow.get_flow_shape('nope')::text")).isEqualTo("{\"steps\": []}");
    }

    @Test
    void comparingShapesListsEveryDifferenceAndIgnoresOptions() {
        assertThat(compare(SHAPE, SHAPE)).isEmpty();
        assertThat(compare(SHAPE, SHAPE.replace("\"maxAttempts\": 5", "\"maxAttempts\": 1"))).isEmpty();

        String other = "{\"steps\": [{\"slug\": \"a2\", \"stepType\": \"map\", \"dependencies\": [\"z\", \"y\"],"
                + " \"whenUnmet\": \"fail\", \"whenExhausted\": \"skip-cascade\","
                + " \"requiredInputPattern\": {\"defined\": true, \"value\": {\"k\": 1}},"
                + " \"forbiddenInputPattern\": {\"defined\": true, \"value\": {}}}]}";
        assertThat(compare(SHAPE, other)).containsExactly(
                "Step count differs: 2 vs 1",
                "Step at index 0: slug differs 'a' vs 'a2'",
                "Step at index 0: type differs 'single' vs 'map'",
                "Step at index 0: dependencies differ [] vs [y, z]",
                "Step at index 0: whenUnmet differs 'skip' vs 'fail'",
                "Step at index 0: whenExhausted differs 'fail' vs 'skip-cascade'",
                "Step at index 0: requiredInputPattern differs not defined vs {\"k\": 1}",
                "Step at index 0: forbiddenInputPattern differs not defined vs {}",
                "Step at index 1: missing in second shape (first has 'm')");
        assertThat(compare("{\"steps\": []}", SHAPE)).containsExactly("Step count differs: 0 vs 2",
                "Step at index 0: missing in first shape (second has 'a')",
                "Step at index 1: missing in first shape (second has 'm')");
    }

    @Test
    void missingShapeKeysTakeTheirDefaults() {
        assertThat(compare("{\"steps\": [{\"slug\": \"a\"}]}",
                "{\"steps\": [{\"slug\": \"a\", \"stepType\": \"single\", \"dependencies\": [], \"whenUnmet\": \"skip\","
                        + " \"whenExhausted\": \"fail\", \"requiredInputPattern\": {\"defined\": false}}]}")).isEmpty();
    }

    @Test
    void ensureFlowCompiledCreatesVerifiesRefusesAndRecompiles() {
        assertThat((String) db.one("select pgflow.ensure_flow_compiled('e', ?::jsonb)::text", SHAPE))
                .isEqualTo("{\"status\": \"compiled\", \"differences\": []}");
        assertThat(db.row("select opt_max_attempts, opt_timeout, opt_base_delay from pgflow.flows where flow_slug = 'e'"))
                .containsEntry("opt_max_attempts", 4).containsEntry("opt_timeout", 30).containsEntry("opt_base_delay", 5);
        assertThat(db.row("select step_type, opt_max_attempts, opt_start_delay, when_exhausted, required_input_pattern::text as req"
                + " from pgflow.steps where flow_slug = 'e' and step_slug = 'm'"))
                .containsEntry("step_type", "map").containsEntry("opt_max_attempts", 5).containsEntry("opt_start_delay", 2)
                .containsEntry("when_exhausted", "skip").containsEntry("req", "{\"a\": [1]}");
        assertThat((String) db.one("select pgflow.get_flow_shape('e')::text")).isNotNull();
        assertThat((String) db.one("select pgflow.ensure_flow_compiled('e', ?::jsonb)::text", SHAPE))
                .isEqualTo("{\"status\": \"verified\", \"differences\": []}");

        start("e", "{}");
        String changed = SHAPE.replace("\"whenExhausted\": \"skip\"", "\"whenExhausted\": \"fail\"");
        assertThat((String) db.one("select pgflow.ensure_flow_compiled('e', ?::jsonb)::text", changed))
                .isEqualTo("{\"status\": \"mismatch\", \"differences\": [\"Step at index 1: whenExhausted differs 'fail' vs 'skip'\"]}");
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'e'")).as("untouched").isEqualTo(1L);

        assertThat((String) db.one("select pgflow.ensure_flow_compiled('e', ?::jsonb, allow_data_loss => true)::text", changed))
                .isEqualTo("{\"status\": \"recompiled\", \"differences\": [\"Step at index 1: whenExhausted differs 'fail' vs 'skip'\"]}");
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'e'")).isZero();
        assertThat((String) db.one("select when_exhausted from pgflow.steps where flow_slug = 'e' and step_slug = 'm'")).isEqualTo("fail");
    }

    @Test
    void deleteFlowAndDataRemovesEverythingOfTheFlowButNotOthersOrWorkers() {
        define("select pgflow.create_flow('gone')", "select pgflow.add_step('gone', 'a')", "select pgflow.add_step('gone', 'b', ARRAY['a'])",
               "select pgflow.create_flow('kept')", "select pgflow.add_step('kept', 'a')");
        start("gone", "{}");
        start("kept", "{}");
        claim("gone", 10);

        db.exec("select pgflow.delete_flow_and_data('gone')");

        assertThat((Long) db.one("select count(*) from pgflow.flows where flow_slug = 'gone'")).isZero();
        for (String table : List.of("steps", "deps", "runs", "step_states", "step_tasks")) {
            assertThat((Long) db.one("select count(*) from pgflow." + table + " where flow_slug = 'gone'")).as(table).isZero();
        }
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'kept'")).isEqualTo(1L);
        assertThat((Long) db.one("select count(*) from pgflow.workers")).isEqualTo(1L);
    }

    /**
     * A worker completes a step (its next step's task appears) while delete_flow_and_data runs: the
     * delete waits for the completion's transaction (it locks the runs first) and removes its new
     * task too, instead of failing on the foreign key as it did in RunsApiIT once.
     */
    @Test
    void deleteFlowAndDataWaitsForACompletionInFlight(javax.sql.DataSource ds) throws Exception {
        define("select pgflow.create_flow('racy')", "select pgflow.add_step('racy', 'only')",
               "select pgflow.add_step('racy', 'extra', ARRAY['only'])");
        java.util.UUID run = start("racy", "{}");
        claim("racy", 10);
        try (java.sql.Connection completing = ds.getConnection()) {
            completing.setAutoCommit(false);
            try (var st = completing.prepareStatement("select count(*) from pgflow.complete_task(?, 'only', 0, '1')")) {
                st.setObject(1, run);
                st.executeQuery().close();
            }
            java.util.concurrent.CompletableFuture<Void> deleting = java.util.concurrent.CompletableFuture.runAsync(
                    () -> db.exec("select pgflow.delete_flow_and_data('racy')"));
            Thread.sleep(300);
            assertThat(deleting).as("waits for the completion's transaction").isNotDone();
            completing.commit();
            deleting.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        for (String table : List.of("flows", "steps", "runs", "step_states", "step_tasks")) {
            assertThat((Long) db.one("select count(*) from pgflow." + table + " where flow_slug = 'racy'")).as(table).isZero();
        }
    }
}
