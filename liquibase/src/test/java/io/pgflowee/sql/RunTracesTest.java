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
    @Test
    void anAttemptGetsItsRunsContextAndTheEarlierAttemptsItLinksToOldestFirst() {
        UUID run = start("tr", "{}");
        UUID untraced = start("tr", "{}");
        db.exec("select pgflow.set_run_trace(array[?::uuid], ?, 'k=v')", run, PARENT);
        String one = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01";
        String two = "00-4bf92f3577b34da6a3ce929d0e0e4736-2222222222222222-01";

        assertThat(db.rows("select traceparent, tracestate, earlier_attempts::text as earlier from pgflow.task_trace(?, 'a', 0, 1)", run))
                .extracting(r -> r.get("traceparent") + " " + r.get("tracestate") + " " + r.get("earlier"))
                .containsExactly(PARENT + " k=v {}");
        assertThat(db.<Boolean>one("select pgflow.set_task_trace(?, 'a', 0, 2, ?)", run, two)).isTrue();
        assertThat(db.<Boolean>one("select pgflow.set_task_trace(?, 'a', 0, 1, ?)", run, one)).isTrue();
        assertThat(db.<Boolean>one("select pgflow.set_task_trace(?, 'a', 0, 1, ?)", run, two)).as("the first record stays").isFalse();
        assertThat(db.<Boolean>one("select pgflow.set_task_trace(gen_random_uuid(), 'a', 0, 1, ?)", one)).as("no such run").isFalse();
        assertThat(db.<String>one("select earlier_attempts::text from pgflow.task_trace(?, 'a', 0, 3)", run)).isEqualTo("{" + one + "," + two + "}");
        assertThat(db.<String>one("select earlier_attempts::text from pgflow.task_trace(?, 'a', 0, 2)", run)).isEqualTo("{" + one + "}");
        assertThat(db.<String>one("select earlier_attempts::text from pgflow.task_trace(?, 'a', 1, 2)", run)).as("another task").isEqualTo("{}");
        assertThat(db.rows("select traceparent, earlier_attempts::text as earlier, started_at from pgflow.task_trace(?, 'a', 0, 2)", untraced))
                .as("untraced run").extracting(r -> r.get("traceparent") + " " + r.get("earlier") + " " + r.get("started_at"))
                .containsExactly("null {} " + db.one("select started_at from pgflow.runs where run_id = ?", untraced));
        assertThat(db.<Long>one("select count(*) from pgflow.task_trace(gen_random_uuid(), 'a', 0, 1)")).isZero();
        assertThat(db.error("select pgflow.set_task_trace(?, 'a', 0, 1, 'nonsense')", run).getMessage())
                .contains("traceparent 'nonsense' is not a W3C trace context");
    }

    @Test
    void aChildRunNestsUnderItsParentsSubflowTaskAttemptAndKeepsThatContextAsItsOwn() {
        UUID root = start("tr", "{}");
        UUID child = start("tr", "{}");
        UUID orphan = start("tr", "{}");
        db.exec("update pgflow.runs set parent_run_id = ?, parent_step_slug = 'a', parent_task_index = 0, root_run_id = ? where run_id = ?",
                root, root, child);
        db.exec("update pgflow.runs set parent_run_id = ?, parent_step_slug = 'a', parent_task_index = 1, root_run_id = ? where run_id = ?",
                root, root, orphan);
        db.exec("select pgflow.set_run_trace(array[?::uuid], ?, 'k=v')", root, PARENT);
        String first = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01";
        String latest = "00-4bf92f3577b34da6a3ce929d0e0e4736-3333333333333333-01";
        db.exec("select pgflow.set_task_trace(?, 'a', 0, 1, ?)", root, first);
        db.exec("select pgflow.set_task_trace(?, 'a', 0, 3, ?)", root, latest);

        assertThat(db.rows("select traceparent, tracestate from pgflow.task_trace(?, 'a', 0, 1)", child))
                .extracting(r -> r.get("traceparent") + " " + r.get("tracestate")).containsExactly(latest + " k=v");
        assertThat(db.<String>one("select traceparent from pgflow_internal.run_traces where run_id = ?", child)).as("kept as its own")
                .isEqualTo(latest);
        assertThat(db.<String>one("select traceparent from pgflow.task_trace(?, 'a', 0, 1)", orphan))
                .as("no attempt of its parent task recorded: the family root's").isEqualTo(PARENT);
    }

    @Test
    void endedTracedRunsAreHandedOutOnceWithWhatTheirSpanNeeds() {
        db.exec("select pgflow.create_flow('tf', 1)");
        db.exec("select pgflow.add_step('tf', 'only')");
        UUID done = start("tr", "{}");
        UUID broken = start("tf", "{}");
        UUID stopped = start("tr", "{}");
        UUID open = start("tr", "{}");
        UUID untraced = start("tr", "{}");
        db.exec("select pgflow.set_run_trace(array[?::uuid, ?::uuid, ?::uuid, ?::uuid], ?)", done, broken, stopped, open, PARENT);
        claim("tr", 10);
        claim("tf", 10);
        complete(done, "a", 0, "1");
        complete(untraced, "a", 0, "1");
        fail(broken, "only", 0, "card declined");
        cancel(stopped, "no longer wanted");

        List<Map<String, Object>> ended = db.rows("select * from pgflow.end_run_traces(10)");
        assertThat(ended).extracting(r -> r.get("run_id") + " " + r.get("flow_slug") + " " + r.get("status") + " " + r.get("traceparent")
                + " " + r.get("error_message")).containsExactlyInAnyOrder(done + " tr completed " + PARENT + " null",
                broken + " tf failed " + PARENT + " card declined", stopped + " tr cancelled " + PARENT + " null");
        assertThat(ended).allSatisfy(r -> assertThat(((java.sql.Timestamp) r.get("ended_at")).toInstant())
                .isAfterOrEqualTo(((java.sql.Timestamp) r.get("started_at")).toInstant()));
        assertThat(db.<java.sql.Timestamp>one("select ended_at from pgflow_internal.run_traces where run_id = ?", done))
                .isEqualTo(db.<java.sql.Timestamp>one("select completed_at from pgflow.runs where run_id = ?", done));
        assertThat(db.<Long>one("select count(*) from pgflow.end_run_traces(10)")).as("handed out once").isZero();
        assertThat(db.<java.sql.Timestamp>one("select ended_at from pgflow_internal.run_traces where run_id = ?", open)).isNull();

        complete(open, "a", 0, "1");
        assertThat(db.rows("select run_id from pgflow.end_run_traces(1)")).extracting(r -> r.get("run_id")).containsExactly(open);
    }

    @Test
    void aRunStartedWithoutAContextAdoptsTheFirstOneOfferedAndEveryWorkerGetsThatOne() {
        UUID run = start("tr", "{}");
        String first = "00-11111111111111111111111111111111-1111111111111111-01";
        String second = "00-22222222222222222222222222222222-2222222222222222-01";

        assertThat(db.rows("select traceparent, tracestate from pgflow.adopt_run_trace(?, ?)", run, first))
                .extracting(r -> r.get("traceparent") + " " + r.get("tracestate")).containsExactly(first + " null");
        assertThat(db.<String>one("select traceparent from pgflow.adopt_run_trace(?, ?)", run, second)).as("the first offer stays")
                .isEqualTo(first);
        assertThat(db.<String>one("select traceparent from pgflow.task_trace(?, 'a', 0, 1)", run)).isEqualTo(first);
        assertThat(db.<Long>one("select count(*) from pgflow.adopt_run_trace(gen_random_uuid(), ?)", first)).as("no such run").isZero();
        assertThat(db.error("select * from pgflow.adopt_run_trace(?, '00-0')", run).getMessage())
                .contains("traceparent '00-0' is not a W3C trace context");
    }
}
