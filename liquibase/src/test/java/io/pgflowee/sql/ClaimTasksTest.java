package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** claim_tasks: the queue without pgmq (visibility, leases, inputs, ordering). */
class ClaimTasksTest extends SqlEngineTest {

    private void chain() {
        define("select pgflow.create_flow('c', timeout => 10)",
               "select pgflow.add_step('c', 'a')",
               "select pgflow.add_step('c', 'b', ARRAY['a'], timeout => 20)");
    }

    @Test
    void claimStartsTheTaskAndReturnsItsInputsAttemptAndTimeout() {
        chain();
        UUID run = start("c", "{\"n\": 1}");

        List<Map<String, Object>> claimed = claim("c", 10);

        assertThat(claimed).containsExactly(Map.of("flow_slug", "c", "run_id", run, "step_slug", "a", "task_index", 0,
                "input", "{}", "flow_input", "{\"n\": 1}", "attempts_count", 1, "timeout_seconds", 10));
        Map<String, Object> task = task(run, "a", 0);
        assertThat(task).containsEntry("status", "started").containsEntry("attempts_count", 1)
                .containsEntry("last_worker_id", worker);
        assertThat(task.get("started_at")).isNotNull();
        // the lease: timeout + 5 s grace from now
        assertThat((Integer) db.one("select extract(epoch from visible_at - clock_timestamp())::int from pgflow.step_tasks"
                + " where run_id = ? and step_slug = 'a'", run)).isBetween(13, 15);
        assertThat(claim("c", 10)).as("a started task is not claimed again").isEmpty();
    }

    @Test
    void dependentStepsReceiveTheirDependenciesOutputsAndTheFlowInput() {
        chain();
        UUID run = start("c", "{\"n\": 1}");
        claim("c", 1);
        complete(run, "a", 0, "{\"v\": 42}");

        List<Map<String, Object>> claimed = claim("c", 10);

        assertThat(claimed).hasSize(1);
        assertThat(claimed.get(0)).containsEntry("step_slug", "b").containsEntry("input", "{\"a\": {\"v\": 42}}")
                .containsEntry("flow_input", "{\"n\": 1}").containsEntry("timeout_seconds", 20);
    }

    @Test
    void mapTasksReceiveTheirElementOfAnyJsonType() {
        define("select pgflow.create_flow('m')", "select pgflow.add_step('m', 'each', step_type => 'map')");
        UUID run = start("m", "[1, \"two\", null, [3], {\"four\": 4}]");

        List<Map<String, Object>> claimed = claim("m", 10);

        assertThat(claimed).extracting(r -> r.get("task_index") + "=" + r.get("input"))
                .containsExactly("0=1", "1=\"two\"", "2=null", "3=[3]", "4={\"four\": 4}");
        assertThat(claimed).allSatisfy(r -> assertThat(r.get("flow_input")).isEqualTo("[1, \"two\", null, [3], {\"four\": 4}]"));
    }

    @Test
    void claimsRespectMaxTasksAndOrderByVisibility() {
        define("select pgflow.create_flow('m')", "select pgflow.add_step('m', 'each', step_type => 'map')");
        UUID run = start("m", "[0, 1, 2, 3, 4]");
        db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() - make_interval(secs => 10 - task_index * 2)"
                + " where run_id = ?", run);
        db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() - interval '60 s' where run_id = ? and task_index = 4", run);

        assertThat(claim("m", 2)).extracting(r -> r.get("task_index")).containsExactly(4, 0);
        assertThat(claim("m", 10)).extracting(r -> r.get("task_index")).containsExactly(1, 2, 3);
    }

    @Test
    void anUnregisteredWorkerCannotClaim() {
        chain();
        start("c", "{}");

        SQLException e = db.error("select * from pgflow.claim_tasks('c', ?)", UUID.randomUUID());
        assertThat(e.getSQLState()).isEqualTo("23503");
        assertThat(message(e)).startsWith("Worker ").contains("is not registered: call pgflow.register_worker(");
        assertThat((String) db.one("select status from pgflow.step_tasks")).isEqualTo("queued");
    }

    @Test
    void aStoppedWorkerCannotClaimUntilItRegistersAgain() {
        chain();
        start("c", "{}");
        registerWorker("c");
        db.exec("select pgflow.mark_worker_stopped(?)", worker);

        assertThat(message(db.error("select * from pgflow.claim_tasks('c', ?)", worker)))
                .startsWith("Worker " + worker + " was marked stopped at ");
        assertThat(claim("c", 10)).hasSize(1); // claim() registers again
    }

    @Test
    void anExpiredLeaseIsClaimedAgainAtOnceCountingTheAttempt() {
        chain();
        UUID run = start("c", "{}");
        claim("c", 1);
        expireLeases(run);
        UUID second = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'c', 'other')", second);

        List<Map<String, Object>> again = db.rows("select step_slug, attempts_count from pgflow.claim_tasks('c', ?)", second);

        assertThat(again).containsExactly(Map.of("step_slug", "a", "attempts_count", 2));
        assertThat(db.row("select last_worker_id, requeued_count from pgflow.step_tasks where run_id = ?", run))
                .containsEntry("last_worker_id", second).containsEntry("requeued_count", 1);
        assertThat(db.row("select attempt, worker_id, outcome, error_message like 'No result before the lease expired at %' as said"
                + " from pgflow_internal.task_attempts where run_id = ?", run))
                .isEqualTo(Map.of("attempt", 1, "worker_id", worker, "outcome", "lease expired", "said", true));
    }

    @Test
    void anExpiredLeaseOnTheLastAttemptFailsTheTaskAsTimedOut() {
        define("select pgflow.create_flow('t', max_attempts => 2, timeout => 7)", "select pgflow.add_step('t', 'slow')");
        UUID run = start("t", "{}");
        claim("t", 1);
        expireLeases(run);
        assertThat(claim("t", 1)).extracting(r -> r.get("attempts_count")).containsExactly(2);
        expireLeases(run);

        assertThat(claim("t", 1)).isEmpty();

        assertThat(task(run, "slow", 0)).containsEntry("status", "failed").containsEntry("attempts_count", 2)
                .containsEntry("error_message", "Task timed out: no result within its 7 s timeout (lease expired on attempt 2)");
        assertThat(step(run, "slow")).containsEntry("status", "failed");
        assertThat(run(run)).containsEntry("status", "failed");
        assertThat((Object) db.one("select permanently_stalled_at from pgflow.step_tasks where run_id = ?", run)).isNotNull();
    }

    @Test
    void tasksOfAFailedRunAreNeverClaimable() {
        define("select pgflow.create_flow('f', max_attempts => 1)", "select pgflow.add_step('f', 'a')",
               "select pgflow.add_step('f', 'b')");
        UUID run = start("f", "{}");
        List<Map<String, Object>> first = claim("f", 1);
        fail(run, (String) first.get(0).get("step_slug"), 0, "boom");

        assertThat(claim("f", 10)).isEmpty();
        String other = first.get(0).get("step_slug").equals("a") ? "b" : "a";
        assertThat(task(run, other, 0)).containsEntry("status", "queued");
    }

    @Test
    void aTaskQueuedByATransactionThatBeganAfterTheClaimerIsStillStartedAfterItWasQueued() {
        chain();
        UUID run = start("c", "{}");
        // as when start_flow began after the claiming transaction but committed before its claim statement
        db.exec("alter table pgflow.step_tasks drop constraint started_at_is_after_queued_at");
        db.exec("update pgflow.step_tasks set queued_at = now() + interval '2 seconds' where run_id = ?", run);
        db.exec("alter table pgflow.step_tasks add constraint started_at_is_after_queued_at"
                + " check (started_at is null or started_at >= queued_at)");

        assertThat(claim("c", 1)).hasSize(1);

        assertThat((Boolean) db.one("select started_at = queued_at from pgflow.step_tasks where run_id = ?", run)).isTrue();
        complete(run, "a", 0, "1");
        assertThat((Boolean) db.one("select completed_at >= started_at from pgflow.step_tasks where run_id = ? and step_slug = 'a'",
                run)).isTrue();
    }

    @Test
    void claimRecordsWhetherTheWorkerIsIdle() {
        chain();
        start("c", "{}");
        start("c", "{}");
        registerWorker("c");

        db.exec("select * from pgflow.claim_tasks('c', ?, 2)", worker);
        assertThat((Boolean) db.one("select idle from pgflow.workers where worker_id = ?", worker)).isFalse();
        db.exec("select * from pgflow.claim_tasks('c', ?, 2)", worker);
        assertThat((Boolean) db.one("select idle from pgflow.workers where worker_id = ?", worker)).isTrue();
    }
}
