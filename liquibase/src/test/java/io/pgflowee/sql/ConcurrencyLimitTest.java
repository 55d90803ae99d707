package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** set_flow_concurrency: never more than max_running tasks of a flow started at once, across all claimers. */
class ConcurrencyLimitTest extends SqlEngineTest {

    @Test
    void claimsStopAtTheLimitAndResumeAsTasksFinish() {
        define("select pgflow.create_flow('l')", "select pgflow.add_step('l', 'a')");
        for (int i = 0; i < 10; i++) {
            start("l", "{}");
        }
        assertThat((Integer) db.one("select max_running from pgflow.set_flow_concurrency('l', 3)")).isEqualTo(3);

        var first = claim("l", 10);
        assertThat(first).hasSize(3);
        assertThat(claim("l", 10)).isEmpty();
        complete((UUID) first.get(0).get("run_id"), "a", 0, "1");
        assertThat(claim("l", 10)).hasSize(1);

        db.exec("select pgflow.set_flow_concurrency('l', null)");
        assertThat(claim("l", 10)).hasSize(6);
    }

    @Test
    void expiredLeasesDoNotHoldSlotsAndAreClaimedAgainWithinTheLimit() {
        define("select pgflow.create_flow('l')", "select pgflow.add_step('l', 'a')");
        UUID a = start("l", "{}");
        UUID b = start("l", "{}");
        start("l", "{}");
        db.exec("select pgflow.set_flow_concurrency('l', 2)");
        claim("l", 10);
        expireLeases(a);
        expireLeases(b);

        var again = claim("l", 10);

        assertThat(again).hasSize(2).allSatisfy(t -> assertThat(t.get("attempts_count")).isEqualTo(2));
        assertThat(again).extracting(t -> t.get("run_id")).containsExactlyInAnyOrder(a, b);
    }

    @Test
    void aLimitBelowOneOrOnAnUnknownFlowIsRefused() {
        define("select pgflow.create_flow('l')");
        SQLException zero = db.error("select pgflow.set_flow_concurrency('l', 0)");
        SQLException unknown = db.error("select pgflow.set_flow_concurrency('nope', 5)");
        assertThat(message(zero)).isEqualTo(
                "Flow \"l\": max_running must be at least 1, got 0 (NULL removes the limit; pgflow.pause_flow stops claiming)");
        assertThat(sqlState(zero)).isEqualTo("22023");
        assertThat(message(unknown)).isEqualTo("Flow \"nope\" does not exist");
        assertThat((Object) db.one("select max_running from pgflow.flows where flow_slug = 'l'")).isNull();
    }

    @Test
    void eightClaimingThreadsNeverExceedTheLimit() throws Exception {
        int limit = 5;
        int runs = 400;
        define("select pgflow.create_flow('l')", "select pgflow.add_step('l', 'a')");
        db.exec("select count(*) from generate_series(1, ?) g, lateral pgflow.start_flow('l', jsonb_build_object('i', g))", runs);
        db.exec("select pgflow.set_flow_concurrency('l', ?)", limit);

        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger maxSeen = new AtomicInteger();
        Set<UUID> completed = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(9);
        try {
            Future<Integer> monitor = pool.submit(() -> {
                int samples = 0;
                try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                        "select count(*) from pgflow.step_tasks where flow_slug = 'l' and status = 'started'")) {
                    while (!done.get()) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            maxSeen.accumulateAndGet(rs.getInt(1), Math::max);
                            samples++;
                        }
                    }
                }
                return samples;
            });
            List<Future<?>> claimers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                claimers.add(pool.submit(() -> {
                    UUID me = UUID.randomUUID();
                    db.exec("select pgflow.register_worker(?, 'l', 'test')", me);
                    int idle = 0;
                    while (idle < 50) {
                        var tasks = db.rows("select run_id from pgflow.claim_tasks('l', ?, 3)", me);
                        if (tasks.isEmpty()) {
                            idle = completed.size() == runs ? 50 : idle + 1;
                            Thread.sleep(2);
                            continue;
                        }
                        idle = 0;
                        Thread.sleep(ThreadLocalRandom.current().nextInt(1, 4));
                        for (var task : tasks) {
                            UUID run = (UUID) task.get("run_id");
                            db.exec("select * from pgflow.complete_task(?, 'a', 0, '1'::jsonb)", run);
                            if (!completed.add(run)) {
                                duplicates.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : claimers) {
                f.get();
            }
            done.set(true);
            assertThat(monitor.get()).isGreaterThan(10);
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertThat(completed).hasSize(runs);
        assertThat(duplicates.get()).isZero();
        assertThat(maxSeen.get()).as("the limit is reached and never exceeded").isEqualTo(limit);
        assertThat((Long) db.one("select count(*) from pgflow.runs where status = 'completed'")).isEqualTo((long) runs);
    }
}
