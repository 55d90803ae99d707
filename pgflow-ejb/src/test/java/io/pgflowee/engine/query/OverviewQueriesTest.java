package io.pgflowee.engine.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.model.ReadModel;
import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.api.flow.StepType;
import io.pgflowee.api.flow.WhenExhausted;
import io.pgflowee.engine.query.DashboardQueries.Dashboard;
import io.pgflowee.engine.query.DashboardQueries.MinuteCounts;
import io.pgflowee.engine.query.FlowQueries.FlowSummary;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.persistence.EntityManager;

/** Flows, workers and the dashboard over the read model, with exact results. */
@ExtendWith(PgflowDatabaseExtension.class)
class OverviewQueriesTest {

    private Db db;
    private EntityManager em;
    private UUID worker;
    private UUID failedRun;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        db = new Db(ds);
        em = ReadModel.factory(ds).createEntityManager();
        worker = UUID.randomUUID();
        db.exec("select pgflow.create_flow('qa', max_attempts => 1, timeout => 30)");
        db.exec("select pgflow.add_step('qa', 'a')");
        db.exec("select pgflow.add_step('qa', 'b', ARRAY['a'], timeout => 5)");
        db.exec("select pgflow.add_step('qa', 'each', ARRAY['a'], step_type => 'map', when_exhausted => 'skip')");
        db.exec("select pgflow.create_flow('qb', base_delay => 60)");
        db.exec("select pgflow.add_step('qb', 'only')");
        db.exec("select pgflow.register_worker(?, 'qa', 'server-1')", worker);

        UUID completed = start("qa");
        failedRun = start("qa");
        UUID cancelled = start("qa");
        start("qa");
        claim("qa", 2); // completed's a and failed's a (oldest first)
        db.exec("select * from pgflow.complete_task(?, 'a', 0, '[]')", completed);
        db.exec("select * from pgflow.fail_task(?, 'a', 0, 'boom\nsecond line')", failedRun);
        db.exec("select * from pgflow.cancel_run(?)", cancelled);
        claim("qa", 10); // completed's b and the last run's a
        db.exec("select * from pgflow.complete_task(?, 'b', 0, '\"B\"')", completed);

        UUID waiting = start("qb");
        UUID retrying = start("qb");
        db.exec("select pgflow.register_worker(?, 'qb', 'server-1')", UUID.randomUUID());
        db.rows("select * from pgflow.claim_tasks('qb', (select worker_id from pgflow.workers where queue_name = 'qb'), 1)");
        db.exec("select * from pgflow.fail_task(?, 'only', 0, 'try later')", waiting);
        assertThat(retrying).isNotNull();
    }

    @AfterEach
    void close() {
        em.close();
    }

    private UUID start(String flow) {
        return db.one("select run_id from pgflow.start_flow(?, '{}'::jsonb)", flow);
    }

    private void claim(String flow, int max) {
        db.rows("select * from pgflow.claim_tasks(?, ?, ?)", flow, worker, max);
    }

    @Test
    void flowsListTheirOptionsStepsDependenciesAndRunsPerStatus() {
        db.exec("select pgflow.pause_flow('qb')");
        db.exec("select pgflow.set_flow_concurrency('qb', 7)");

        List<FlowSummary> flows = new FlowQueries(em).flows();

        assertThat(flows).extracting(f -> f.flow().flowSlug()).containsExactly("qa", "qb");
        FlowSummary qa = flows.get(0);
        assertThat(qa.flow().maxAttempts()).isEqualTo(1);
        assertThat(qa.flow().timeout()).isEqualTo(30);
        assertThat(qa.flow().pausedAt()).isNull();
        assertThat(qa.steps()).extracting(s -> s.step().stepSlug() + " " + s.step().stepType() + " " + s.dependsOn())
                .containsExactly("a SINGLE []", "b SINGLE [a]", "each MAP [a]");
        assertThat(qa.steps().get(1).step().timeout()).isEqualTo(5);
        assertThat(qa.steps().get(2).step().whenExhausted()).isEqualTo(WhenExhausted.SKIP);
        assertThat(qa.steps().get(2).step().stepType()).isEqualTo(StepType.MAP);
        assertThat(qa.runs().exact()).isTrue();
        assertThat(qa.runs().counts()).containsExactlyInAnyOrderEntriesOf(Map.of(RunStatus.STARTED, 1L, RunStatus.COMPLETED, 1L,
                RunStatus.FAILED, 1L, RunStatus.CANCELLED, 1L));
        FlowSummary qb = flows.get(1);
        assertThat(qb.flow().pausedAt()).isNotNull();
        assertThat(qb.flow().maxRunning()).isEqualTo(7);
        assertThat(qb.runs().counts()).containsEntry(RunStatus.STARTED, 2L).containsEntry(RunStatus.COMPLETED, 0L);
        assertThat(new FlowQueries(em).flow("qb")).get().satisfies(f -> assertThat(f.steps()).hasSize(1));
        assertThat(new FlowQueries(em).flow("nope")).isEmpty();
    }

    @Test
    void workersAreLiveWhileTheyBeatAndLiveOnesComeFirst() {
        UUID stopped = UUID.randomUUID();
        UUID stale = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'qa', 'server-2')", stopped);
        db.exec("select pgflow.mark_worker_stopped(?)", stopped);
        db.exec("select pgflow.register_worker(?, 'qa', 'server-3')", stale);
        db.exec("update pgflow.workers set last_heartbeat = clock_timestamp() - interval '1 minute' where worker_id = ?", stale);

        List<WorkerQueries.WorkerView> workers = new WorkerQueries(em).workers();

        assertThat(workers).hasSize(4);
        assertThat(workers.subList(0, 2)).allSatisfy(w -> assertThat(w.live()).isTrue())
                .extracting(w -> w.worker().queueName()).containsExactlyInAnyOrder("qa", "qb");
        assertThat(workers.get(0).worker().functionName()).isEqualTo("server-1");
        assertThat(workers.subList(2, 4)).allSatisfy(w -> assertThat(w.live()).isFalse())
                .extracting(w -> w.worker().workerId()).containsExactlyInAnyOrder(stopped, stale);
        assertThat(workers.stream().filter(w -> w.worker().workerId().equals(stale)).findFirst().orElseThrow().heartbeatAge())
                .isBetween(Duration.ofSeconds(59), Duration.ofSeconds(90));
    }

    @Test
    void theDashboardCountsRunsPerMinuteTheQueueTheSlowestStepsAndTheLatestFailures() {
        Dashboard dashboard = new DashboardQueries(em).dashboard(5);

        Map<String, long[]> sums = new java.util.TreeMap<>();
        for (MinuteCounts m : dashboard.perMinute()) {
            long[] s = sums.computeIfAbsent(m.flowSlug(), k -> new long[4]);
            s[0] += m.started();
            s[1] += m.completed();
            s[2] += m.failed();
            s[3] += m.cancelled();
        }
        assertThat(sums.get("qa")).containsExactly(4, 1, 1, 1);
        assertThat(sums.get("qb")).containsExactly(2, 0, 0, 0);
        assertThat(dashboard.queues()).extracting(q -> q.flowSlug() + " queued=" + q.queued() + " delayed=" + q.delayed()
                + " running=" + q.running()).containsExactly("qa queued=0 delayed=0 running=1", "qb queued=1 delayed=1 running=0");
        assertThat(dashboard.slowestSteps()).extracting(s -> s.flowSlug() + "/" + s.stepSlug() + " " + s.completed())
                .as("each maps over a's empty output and completes at once").containsExactlyInAnyOrder("qa/a 1", "qa/b 1", "qa/each 1");
        assertThat(dashboard.slowestSteps()).allSatisfy(s -> assertThat(s.p95Seconds()).isBetween(0.0, 60.0));
        assertThat(dashboard.latestFailures()).singleElement().satisfies(f -> {
            assertThat(f.flowSlug()).isEqualTo("qa");
            assertThat(f.runId()).isEqualTo(failedRun);
            assertThat(f.stepSlug()).isEqualTo("a");
            assertThat(f.attempts()).isEqualTo(1);
            assertThat(f.errorFirstLine()).isEqualTo("boom");
            assertThat(f.failedAt()).isNotNull();
        });
        assertThat(dashboard.at()).isNotNull();
    }
}
