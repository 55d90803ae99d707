package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/**
 * complete_tasks_and_claim(worker_id, max_tasks, run_ids, step_slugs, task_indexes, outputs): a
 * batch's completions and the worker's next claim in one transaction. (That its results equal
 * complete_task element by element: CompleteTasksTest's random workload.)
 */
class CompleteTasksAndClaimTest extends SqlEngineTest {

    private static final String CALL = "select run_id, step_slug, task_index, input::text as input, flow_input::text as flow_input,"
            + " attempts_count from pgflow.complete_tasks_and_claim(?, ?, ?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])";

    private final UUID other = UUID.randomUUID();

    @BeforeEach
    void chain() {
        define("select pgflow.create_flow('c')", "select pgflow.add_step('c', 'a')", "select pgflow.add_step('c', 'b', ARRAY['a'])");
        registerWorker("c");
        db.exec("select pgflow.register_worker(?, 'c', 'test')", other);
    }

    private List<Map<String, Object>> completeAndClaim(UUID worker, Integer max, List<UUID> runs, String step, String... outputs) {
        return db.rows(CALL, worker, max, array("uuid", runs.toArray()), array("text", runs.stream().map(r -> step).toArray()),
                array("int4", runs.stream().map(r -> 0).toArray()), array("text", outputs));
    }

    /** A connection that LISTENs on pgflow_tasks (read with {@code drain}). */
    private static Connection wakeUps() throws SQLException {
        Connection listener = PgflowDatabaseExtension.newConnection();
        try {
            listener.createStatement().execute("listen pgflow_tasks");
            return listener;
        } catch (SQLException e) {
            listener.close();
            throw e;
        }
    }

    /** The other worker claims and finds nothing: it counts as idle (new tasks of the flow would wake it). */
    private void otherIsIdle() {
        assertThat(db.rows("select * from pgflow.claim_tasks('c', ?, 5)", other)).isEmpty();
    }

    @Test
    void theStepsACompletionMadeReadyAreClaimedByItsWorkerInTheSameTransactionAndNobodyIsWoken() throws SQLException {
        UUID r1 = start("c", "{\"n\": 1}");
        UUID r2 = start("c", "{\"n\": 2}");
        assertThat(claim("c", 10)).hasSize(2);
        otherIsIdle();
        try (Connection listener = wakeUps()) {

            List<Map<String, Object>> next = completeAndClaim(worker, 10, List.of(r1, r2), "a", "{\"x\": 1}", "{\"x\": 2}");

            assertThat(next).extracting(t -> t.get("run_id")).containsExactlyInAnyOrder(r1, r2);
            assertThat(next).extracting(t -> t.get("step_slug")).containsOnly("b");
            Map<String, Object> first = next.stream().filter(t -> t.get("run_id").equals(r1)).findFirst().orElseThrow();
            assertThat(first).containsEntry("input", "{\"a\": {\"x\": 1}}").containsEntry("flow_input", "{\"n\": 1}")
                    .containsEntry("attempts_count", 1);
            assertThat(step(r1, "a")).containsEntry("status", "completed").containsEntry("output", "{\"x\": 1}");
            assertThat(task(r1, "b", 0)).containsEntry("status", "started").containsEntry("last_worker_id", worker);
            assertThat(task(r1, "b", 0).get("started_at")).isEqualTo(task(r1, "b", 0).get("queued_at"));
            assertThat(drain(listener, "pgflow_tasks")).as("everything was claimed: an idle worker would find nothing").isEmpty();

            assertThat(completeAndClaim(worker, 10, List.of(r1, r2), "b", "1", "2")).isEmpty();
            assertThat(run(r1)).containsEntry("status", "completed").containsEntry("output", "{\"b\": 1}");
            assertThat(run(r2)).containsEntry("status", "completed").containsEntry("output", "{\"b\": 2}");
            assertThat(db.<Boolean>one("select idle from pgflow.workers where worker_id = ?", worker)).isTrue();
            assertThat(drain(listener, "pgflow_tasks")).isEmpty();
        }
    }

    @Test
    void aClaimThatGotAllItAskedForMayLeaveTasksBehindSoTheIdleWorkersOfTheFlowAreWoken() throws SQLException {
        List<UUID> runs = List.of(start("c", "{}"), start("c", "{}"), start("c", "{}"));
        assertThat(claim("c", 10)).hasSize(3);
        otherIsIdle();
        try (Connection listener = wakeUps()) {

            List<Map<String, Object>> next = completeAndClaim(worker, 2, runs, "a", "1", "2", "3");

            assertThat(next).hasSize(2).extracting(t -> t.get("step_slug")).containsOnly("b");
            assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where step_slug = 'b' and status = 'queued'")).isEqualTo(1L);
            assertThat(drain(listener, "pgflow_tasks")).containsExactly("c");
            assertThat(db.rows("select run_id from pgflow.claim_tasks('c', ?, 5)", other)).hasSize(1);
        }
    }

    @Test
    void aStoppedWorkerOrOneAskingForNothingOnlyCompletesAndTheOthersAreWokenAsByCompleteTasks() throws SQLException {
        UUID r1 = start("c", "{}");
        UUID r2 = start("c", "{}");
        assertThat(claim("c", 10)).hasSize(2);
        otherIsIdle();
        try (Connection listener = wakeUps()) {

            assertThat(completeAndClaim(worker, 0, List.of(r1), "a", "1")).isEmpty();
            assertThat(task(r1, "b", 0)).containsEntry("status", "queued");
            assertThat(drain(listener, "pgflow_tasks")).containsExactly("c");

            db.exec("select pgflow.mark_worker_stopped(?)", worker);
            assertThat(completeAndClaim(worker, 10, List.of(r2), "a", "2")).isEmpty();
            assertThat(step(r2, "a")).containsEntry("status", "completed");
            assertThat(task(r2, "b", 0)).containsEntry("status", "queued");
            assertThat(drain(listener, "pgflow_tasks")).containsExactly("c");
        }
    }

    @Test
    void anUnknownWorkerIsRefusedAndNothingIsCompleted() {
        UUID r1 = start("c", "{}");
        claim("c", 10);
        UUID stranger = UUID.fromString("00000000-0000-0000-0000-00000000beef");

        SQLException e = db.error(CALL, stranger, 5, array("uuid", new Object[] {r1}), array("text", new Object[] {"a"}),
                array("int4", new Object[] {0}), array("text", new Object[] {"1"}));

        assertThat(sqlState(e)).isEqualTo("23503");
        assertThat(message(e)).isEqualTo("Worker 00000000-0000-0000-0000-00000000beef is not registered: call"
                + " pgflow.register_worker('00000000-0000-0000-0000-00000000beef', <flow slug>, <function name>) before"
                + " complete_tasks_and_claim");
        assertThat(task(r1, "a", 0)).containsEntry("status", "started");
    }
}
