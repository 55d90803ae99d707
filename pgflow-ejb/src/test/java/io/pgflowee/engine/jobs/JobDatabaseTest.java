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
}
