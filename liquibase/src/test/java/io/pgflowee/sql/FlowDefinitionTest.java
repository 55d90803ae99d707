package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** is_valid_slug, create_flow and add_step: what a definition stores and every error it raises. */
class FlowDefinitionTest extends SqlEngineTest {

    @Test
    void slugRulesMatchTheDslAndNullIsInvalid() {
        assertThat((Boolean) db.one("select pgflow.is_valid_slug('greet_user')")).isTrue();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug('_a1')")).isTrue();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug(repeat('a', 128))")).isTrue();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug(repeat('a', 129))")).isFalse();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug('1abc')")).isFalse();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug('a-b')")).isFalse();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug('')")).isFalse();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug('run')")).isFalse();
        assertThat((Boolean) db.one("select pgflow.is_valid_slug(null)")).isFalse();
    }

    @Test
    void createFlowUsesDefaults3And5And60AndNullMeansDefault() {
        Map<String, Object> flow = db.row("select opt_max_attempts, opt_base_delay, opt_timeout, created_at"
                + " from pgflow.create_flow('f1')");
        assertThat(flow).containsEntry("opt_max_attempts", 3).containsEntry("opt_base_delay", 5)
                .containsEntry("opt_timeout", 60);
        assertThat(flow.get("created_at")).isNotNull();

        Map<String, Object> custom = db.row("select opt_max_attempts, opt_base_delay, opt_timeout"
                + " from pgflow.create_flow('f2', max_attempts => 7, base_delay => null, timeout => 10)");
        assertThat(custom).containsEntry("opt_max_attempts", 7).containsEntry("opt_base_delay", 5)
                .containsEntry("opt_timeout", 10);
    }

    @Test
    void createFlowIsIdempotentAndDoesNotUpdateOptions() {
        db.exec("select pgflow.create_flow('f', max_attempts => 2)");
        Map<String, Object> again = db.row("select opt_max_attempts from pgflow.create_flow('f', max_attempts => 9)");

        assertThat(again).containsEntry("opt_max_attempts", 2);
        assertThat((Long) db.one("select count(*) from pgflow.flows")).isEqualTo(1L);
    }

    @Test
    void createFlowRejectsAnInvalidSlugAndNegativeOptionsNamingTheFlow() {
        SQLException bad = db.error("select pgflow.create_flow('1bad')");
        assertThat(bad.getSQLState()).isEqualTo("23514");
        assertThat(constraint(bad)).isEqualTo("slug_is_valid");
        assertThat(message(bad)).startsWith("Invalid flow slug '1bad'");

        SQLException negative = db.error("select pgflow.create_flow('f', max_attempts => -1)");
        assertThat(constraint(negative)).isEqualTo("opt_max_attempts_is_nonnegative");
        assertThat(message(negative)).isEqualTo("Flow \"f\": max_attempts must be greater than or equal to 0, got -1");

        assertThat(message(db.error("select pgflow.create_flow('f', timeout => 0)")))
                .isEqualTo("Flow \"f\": timeout must be greater than or equal to 1, got 0");
        assertThat(message(db.error("select pgflow.create_flow('f', base_delay => -5)")))
                .isEqualTo("Flow \"f\": base_delay must be greater than or equal to 0, got -5");
    }

    @Test
    void addStepStoresOptionsConditionsAndDefaults() {
        define("select pgflow.create_flow('f')",
               "select pgflow.add_step('f', 'a')",
               "select pgflow.add_step('f', 'b', ARRAY['a'], max_attempts => 5, base_delay => 2, timeout => 30,"
                       + " start_delay => 4, required_input_pattern => '{\"a\": 1}', forbidden_input_pattern => '{\"a\": 2}',"
                       + " when_unmet => 'skip-cascade', when_exhausted => 'skip')");

        Map<String, Object> a = db.row("select step_type, step_index, deps_count, opt_max_attempts, opt_base_delay,"
                + " opt_timeout, opt_start_delay, required_input_pattern, forbidden_input_pattern, when_unmet, when_exhausted"
                + " from pgflow.steps where step_slug = 'a'");
        assertThat(a).containsEntry("step_type", "single").containsEntry("step_index", 0).containsEntry("deps_count", 0)
                .containsEntry("opt_max_attempts", null).containsEntry("opt_base_delay", null)
                .containsEntry("opt_timeout", null).containsEntry("opt_start_delay", null)
                .containsEntry("required_input_pattern", null).containsEntry("forbidden_input_pattern", null)
                .containsEntry("when_unmet", "skip").containsEntry("when_exhausted", "fail");

        Map<String, Object> b = db.row("select step_index, deps_count, opt_max_attempts, opt_base_delay, opt_timeout,"
                + " opt_start_delay, required_input_pattern::text as req, forbidden_input_pattern::text as forb,"
                + " when_unmet, when_exhausted from pgflow.steps where step_slug = 'b'");
        assertThat(b).containsEntry("step_index", 1).containsEntry("deps_count", 1).containsEntry("opt_max_attempts", 5)
                .containsEntry("opt_base_delay", 2).containsEntry("opt_timeout", 30).containsEntry("opt_start_delay", 4)
                .containsEntry("req", "{\"a\": 1}").containsEntry("forb", "{\"a\": 2}")
                .containsEntry("when_unmet", "skip-cascade").containsEntry("when_exhausted", "skip");
        assertThat(db.rows("select dep_slug, step_slug from pgflow.deps"))
                .containsExactly(Map.of("dep_slug", "a", "step_slug", "b"));
    }

    @Test
    void stepIndexIncrementsPerFlowIndependently() {
        define("select pgflow.create_flow('f')", "select pgflow.create_flow('g')",
               "select pgflow.add_step('f', 'a')", "select pgflow.add_step('g', 'x')",
               "select pgflow.add_step('f', 'b')", "select pgflow.add_step('f', 'c', ARRAY['a', 'b'])");

        assertThat(db.rows("select flow_slug, step_slug, step_index, deps_count from pgflow.steps order by flow_slug, step_index"))
                .containsExactly(
                        Map.of("flow_slug", "f", "step_slug", "a", "step_index", 0, "deps_count", 0),
                        Map.of("flow_slug", "f", "step_slug", "b", "step_index", 1, "deps_count", 0),
                        Map.of("flow_slug", "f", "step_slug", "c", "step_index", 2, "deps_count", 2),
                        Map.of("flow_slug", "g", "step_slug", "x", "step_index", 0, "deps_count", 0));
    }

    @Test
    void reAddingAnIdenticalStepIsANoOpButNewDependenciesAreAnError() {
        define("select pgflow.create_flow('f')", "select pgflow.add_step('f', 'a')", "select pgflow.add_step('f', 'b')",
               "select pgflow.add_step('f', 'c', ARRAY['a'])");

        Map<String, Object> same = db.row("select step_index, opt_max_attempts from pgflow.add_step('f', 'c', ARRAY['a'], max_attempts => 9)");
        assertThat(same).containsEntry("step_index", 2).containsEntry("opt_max_attempts", null);

        SQLException changed = db.error("select pgflow.add_step('f', 'c', ARRAY['a', 'b'])");
        assertThat(message(changed)).isEqualTo(
                "Step \"c\" of flow \"f\" already exists with dependencies [a]; add_step cannot change them to [a, b]");
        assertThat(((org.postgresql.util.PSQLException) changed).getServerErrorMessage().getHint())
                .contains("new slug (e.g. f_v2)").contains("pgflow.delete_flow_and_data('f')");
        assertThat((Long) db.one("select count(*) from pgflow.deps where step_slug = 'c'")).isEqualTo(1L);
    }

    @Test
    void mapStepsTakeAtMostOneDependency() {
        define("select pgflow.create_flow('f')", "select pgflow.add_step('f', 'a')", "select pgflow.add_step('f', 'b')");

        SQLException e = db.error("select pgflow.add_step('f', 'm', ARRAY['a', 'b'], step_type => 'map')");
        assertThat(message(e)).isEqualTo("Map step \"m\" can have at most one dependency, but 2 were provided: a, b");
        assertThat((String) db.one("select step_type from pgflow.add_step('f', 'm', ARRAY['a'], step_type => 'map')"))
                .isEqualTo("map");
    }

    @Test
    void everyInvalidDefinitionNamesTheFlowStepAndConstraint() {
        define("select pgflow.create_flow('f')", "select pgflow.add_step('f', 'a')");

        assertError("select pgflow.add_step('nope', 'a')", "23503", "steps_flow_slug_fkey",
                "Step \"a\" of flow \"nope\": flow \"nope\" does not exist; create it first with pgflow.create_flow");
        assertError("select pgflow.add_step('f', 'b', ARRAY['ghost'])", "23503", "deps_flow_slug_dep_slug_fkey",
                "Step \"b\" depends on undefined step \"ghost\" in flow \"f\"");
        assertError("select pgflow.add_step('f', 'b', ARRAY['b'])", "23514", "deps_check",
                "Step \"b\" of flow \"f\" cannot depend on itself");
        assertError("select pgflow.add_step('f', 'run')", "23514", "steps_step_slug_check", null);
        assertError("select pgflow.add_step('f', 'b', step_type => 'loop')", "23514", "steps_step_type_check",
                "Step \"b\" of flow \"f\": step_type must be 'single', 'map', 'signal', 'subflow' or 'map_subflow', got 'loop'");
        assertError("select pgflow.add_step('f', 'b', when_unmet => 'ignore')", "23514", "when_unmet_is_valid",
                "Step \"b\" of flow \"f\": when_unmet must be 'fail', 'skip' or 'skip-cascade', got 'ignore'");
        assertError("select pgflow.add_step('f', 'b', when_exhausted => 'retry')", "23514", "when_exhausted_is_valid",
                "Step \"b\" of flow \"f\": when_exhausted must be 'fail', 'skip' or 'skip-cascade', got 'retry'");
        assertError("select pgflow.add_step('f', 'b', required_input_pattern => '[1]')", "23514",
                "required_input_pattern_is_object",
                "Step \"b\" of flow \"f\": required_input_pattern (if) must be a JSON object, got array");
        assertError("select pgflow.add_step('f', 'b', forbidden_input_pattern => '\"x\"')", "23514",
                "forbidden_input_pattern_is_object",
                "Step \"b\" of flow \"f\": forbidden_input_pattern (ifNot) must be a JSON object, got string");
        assertError("select pgflow.add_step('f', 'b', start_delay => -1)", "23514", "opt_start_delay_is_nonnegative",
                "Step \"b\" of flow \"f\": start_delay must be greater than or equal to 0, got -1");
        assertError("select pgflow.add_step('f', 'b', max_attempts => -2)", "23514", "opt_max_attempts_is_nonnegative",
                "Step \"b\" of flow \"f\": max_attempts must be greater than or equal to 0, got -2");
        assertError("select pgflow.add_step('f', 'b', timeout => 0)", "23514", "opt_timeout_is_positive",
                "Step \"b\" of flow \"f\": timeout must be greater than or equal to 1, got 0");

        assertThat((Long) db.one("select count(*) from pgflow.steps")).as("nothing half-written").isEqualTo(1L);
    }

    @Test
    void tableConstraintsBackTheFunctionChecks() {
        define("select pgflow.create_flow('f')");

        assertThat(constraint(db.error("insert into pgflow.flows (flow_slug) values ('run')"))).isEqualTo("slug_is_valid");
        assertThat(constraint(db.error("insert into pgflow.steps (flow_slug, step_slug, step_type) values ('f', 'x', 'loop')")))
                .isEqualTo("steps_step_type_check");
        assertThat(constraint(db.error("insert into pgflow.steps (flow_slug, step_slug, opt_start_delay) values ('f', 'x', -1)")))
                .isEqualTo("opt_start_delay_is_nonnegative");
        assertThat(constraint(db.error("insert into pgflow.steps (flow_slug, step_slug, when_unmet) values ('f', 'x', 'no')")))
                .isEqualTo("when_unmet_is_valid");
    }

    private void assertError(String sql, String sqlState, String constraintName, String expectedMessage) {
        SQLException e = db.error(sql);
        assertThat(e.getSQLState()).as(sql).isEqualTo(sqlState);
        assertThat(constraint(e)).as(sql).isEqualTo(constraintName);
        if (expectedMessage != null) {
            assertThat(message(e)).as(sql).isEqualTo(expectedMessage);
        }
    }
}
