package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** fail_task: retries, backoff, exhaustion and the failed-run rules. */
class RetriesWithExponentialBackoffTest extends SqlEngineTest {

    private int secondsUntilVisible(UUID run, String step) {
        return db.one("select round(extract(epoch from visible_at - clock_timestamp()))::int from pgflow.step_tasks"
                + " where run_id = ? and step_slug = ?", run, step);
    }

    /** fail_task, returning how many whole seconds after the call the task becomes visible again. */
    private int failAndMeasureBackoff(UUID run, String step, String error) {
        return db.one("with before as materialized (select clock_timestamp() as t0)"
                + " select floor(extract(epoch from f.visible_at - b.t0))::int"
                + " from before b cross join lateral pgflow.fail_task(?, ?, 0, ?) f", run, step, error);
    }

    @Test
    void aFailureWithAttemptsLeftRequeuesAfterBaseDelayTimesTwoToTheAttempts() {
        define("select pgflow.create_flow('r', max_attempts => 3, base_delay => 2)", "select pgflow.add_step('r', 'flaky')");
        UUID run = start("r", "{}");

        claim("r", 1);
        assertThat(failAndMeasureBackoff(run, "flaky", "first")).isEqualTo(4); // floor(2 * 2^1)
        assertThat(task(run, "flaky", 0)).containsEntry("status", "queued").containsEntry("attempts_count", 1)
                .containsEntry("error_message", "first");
        assertThat(claim("r", 1)).as("not before the backoff").isEmpty();
        assertThat(task(run, "flaky", 0)).containsEntry("started_at", null).containsEntry("failed_at", null);
        assertThat(step(run, "flaky")).containsEntry("status", "started").containsEntry("error_message", null);

        makeVisible(run);
        assertThat(claim("r", 1)).extracting(t -> t.get("attempts_count")).containsExactly(2);
        assertThat(failAndMeasureBackoff(run, "flaky", "second")).isEqualTo(8); // floor(2 * 2^2)

        makeVisible(run);
        claim("r", 1);
        assertThat(complete(run, "flaky", 0, "\"third time\"")).containsEntry("status", "completed");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"flaky\": \"third time\"}");
    }

    @Test
    void everyFailedAttemptIsKeptWithItsErrorAndWorkerAndTheCompletedOneIsNot() {
        define("select pgflow.create_flow('h', max_attempts => 3, base_delay => 0)", "select pgflow.add_step('h', 'flaky')");
        UUID run = start("h", "{}");

        claim("h", 1);
        fail(run, "flaky", 0, "first error");
        makeVisible(run);
        claim("h", 1);
        fail(run, "flaky", 0, "second error");
        makeVisible(run);
        claim("h", 1);
        complete(run, "flaky", 0, "\"ok\"");

        assertThat(db.rows("select attempt, worker_id = ? as by_worker, outcome, error_message, started_at <= ended_at as ordered"
                + " from pgflow_internal.task_attempts where run_id = ? order by ended_at", worker, run)).containsExactly(
                Map.of("attempt", 1, "by_worker", true, "outcome", "failed", "error_message", "first error", "ordered", true),
                Map.of("attempt", 2, "by_worker", true, "outcome", "failed", "error_message", "second error", "ordered", true));
        // a late or repeated report of a task that is no longer started adds nothing
        fail(run, "flaky", 0, "late");
        assertThat((Long) db.one("select count(*) from pgflow_internal.task_attempts where run_id = ?", run)).isEqualTo(2L);
        // deleted with its task
        db.exec("select pgflow.prune_data_older_than(interval '0 seconds')");
        assertThat((Long) db.one("select count(*) from pgflow_internal.task_attempts where run_id = ?", run)).isZero();
    }

    @Test
    void calculateRetryDelayIsUncappedFloorOfBaseTimesPowerOfTwo() {
        assertThat((Integer) db.one("select pgflow.calculate_retry_delay(1, 2)")).isEqualTo(4);
        assertThat((Integer) db.one("select pgflow.calculate_retry_delay(2, 3)")).isEqualTo(16);
        assertThat((Integer) db.one("select pgflow.calculate_retry_delay(1.5, 1)")).isEqualTo(3);
        assertThat((Integer) db.one("select pgflow.calculate_retry_delay(5, 10)")).isEqualTo(5120);
    }

    @Test
    void exhaustingAttemptsFailsTaskStepAndRunAndOrphansOtherTasks() {
        define("select pgflow.create_flow('x', max_attempts => 1)", "select pgflow.add_step('x', 'bad')",
               "select pgflow.add_step('x', 'other')", "select pgflow.add_step('x', 'after', ARRAY['bad', 'other'])");
        UUID run = start("x", "{}");
        claim("x", 10);

        assertThat(fail(run, "bad", 0, "kaput")).containsEntry("status", "failed").containsEntry("attempts_count", 1);

        assertThat(task(run, "bad", 0)).containsEntry("error_message", "kaput");
        assertThat(step(run, "bad")).containsEntry("status", "failed").containsEntry("error_message", "kaput");
        Map<String, Object> r = run(run);
        assertThat(r).containsEntry("status", "failed").containsEntry("remaining_steps", 3);
        assertThat(r.get("failed_at")).isNotNull();
        assertThat(task(run, "other", 0)).containsEntry("status", "started");
        assertThat((Boolean) db.one("select visible_at = 'infinity' from pgflow.step_tasks where run_id = ? and step_slug = 'other'",
                run)).as("orphaned: never claimable again").isTrue();
        // a late failure of a started task of a failed run marks it failed, without retry
        assertThat(fail(run, "other", 0, "late")).containsEntry("status", "failed");
        assertThat(step(run, "after")).containsEntry("status", "created");
    }

    @Test
    void stepMaxAttemptsOverridesTheFlowAndZeroMeansNoRetry() {
        define("select pgflow.create_flow('o', max_attempts => 5)", "select pgflow.add_step('o', 'once', max_attempts => 0)");
        UUID run = start("o", "{}");
        claim("o", 1);

        assertThat(fail(run, "once", 0, "no")).containsEntry("status", "failed");
        assertThat(run(run)).containsEntry("status", "failed");
    }

    @Test
    void failingAQueuedOrFinishedTaskChangesNothing() {
        define("select pgflow.create_flow('q')", "select pgflow.add_step('q', 'a')");
        UUID run = start("q", "{}");

        assertThat(fail(run, "a", 0, "too early")).containsEntry("status", "queued").containsEntry("error_message", null);
        assertThat(secondsUntilVisible(run, "a")).isLessThanOrEqualTo(0);
        claim("q", 1);
        complete(run, "a", 0, "1");
        assertThat(fail(run, "a", 0, "too late")).containsEntry("status", "completed").containsEntry("error_message", null);
        assertThat(run(run)).containsEntry("status", "completed");
    }

    @Test
    void onlyTheRetryDelayOfTheStepAppliesAndTimestampsFollow() {
        define("select pgflow.create_flow('b', base_delay => 10)", "select pgflow.add_step('b', 's', base_delay => 1)");
        UUID run = start("b", "{}");
        claim("b", 1);
        assertThat(failAndMeasureBackoff(run, "s", "x")).isEqualTo(2);
    }
}
