package io.pgflowee.engine.jobs;

import static org.assertj.core.api.Assertions.assertThat;


import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.system.ServerIdentity;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * The batch jobs' own bookkeeping without a server, on embedded PostgreSQL 17: which server runs an
 * execution and when it counts as lost, skipped items kept once with their latest reason, and a day's
 * scheduled job claimed by one server only. (Each job's own SQL: the test of its package; the jobs
 * themselves run in Payara: JobsIT.)
 */
@ExtendWith(PgflowDatabaseExtension.class)
class JobDatabaseTest {

    private Db db;
    private JobDatabase jobs;

    @BeforeEach
    void clean(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        db = new Db(ds);
        db.exec("delete from pgflow_internal.job_executions");
        db.exec("delete from pgflow_internal.job_items");
        db.exec("delete from pgflow_internal.job_skips");
        db.exec("delete from pgflow_internal.job_partitions");
        db.exec("delete from pgflow_internal.job_totals");
        jobs = new JobDatabase();
        jobs.dataSource = ds;
    }

    @Test
    void anExecutionsServerIsThisOneAliveOrLostByItsHeartbeatAndItsEnd() throws Exception {
        ServerIdentity a = new ServerIdentity();
        ServerIdentity b = new ServerIdentity();
        JobExecutions onA = executions(a);
        JobExecutions onB = executions(b);
        assertThat(jobs.owner("inst-1", 7)).as("no server recorded it").isEmpty();

        jobs.recordExecution("inst-1", 7, a.id(), a.name());
        ExecutionOwner owner = jobs.owner("inst-1", 7).orElseThrow();
        assertThat(owner.server()).isEqualTo(a.name());
        assertThat(owner.serverId()).isEqualTo(a.id());
        assertThat(owner.ended()).isFalse();
        assertThat(owner.secondsSinceHeartbeat()).isBetween(0.0, 5.0);
        assertThat(onA.isThisServer(owner)).isTrue();
        assertThat(onB.isThisServer(owner)).isFalse();
        assertThat(onB.isLost(owner)).as("beat just now").isFalse();

        db.exec("update pgflow_internal.job_executions set heartbeat_at = now() - interval '31 seconds'");
        owner = jobs.owner("inst-1", 7).orElseThrow();
        assertThat(onB.isLost(owner)).as("no heartbeat for more than 30 s").isTrue();
        assertThat(onA.isLost(owner)).as("a server never counts itself lost").isFalse();

        assertThat(jobs.heartbeat(a.id())).isEqualTo(1);
        assertThat(onB.isLost(jobs.owner("inst-1", 7).orElseThrow())).as("beat again").isFalse();
        assertThat(jobs.heartbeat(b.id())).as("b runs nothing").isZero();

        jobs.endExecution("inst-1", 7);
        owner = jobs.owner("inst-1", 7).orElseThrow();
        assertThat(owner.ended()).isTrue();
        assertThat(onB.isLost(owner)).as("it recorded the end: if the repository still says running, it died between the writes")
                .isTrue();
        assertThat(jobs.heartbeat(a.id())).as("an ended execution is not beaten for").isZero();

        jobs.recordExecution("inst-1", 7, b.id(), b.name()); // restarted on b
        owner = jobs.owner("inst-1", 7).orElseThrow();
        assertThat(owner.server()).isEqualTo(b.name());
        assertThat(owner.ended()).isFalse();
        assertThat(onB.isThisServer(owner)).isTrue();
    }

    @Test
    void aSkippedItemIsKeptOnceWithItsLatestReasonAndADaysJobIsClaimedOnce() throws Exception {
        jobs.recordSkip("inst-2", "line 10", "bad JSON");
        jobs.recordSkip("inst-2", "line 2", "empty line");
        jobs.recordSkip("inst-2", "line 10", "bad JSON at column 3");
        jobs.recordSkip("other", "line 1", "not this instance");
        assertThat(jobs.skips("inst-2", 10)).extracting(s -> s[0] + ": " + s[1])
                .containsExactly("line 2: empty line", "line 10: bad JSON at column 3");
        assertThat(jobs.skips("inst-2", 1)).hasSize(1);
        jobs.recordSkip("inst-3", "long", "x".repeat(2500));
        assertThat(jobs.skips("inst-3", 1).get(0)[1]).hasSize(2001).endsWith("…");

        assertThat(jobs.claimOnce("prune 2026-12-02")).isTrue();
        assertThat(jobs.claimOnce("prune 2026-12-02")).as("another server, the same day").isFalse();
        assertThat(jobs.claimOnce("prune 2026-12-03")).isTrue();
    }

    private JobExecutions executions(ServerIdentity identity) {
        JobExecutions executions = new JobExecutions();
        executions.database = jobs;
        executions.identity = identity;
        executions.lostAfterSeconds = 30;
        return executions;
    }

    /**
     * A running job's progress: the total its reader counted at the start (kept once: a restart does
     * not count again), and the items done from the rows its work writes (bulk jobs: job_items;
     * prune: job_partitions; backfill: the runs whose keys carry its instance, and its skips).
     */
    @Test
    void progressCountsWhatTheWorkWroteAgainstTheTotalCountedAtTheStart() throws Exception {
        assertThat(jobs.progress("bulk-1", "pgflow-bulk-retry", null)).isEqualTo(new JobDatabase.Progress(0, null));
        jobs.total("bulk-1", "", 10);
        jobs.total("bulk-1", "", 99);
        for (String item : java.util.List.of("a", "b", "c")) {
            db.exec("insert into pgflow_internal.job_items (instance_key, item_key, outcome) values ('bulk-1', ?, 'retried')", item);
        }
        db.exec("insert into pgflow_internal.job_items (instance_key, item_key, outcome) values ('bulk-10', 'x', 'retried')");
        assertThat(jobs.progress("bulk-1", "pgflow-bulk-retry", null)).isEqualTo(new JobDatabase.Progress(3, 10L));
        assertThat(jobs.progress("bulk-1", "pgflow-cancel-stuck", null)).isEqualTo(new JobDatabase.Progress(3, 10L));

        jobs.total("prune-1", "flow_a", 6);
        jobs.total("prune-1", "flow_b", 8);
        db.exec("insert into pgflow_internal.job_partitions (instance_key, partition, items) values ('prune-1', 'flow_a', 5),"
                + " ('prune-1', 'flow_b', 7), ('prune-2', 'flow_a', 100)");
        assertThat(jobs.progress("prune-1", "pgflow-prune", null)).isEqualTo(new JobDatabase.Progress(12, 14L));

        db.exec("select pgflow.create_flow('bf')");
        db.exec("select pgflow.add_step('bf', 'only')");
        db.exec("select count(*) from pgflow.start_flow('bf', '{}', idempotency_key => 'backfill:k_3:1')");
        db.exec("select count(*) from pgflow.start_flow('bf', '{}', idempotency_key => 'backfill:k_3:2')");
        db.exec("select count(*) from pgflow.start_flow('bf', '{}', idempotency_key => 'backfill:kx3:1')"); // _ is not a wildcard here
        db.exec("select count(*) from pgflow.start_flow('bf', '{}', idempotency_key => 'backfill:k_30:1')");
        jobs.recordSkip("k_3", "7", "has 2 fields, the header has 3");
        jobs.total("k_3", "", 5);
        assertThat(jobs.progress("k_3", "pgflow-backfill", "bf")).isEqualTo(new JobDatabase.Progress(3, 5L));
    }
}
