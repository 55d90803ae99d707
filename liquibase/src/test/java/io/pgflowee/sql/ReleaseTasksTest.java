package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** release_tasks: a stopping worker hands back what it holds, claimable at once, the attempt not counted. */
class ReleaseTasksTest extends SqlEngineTest {

    @Test
    void theStoppingWorkersTasksAreQueuedNowWithTheirAttemptNotCountedAndAnotherWorkerTakesThem() {
        db.exec("select pgflow.create_flow('slow', max_attempts => 1, timeout => 600)");
        db.exec("select pgflow.add_step('slow', 'work')");
        UUID a = start("slow", "{}");
        UUID b = start("slow", "{}");
        assertThat(claim("slow", 1)).hasSize(1);
        UUID held = (UUID) db.one("select run_id from pgflow.step_tasks where status = 'started'");
        UUID other = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'slow', 'other')", other);
        db.exec("select pgflow.claim_tasks('slow', ?, 1)", other); // the other run's task, held by another worker

        db.exec("select pgflow.mark_worker_stopped(?)", worker);
        assertThat((Integer) db.one("select pgflow.release_tasks(?)", worker)).isEqualTo(1);

        Map<String, Object> task = db.row("select status, attempts_count, started_at, visible_at <= clock_timestamp() as claimable,"
                + " last_worker_id from pgflow.step_tasks where run_id = ?", held);
        assertThat(task).containsEntry("status", "queued").containsEntry("attempts_count", 0).containsEntry("claimable", true)
                .containsEntry("last_worker_id", worker);
        assertThat(task.get("started_at")).isNull();
        assertThat(db.rows("select attempt, worker_id, outcome, error_message from pgflow_internal.task_attempts where run_id = ?", held))
                .containsExactly(Map.of("attempt", 1, "worker_id", worker, "outcome", "released",
                        "error_message", "Handed back by worker " + worker + " as it stopped; this attempt does not count"));
        UUID otherRun = held.equals(a) ? b : a;
        assertThat((String) db.one("select status from pgflow.step_tasks where run_id = ?", otherRun)).as("another worker's task").isEqualTo("started");

        // max_attempts 1: the next worker's attempt is attempt 1 again, and it completes the run
        UUID next = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'slow', 'next')", next);
        List<Map<String, Object>> again = db.rows("select run_id, attempts_count from pgflow.claim_tasks('slow', ?, 5)", next);
        assertThat(again).containsExactly(Map.of("run_id", held, "attempts_count", 1));
        assertThat(complete(held, "work", 0, "\"done\"")).containsEntry("status", "completed");
        assertThat(run(held)).containsEntry("status", "completed");
        assertThat((Integer) db.one("select pgflow.release_tasks(?)", worker)).as("nothing left to hand back").isZero();
        assertThat((Integer) db.one("select pgflow.release_tasks(?)", UUID.randomUUID())).as("an unknown worker").isZero();
    }

    @Test
    void releasingWakesTheFlowsIdleWorkersAndLeavesFinishedAndQueuedTasksAlone() throws Exception {
        db.exec("select pgflow.create_flow('f', timeout => 600)");
        db.exec("select pgflow.add_step('f', 'a')");
        db.exec("select pgflow.add_step('f', 'b')");
        UUID run = start("f", "{}");
        claim("f", 2);
        complete(run, "a", 0, "1");
        UUID idle = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'f', 'idle')", idle); // registered workers start idle
        // a connection of its own, as every listener here: a pooled one may still be listening for a class that ran before
        try (java.sql.Connection listener = io.pgflowee.testing.PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("LISTEN pgflow_tasks");
            assertThat((Integer) db.one("select pgflow.release_tasks(?)", worker)).isEqualTo(1);
            org.postgresql.PGNotification[] woken = listener.unwrap(org.postgresql.PGConnection.class).getNotifications(2000);
            assertThat(woken).extracting(org.postgresql.PGNotification::getParameter).containsExactly("f");
        }
        assertThat(db.rows("select step_slug, status, attempts_count from pgflow.step_tasks where run_id = ? order by step_slug", run))
                .containsExactly(Map.of("step_slug", "a", "status", "completed", "attempts_count", 1),
                        Map.of("step_slug", "b", "status", "queued", "attempts_count", 0));
    }
}
