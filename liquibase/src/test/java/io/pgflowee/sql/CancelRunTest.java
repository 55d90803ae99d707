package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/** cancel_run: a started run stops for good, keeps what completed, and ignores late reports. */
class CancelRunTest extends SqlEngineTest {

    /** other (root), each (root map over 5), sum (after each). */
    private UUID mapRunWithTasksQueuedStartedAndCompleted() {
        define("select pgflow.create_flow('c')", "select pgflow.add_step('c', 'other')",
               "select pgflow.add_step('c', 'each', step_type => 'map')", "select pgflow.add_step('c', 'sum', ARRAY['each'])");
        UUID run = start("c", "[1, 2, 3, 4, 5]");
        assertThat(claim("c", 10)).hasSize(6);
        complete(run, "other", 0, "\"O\"");
        complete(run, "each", 0, "10");
        complete(run, "each", 1, "20");
        fail(run, "each", 3, "flaky 3");
        fail(run, "each", 4, "flaky 4");
        return run;
    }

    @Test
    void cancelDuringAMapCancelsEveryUnfinishedStepAndTaskAndKeepsCompletedOutputs() {
        UUID run = mapRunWithTasksQueuedStartedAndCompleted();

        var cancelled = cancel(run, "customer withdrew");

        assertThat(cancelled).containsEntry("run_id", run).containsEntry("status", "cancelled")
                .containsEntry("cancel_reason", "customer withdrew").containsEntry("remaining_steps", 2);
        assertThat(cancelled.get("cancelled_at")).isNotNull();
        assertThat(run(run)).containsEntry("status", "cancelled").containsEntry("output", null)
                .containsEntry("completed_at", null).containsEntry("failed_at", null);
        assertThat(step(run, "other")).containsEntry("status", "completed").containsEntry("output", "\"O\"")
                .containsEntry("cancelled_at", null);
        assertThat(step(run, "each")).containsEntry("status", "cancelled").containsEntry("remaining_tasks", 3)
                .containsEntry("output", null);
        assertThat(step(run, "each").get("cancelled_at")).isNotNull();
        assertThat(step(run, "sum")).containsEntry("status", "cancelled").containsEntry("remaining_deps", 1)
                .containsEntry("started_at", null);
        assertThat(task(run, "each", 0)).containsEntry("status", "completed").containsEntry("output", "10");
        assertThat(task(run, "each", 1)).containsEntry("status", "completed").containsEntry("output", "20");
        assertThat(task(run, "each", 2)).containsEntry("status", "cancelled").containsEntry("attempts_count", 1)
                .containsEntry("error_message", null);
        assertThat(task(run, "each", 3)).containsEntry("status", "cancelled").containsEntry("error_message", "flaky 3");
        assertThat(task(run, "each", 4)).containsEntry("status", "cancelled").containsEntry("error_message", "flaky 4");
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ? and status = 'cancelled'"
                + " and cancelled_at is not null and visible_at = 'infinity'", run)).isEqualTo(3L);
    }

    @Test
    void nothingOfACancelledRunIsClaimedAgainEvenWhenItsTasksLookVisible() {
        UUID run = mapRunWithTasksQueuedStartedAndCompleted();
        cancel(run, null);

        db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() - interval '1 s' where run_id = ?", run);

        assertThat(claim("c", 10)).isEmpty();
        assertThat(claim("c", 10)).as("nor as an expired lease").isEmpty();
    }

    @Test
    void lateReportsForACancelledRunChangeNothing() {
        UUID run = mapRunWithTasksQueuedStartedAndCompleted();
        cancel(run, null);

        assertThat(complete(run, "each", 2, "30")).containsEntry("status", "cancelled").containsEntry("output", null);
        assertThat(fail(run, "each", 2, "too late")).containsEntry("status", "cancelled").containsEntry("error_message", null);

        assertThat(step(run, "each")).containsEntry("status", "cancelled").containsEntry("remaining_tasks", 3);
        assertThat(step(run, "sum")).containsEntry("status", "cancelled");
        assertThat(run(run)).containsEntry("status", "cancelled").containsEntry("remaining_steps", 2);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'sum'", run)).isZero();
    }

    @Test
    void cancellingACancelledRunReturnsItUnchanged() {
        UUID run = mapRunWithTasksQueuedStartedAndCompleted();
        Object first = cancel(run, "first reason").get("cancelled_at");

        var again = cancel(run, "second reason");

        assertThat(again).containsEntry("status", "cancelled").containsEntry("cancel_reason", "first reason")
                .containsEntry("cancelled_at", first);
    }

    @Test
    void cancellingACompletedOrFailedRunFailsNamingTheRunAndItsStatus() {
        define("select pgflow.create_flow('t', max_attempts => 1)", "select pgflow.add_step('t', 'a')");
        UUID done = start("t", "{}");
        UUID failed = start("t", "{}");
        claim("t", 10);
        complete(done, "a", 0, "1");
        fail(failed, "a", 0, "broken");

        SQLException completedError = db.error("select pgflow.cancel_run(?)", done);
        SQLException failedError = db.error("select pgflow.cancel_run(?, 'why')", failed);

        assertThat(message(completedError)).isEqualTo("Run " + done + " is completed: only a started run can be cancelled");
        assertThat(sqlState(completedError)).isEqualTo("55000");
        assertThat(message(failedError)).isEqualTo("Run " + failed + " is failed: only a started run can be cancelled");
        assertThat(failedError.getMessage()).contains("Hint: Retry it in place (pgflow.retry_run)");
        assertThat(run(done)).containsEntry("status", "completed").containsEntry("cancelled_at", null);
        assertThat(run(failed)).containsEntry("status", "failed").containsEntry("cancel_reason", null);
    }

    @Test
    void cancellingAnUnknownRunFails() {
        UUID unknown = UUID.randomUUID();
        SQLException e = db.error("select pgflow.cancel_run(?)", unknown);
        assertThat(message(e)).isEqualTo("Run " + unknown + " does not exist");
        assertThat(sqlState(e)).isEqualTo("P0002");
    }

    @Test
    void cancelEmitsStepCancelledForEachUnfinishedStepThenRunCancelled() throws Exception {
        UUID run = mapRunWithTasksQueuedStartedAndCompleted();
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_events");
            db.exec("select pgflow.subscribe_events(?, ?, 60)", UUID.randomUUID(), run);

            cancel(run, "stop");

            assertThat(eventTypes(drain(listener, "pgflow_events")))
                    .containsExactly("step:cancelled each", "step:cancelled sum", "run:cancelled");
        }
    }

    @Test
    void cancelledRunsArePrunedLikeFinishedOnes() {
        UUID run = mapRunWithTasksQueuedStartedAndCompleted();
        UUID live = start("c", "[1]");
        cancel(run, null);
        db.exec("update pgflow.runs set cancelled_at = now() - interval '8 days', started_at = now() - interval '9 days'"
                + " where run_id = ?", run);

        db.exec("select pgflow.prune_data_older_than(interval '7 days')");

        assertThat((Long) db.one("select count(*) from pgflow.runs where run_id = ?", run)).isZero();
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ?", run)).isZero();
        assertThat(run(live)).containsEntry("status", "started");
    }
}
