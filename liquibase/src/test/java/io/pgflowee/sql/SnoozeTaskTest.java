package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * snooze_task: a started task goes back to the queue until its wake-up time, its lease ended and
 * its attempt not counted; late calls change nothing; bad arguments are refused by name.
 */
class SnoozeTaskTest extends SqlEngineTest {

    private Map<String, Object> snooze(UUID run, String step, int index, String wakeAt) {
        return db.row("select status, attempts_count, started_at, visible_at from pgflow.snooze_task(?, ?, ?, " + wakeAt + ")",
                run, step, index);
    }

    @Test
    void aSnoozedTaskWaitsUntilItsWakeUpTimeWithTheSameAttemptAndAFlowWithOneAttemptSnoozesAnyNumberOfTimes() {
        db.exec("select pgflow.create_flow('poll', max_attempts => 1, timeout => 60)");
        db.exec("select pgflow.add_step('poll', 'check')");
        db.exec("select pgflow.add_step('poll', 'after', ARRAY['check'])");
        UUID run = start("poll", "{\"order\": 7}");

        for (int snoozes = 1; snoozes <= 3; snoozes++) {
            List<Map<String, Object>> claimed = claim("poll", 5);
            assertThat(claimed).extracting(t -> t.get("attempts_count")).as("the same attempt after %d snoozes", snoozes - 1)
                    .containsExactly(1);
            Map<String, Object> task = snooze(run, "check", 0, "clock_timestamp() + interval '1 hour'");
            assertThat(task).containsEntry("status", "queued").containsEntry("attempts_count", 0);
            assertThat(task.get("started_at")).as("the lease ended").isNull();
            assertThat(claim("poll", 5)).as("not claimable before its wake-up time").isEmpty();
            assertThat((Boolean) db.one("select visible_at > clock_timestamp() + interval '59 minutes' from pgflow.step_tasks"
                    + " where run_id = ?", run)).isTrue();
            makeVisible(run); // the hour has passed
        }
        assertThat(db.rows("select attempt, worker_id, outcome from pgflow_internal.task_attempts where run_id = ? order by ended_at", run))
                .containsExactly(Map.of("attempt", 1, "worker_id", worker, "outcome", "snoozed"),
                        Map.of("attempt", 1, "worker_id", worker, "outcome", "snoozed"),
                        Map.of("attempt", 1, "worker_id", worker, "outcome", "snoozed"));
        assertThat((String) db.one("select error_message from pgflow_internal.task_attempts where run_id = ? limit 1", run))
                .matches("Snoozed until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+\\+00; this attempt does not count");

        assertThat(claim("poll", 5)).extracting(t -> t.get("attempts_count")).containsExactly(1);
        assertThat(complete(run, "check", 0, "{\"ready\": true}")).containsEntry("status", "completed");
        assertThat(claim("poll", 5)).extracting(t -> t.get("step_slug"), t -> t.get("input"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple("after", "{\"check\": {\"ready\": true}}"));
        complete(run, "after", 0, "\"done\"");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"after\": \"done\"}");
    }

    @Test
    void aWakeUpTimeInThePastMakesTheTaskClaimableAtOnceAndWakesIdleWorkers() throws Exception {
        db.exec("select pgflow.create_flow('now_again', timeout => 60)");
        db.exec("select pgflow.add_step('now_again', 'only')");
        UUID run = start("now_again", "{}");
        assertThat(claim("now_again", 1)).hasSize(1);
        UUID idle = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'now_again', 'idle')", idle);
        try (java.sql.Connection listener = db.dataSource().getConnection()) {
            listener.createStatement().execute("LISTEN pgflow_tasks");
            Timestamp past = Timestamp.from(Instant.now().minusSeconds(5).truncatedTo(java.time.temporal.ChronoUnit.MICROS));
            Map<String, Object> task = db.row("select status, attempts_count, visible_at from pgflow.snooze_task(?, 'only', 0, ?)", run, past);
            assertThat(task).containsEntry("status", "queued").containsEntry("attempts_count", 0).containsEntry("visible_at", past);
            org.postgresql.PGNotification[] woken = listener.unwrap(org.postgresql.PGConnection.class).getNotifications(2000);
            assertThat(woken).extracting(org.postgresql.PGNotification::getParameter).containsExactly("now_again");
        }
        assertThat(db.rows("select run_id, attempts_count from pgflow.claim_tasks('now_again', ?, 5)", idle))
                .containsExactly(Map.of("run_id", run, "attempts_count", 1));
    }

    @Test
    void aLateCallChangesNothingAndBadArgumentsAreRefusedByName() {
        db.exec("select pgflow.create_flow('late', max_attempts => 2, timeout => 60)");
        db.exec("select pgflow.add_step('late', 'a')");
        UUID queued = start("late", "{}");
        Map<String, Object> untouched = db.row("select status, attempts_count, visible_at from pgflow.step_tasks where run_id = ?", queued);
        assertThat(db.row("select status, attempts_count, visible_at from pgflow.snooze_task(?, 'a', 0, clock_timestamp() + interval '1 day')",
                queued)).as("a queued task").isEqualTo(untouched);

        claim("late", 1);
        complete(queued, "a", 0, "1");
        assertThat(snooze(queued, "a", 0, "clock_timestamp() + interval '1 day'")).as("a completed task")
                .containsEntry("status", "completed").containsEntry("attempts_count", 1);

        UUID cancelled = start("late", "{}");
        claim("late", 1);
        cancel(cancelled, "no longer needed");
        assertThat(snooze(cancelled, "a", 0, "clock_timestamp() + interval '1 day'")).as("a task of a cancelled run")
                .containsEntry("attempts_count", 1);
        assertThat(db.<Long>one("select count(*) from pgflow_internal.task_attempts where outcome = 'snoozed'")).isZero();

        UUID run = start("late", "{}");
        claim("late", 1);
        SQLException unknown = db.error("select pgflow.snooze_task(?, 'a', 3, clock_timestamp())", run);
        assertThat(unknown.getSQLState()).isEqualTo("P0002");
        assertThat(unknown.getMessage()).contains("Task a[3] of run " + run + " not found");
        SQLException nothing = db.error("select pgflow.snooze_task(?, 'a', 0, NULL)", run);
        assertThat(nothing.getSQLState()).isEqualTo("22004");
        assertThat(nothing.getMessage()).contains("snooze_task(" + run + ", 'a', 0): wake_at must not be NULL"
                + " (the time the task becomes claimable again)");
        SQLException forever = db.error("select pgflow.snooze_task(?, 'a', 0, 'infinity')", run);
        assertThat(forever.getSQLState()).isEqualTo("22023");
        assertThat(forever.getMessage()).contains("wake_at must be a finite time, got infinity");
        assertThat(db.row("select status, attempts_count from pgflow.step_tasks where run_id = ?", run))
                .as("refused calls change nothing").isEqualTo(Map.of("status", "started", "attempts_count", 1));
    }
}
