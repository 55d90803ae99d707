package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** register_worker, heartbeat, mark_worker_stopped and prune_data_older_than. */
class WorkersAndPruningTest extends SqlEngineTest {

    @Test
    void registeringUpsertsAndHeartbeatsKeepTheWorkerAlive() {
        db.exec("select pgflow.register_worker(?, 'q1', 'fn1')", worker);
        db.exec("update pgflow.workers set last_heartbeat = now() - interval '1 hour'");
        db.exec("select pgflow.register_worker(?, 'q2', 'fn2')", worker);

        Map<String, Object> w = db.row("select queue_name, function_name, now() - last_heartbeat < interval '1 minute' as fresh"
                + " from pgflow.workers where worker_id = ?", worker);
        assertThat(w).containsEntry("queue_name", "q2").containsEntry("function_name", "fn2").containsEntry("fresh", true);

        db.exec("update pgflow.workers set last_heartbeat = now() - interval '1 hour'");
        assertThat((Boolean) db.one("select pgflow.heartbeat(?)", worker)).isTrue();
        assertThat((Long) db.one("select count(*) from pgflow.workers where last_heartbeat > now() - interval '6 seconds'")).isEqualTo(1L);
    }

    @Test
    void heartbeatTellsAStoppedDeprecatedOrUnknownWorkerToStop() {
        db.exec("select pgflow.register_worker(?, 'q', 'fn')", worker);
        db.exec("update pgflow.workers set deprecated_at = now()");
        assertThat((Boolean) db.one("select pgflow.heartbeat(?)", worker)).isFalse();

        db.exec("select pgflow.register_worker(?, 'q', 'fn')", worker);
        assertThat((Boolean) db.one("select pgflow.heartbeat(?)", worker)).isTrue();
        db.exec("select pgflow.mark_worker_stopped(?)", worker);
        assertThat((Object) db.one("select stopped_at from pgflow.workers")).isNotNull();
        assertThat((Boolean) db.one("select pgflow.heartbeat(?)", worker)).isFalse();
        assertThat((Boolean) db.one("select pgflow.heartbeat(?)", UUID.randomUUID())).isFalse();
    }

    @Test
    void pruningRemovesOldFinishedRunsWithAllTheirRowsAndOldWorkersOnly() {
        db.exec("select pgflow.create_flow('p', max_attempts => 1)");
        db.exec("select pgflow.add_step('p', 'a')");
        db.exec("select pgflow.add_step('p', 'b', ARRAY['a'])");
        UUID oldDone = start("p", "{}");
        UUID oldFailed = start("p", "{}");
        UUID oldRunning = start("p", "{}");
        UUID recent = start("p", "{}");
        claim("p", 10);
        complete(oldDone, "a", 0, "1");
        fail(oldFailed, "a", 0, "x");
        complete(recent, "a", 0, "1");
        claim("p", 10);
        complete(oldDone, "b", 0, "1");
        complete(recent, "b", 0, "1");
        db.exec("alter table pgflow.runs disable trigger all");
        db.exec("update pgflow.runs set started_at = now() - interval '40 days', completed_at = now() - interval '31 days'"
                + " where run_id = ?", oldDone);
        db.exec("update pgflow.runs set started_at = now() - interval '40 days', failed_at = now() - interval '31 days'"
                + " where run_id = ?", oldFailed);
        db.exec("update pgflow.runs set started_at = now() - interval '40 days' where run_id = ?", oldRunning);
        db.exec("alter table pgflow.runs enable trigger all");
        UUID oldWorker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'p', 'old')", oldWorker);
        db.exec("update pgflow.workers set last_heartbeat = now() - interval '31 days' where worker_id = ?", oldWorker);

        db.exec("select pgflow.prune_data_older_than(interval '30 days')");

        assertThat(db.rows("select run_id from pgflow.runs")).extracting(r -> r.get("run_id"))
                .containsExactlyInAnyOrder(oldRunning, recent);
        assertThat((Long) db.one("select count(*) from pgflow.step_states where run_id in (?, ?)", oldDone, oldFailed)).isZero();
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id in (?, ?)", oldDone, oldFailed)).isZero();
        assertThat(db.rows("select worker_id from pgflow.workers")).extracting(r -> r.get("worker_id")).containsExactly(worker);
        assertThat((Long) db.one("select count(*) from pgflow.flows")).isEqualTo(1L);
    }
}
