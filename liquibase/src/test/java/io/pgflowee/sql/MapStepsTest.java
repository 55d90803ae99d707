package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** Map steps: fan-out, aggregation, empty arrays and chains. */
class MapStepsTest extends SqlEngineTest {

    @Test
    void aMapFansOutOneTaskPerElementAndAggregatesByTaskIndexKeepingNulls() {
        define("select pgflow.create_flow('m')", "select pgflow.add_step('m', 'each', step_type => 'map')",
               "select pgflow.add_step('m', 'sum', ARRAY['each'])");
        UUID run = start("m", "[10, 20, 30]");
        assertThat(claim("m", 10)).hasSize(3);

        complete(run, "each", 2, "\"c\"");
        complete(run, "each", 0, "null");
        assertThat(step(run, "each")).containsEntry("status", "started").containsEntry("remaining_tasks", 1)
                .containsEntry("output", null);
        assertThat(step(run, "sum")).as("no start on partial completion").containsEntry("status", "created");
        complete(run, "each", 1, "\"b\"");

        assertThat(step(run, "each")).containsEntry("status", "completed").containsEntry("output", "[null, \"b\", \"c\"]");
        assertThat(claim("m", 10)).singleElement()
                .satisfies(t -> assertThat(t.get("input")).isEqualTo("{\"each\": [null, \"b\", \"c\"]}"));
    }

    @Test
    void aSingleElementMapOutputsAOneElementArray() {
        define("select pgflow.create_flow('m')", "select pgflow.add_step('m', 'each', step_type => 'map')");
        UUID run = start("m", "[\"x\"]");
        claim("m", 10);
        complete(run, "each", 0, "{\"y\": 1}");
        assertThat(run(run)).containsEntry("output", "{\"each\": [{\"y\": 1}]}");
    }

    @Test
    void anEmptyRootMapCompletesAtOnceWithAnEmptyArrayAndCascadesDownAChain() {
        define("select pgflow.create_flow('e')",
               "select pgflow.add_step('e', 'first', step_type => 'map')",
               "select pgflow.add_step('e', 'second', ARRAY['first'], step_type => 'map')",
               "select pgflow.add_step('e', 'after', ARRAY['second'])");
        UUID run = start("e", "[]");

        assertThat(step(run, "first")).containsEntry("status", "completed").containsEntry("output", "[]")
                .containsEntry("remaining_tasks", 0).containsEntry("initial_tasks", 0);
        assertThat(step(run, "second")).containsEntry("status", "completed").containsEntry("output", "[]");
        assertThat((Boolean) db.one("select started_at = completed_at from pgflow.step_states where run_id = ? and step_slug = 'first'",
                run)).isTrue();
        assertThat(claim("e", 10)).singleElement().satisfies(t -> {
            assertThat(t.get("step_slug")).isEqualTo("after");
            assertThat(t.get("input")).isEqualTo("{\"second\": []}");
        });
        assertThat(run(run)).containsEntry("remaining_steps", 1);
    }

    @Test
    void aDependentMapLearnsItsTaskCountWhenItsSourceCompletes() {
        define("select pgflow.create_flow('d')",
               "select pgflow.add_step('d', 'list')",
               "select pgflow.add_step('d', 'each', ARRAY['list'], step_type => 'map')",
               "select pgflow.add_step('d', 'again', ARRAY['each'], step_type => 'map')");
        UUID run = start("d", "{}");
        assertThat(step(run, "each")).containsEntry("initial_tasks", null);
        claim("d", 10);

        complete(run, "list", 0, "[\"a\", {\"b\": 2}]");

        assertThat(step(run, "each")).containsEntry("initial_tasks", 2).containsEntry("status", "started");
        List<Map<String, Object>> tasks = claim("d", 10);
        assertThat(tasks).extracting(t -> t.get("input")).containsExactly("\"a\"", "{\"b\": 2}");
        complete(run, "each", 0, "1");
        complete(run, "each", 1, "2");
        assertThat(step(run, "again")).containsEntry("initial_tasks", 2);
        assertThat(claim("d", 10)).extracting(t -> t.get("input")).containsExactly("1", "2");
    }

    @Test
    void aSingleSourceProducingAnEmptyArrayCompletesTheDependentMapEmpty() {
        define("select pgflow.create_flow('d')",
               "select pgflow.add_step('d', 'list')",
               "select pgflow.add_step('d', 'each', ARRAY['list'], step_type => 'map')");
        UUID run = start("d", "{}");
        claim("d", 1);
        complete(run, "list", 0, "[]");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"each\": []}");
    }

    @Test
    void aNullSourceOutputIsATypeViolation() {
        define("select pgflow.create_flow('d')",
               "select pgflow.add_step('d', 'list')",
               "select pgflow.add_step('d', 'each', ARRAY['list'], step_type => 'map')");
        UUID run = start("d", "{}");
        claim("d", 1);
        complete(run, "list", 0, null);
        assertThat(task(run, "list", 0)).containsEntry("error_message", "[TYPE_VIOLATION] Produced null instead of array");
        assertThat(run(run)).containsEntry("status", "failed");
    }

    @Test
    void a49MapChainOfEmptyArraysCascadesButFiftyHitsTheSafetyLimit() {
        db.exec("select pgflow.create_flow('c49')");
        db.exec("select pgflow.create_flow('c50')");
        db.exec("select pgflow.add_step('c49', 'm0', step_type => 'map')");
        db.exec("select pgflow.add_step('c50', 'm0', step_type => 'map')");
        for (int i = 1; i < 50; i++) {
            if (i < 49) {
                db.exec("select pgflow.add_step('c49', ?, ARRAY[?], step_type => 'map')", "m" + i, "m" + (i - 1));
            }
            db.exec("select pgflow.add_step('c50', ?, ARRAY[?], step_type => 'map')", "m" + i, "m" + (i - 1));
        }

        UUID run = start("c49", "[]");
        assertThat(run(run)).containsEntry("status", "completed");
        assertThat(message(db.error("select * from pgflow.start_flow('c50', '[]')")))
                .isEqualTo("Cascade loop exceeded safety limit of 50 iterations");
    }

    @Test
    void aHundredElementMapCompletesInOrder() {
        define("select pgflow.create_flow('h')", "select pgflow.add_step('h', 'each', step_type => 'map')");
        UUID run = start("h", "[" + String.join(", ", java.util.Collections.nCopies(100, "1")) + "]");
        List<Map<String, Object>> tasks = claim("h", 100);
        assertThat(tasks).hasSize(100);
        for (int i = 99; i >= 0; i--) {
            complete(run, "each", i, Integer.toString(i));
        }
        assertThat((Integer) db.one("select jsonb_array_length(output) from pgflow.step_states where run_id = ?", run)).isEqualTo(100);
        assertThat((String) db.one("select (output->0)::text || ',' || (output->99)::text from pgflow.step_states where run_id = ?", run))
                .isEqualTo("0,99");
    }
}
