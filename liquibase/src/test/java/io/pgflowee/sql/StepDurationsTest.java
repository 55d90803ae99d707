package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** {@code pgflow.step_durations}: run times per step from the tasks that ended in the window. */
class StepDurationsTest extends SqlEngineTest {

    @BeforeEach
    void flow() {
        db.exec("select pgflow.create_flow('sd', max_attempts => 1)");
        db.exec("select pgflow.add_step('sd', 'a')");
        db.exec("select pgflow.add_step('sd', 'b', ARRAY['a'])");
    }

    /** Ends step a of {@code run} (claimed), its last attempt {@code millis} long, ended {@code agoSeconds} ago. */
    private void endA(UUID run, boolean completes, int millis, int agoSeconds) {
        if (completes) {
            complete(run, "a", 0, "1");
        } else {
            fail(run, "a", 0, "boom");
        }
        db.exec("update pgflow.step_tasks set queued_at = now() - make_interval(secs => ?) - make_interval(secs => ? / 1000.0 + 1),"
                + " started_at = now() - make_interval(secs => ?) - make_interval(secs => ? / 1000.0),"
                + " completed_at = case when status = 'completed' then now() - make_interval(secs => ?) end,"
                + " failed_at = case when status = 'failed' then now() - make_interval(secs => ?) end"
                + " where run_id = ? and step_slug = 'a'", agoSeconds, millis, agoSeconds, millis, agoSeconds, agoSeconds, run);
    }

    private List<Map<String, Object>> durations(String since) {
        return db.rows("select step_slug, step_index, completed, failed, p50_ms::text as p50, p95_ms::text as p95, max_ms::text as max"
                + " from pgflow.step_durations('sd'" + (since == null ? "" : ", " + since) + ")");
    }

    @Test
    void eachStepInOrderWithItsCountsAndThePercentilesOfItsCompletedTasks() {
        List<UUID> runs = List.of(start("sd", "{}"), start("sd", "{}"), start("sd", "{}"), start("sd", "{}"));
        assertThat(claim("sd", 4)).extracting(t -> t.get("step_slug")).containsExactly("a", "a", "a", "a");
        endA(runs.get(0), true, 100, 60);
        endA(runs.get(1), true, 200, 60);
        endA(runs.get(2), false, 5000, 60);
        endA(runs.get(3), true, 900, 2 * 24 * 3600); // two days ago: outside the default window

        List<Map<String, Object>> rows = durations(null);

        assertThat(rows).extracting(r -> r.get("step_slug") + " " + r.get("step_index") + " " + r.get("completed") + " " + r.get("failed")
                + " " + r.get("p50") + " " + r.get("p95") + " " + r.get("max"))
                .containsExactly("a 0 2 1 150.0 195.0 200.0", "b 1 0 0 null null null");
        assertThat(durations("now() - interval '3 days'")).first().extracting(r -> r.get("completed") + " " + r.get("max"))
                .isEqualTo("3 900.0");
    }

    @Test
    void anUnknownFlowHasNoRows() {
        assertThat(db.rows("select * from pgflow.step_durations('nope')")).isEmpty();
    }
}
