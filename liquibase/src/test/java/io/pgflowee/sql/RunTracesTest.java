package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * {@code pgflow.set_run_trace} and {@code pgflow.run_traceparents}: the trace context a run was
 * started in, kept for its tasks' spans; the first context stays, bad ones are refused by name,
 * untraced runs have none, and the context goes with its run.
 */
class RunTracesTest extends SqlEngineTest {

    private static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @BeforeEach
    void flow() {
        db.exec("select pgflow.create_flow('tr')");
        db.exec("select pgflow.add_step('tr', 'a')");
    }

    @Test
    void theFirstContextOfEachRunStaysAndUntracedRunsHaveNone() {
        UUID a = start("tr", "{}");
        UUID b = start("tr", "{}");
        UUID untraced = start("tr", "{}");

        assertThat(db.<Integer>one("select pgflow.set_run_trace(array[?::uuid, ?::uuid], ?, 'vendor=1')", a, b, PARENT)).isEqualTo(2);
        assertThat(db.<Integer>one("select pgflow.set_run_trace(array[?::uuid], '00-11111111111111111111111111111111-2222222222222222-00')", a))
                .as("a repeated start keeps the first context").isZero();
        assertThat(db.<Integer>one("select pgflow.set_run_trace(array[gen_random_uuid()], ?)", PARENT)).as("no such run").isZero();

        List<Map<String, Object>> rows = db.rows("select run_id, traceparent, tracestate from pgflow.run_traceparents(array[?::uuid, ?::uuid,"
                + " ?::uuid]) order by traceparent, run_id::text", a, b, untraced);
        assertThat(rows).extracting(r -> r.get("traceparent") + " " + r.get("tracestate"))
                .containsExactly(PARENT + " vendor=1", PARENT + " vendor=1");
        assertThat(rows).extracting(r -> r.get("run_id")).containsExactlyInAnyOrder(a, b);

        db.exec("delete from pgflow.step_tasks where run_id = ?", a);
        db.exec("delete from pgflow.step_states where run_id = ?", a);
        db.exec("delete from pgflow.runs where run_id = ?", a);
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_traces where run_id = ?", a)).as("gone with its run").isZero();
    }

    @Test
    void aChildRunWithoutAContextOfItsOwnHasItsFamilyRootsAndItsOwnWhenItHasOne() {
        UUID root = start("tr", "{}");
        UUID child = start("tr", "{}");
        UUID traced = start("tr", "{}");
        db.exec("update pgflow.runs set parent_run_id = ?, parent_step_slug = 'a', parent_task_index = 0, root_run_id = ? where run_id in (?, ?)",
                root, root, child, traced);
        db.exec("select pgflow.set_run_trace(array[?::uuid], ?, 'k=v')", root, PARENT);
        db.exec("select pgflow.set_run_trace(array[?::uuid], '00-11111111111111111111111111111111-2222222222222222-01')", traced);

        assertThat(db.rows("select run_id, traceparent, tracestate from pgflow.run_traceparents(array[?::uuid, ?::uuid, ?::uuid])",
                root, child, traced)).extracting(r -> r.get("run_id") + " " + r.get("traceparent") + " " + r.get("tracestate"))
                .containsExactlyInAnyOrder(root + " " + PARENT + " k=v", child + " " + PARENT + " k=v",
                        traced + " 00-11111111111111111111111111111111-2222222222222222-01 null");
    }

    @Test
    void aContextThatIsNotW3cVersion00IsRefusedByName() {
        UUID run = start("tr", "{}");
        for (String bad : List.of("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "nonsense")) {
            SQLException e = db.error("select pgflow.set_run_trace(array[?::uuid], ?)", run, bad);
            assertThat(e.getSQLState()).isEqualTo("22023");
            assertThat(e.getMessage()).contains("traceparent '" + bad + "' is not a W3C trace context: 00-<32 hex trace id>-<16 hex parent id>-<2 hex"
                    + " flags>, ids not all zero");
        }
        assertThat(db.error("select pgflow.set_run_trace(array[?::uuid], null)", run).getMessage())
                .contains("traceparent NULL is not a W3C trace context");
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_traces")).isZero();
    }
}
