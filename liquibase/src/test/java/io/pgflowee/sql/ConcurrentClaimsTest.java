package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * Eight claimers against one queue: every task of 1,000 three-step runs completes exactly once,
 * and no claim ever returns a task that another thread holds.
 */
class ConcurrentClaimsTest extends SqlEngineTest {

    private static final int RUNS = 1000;
    private static final int THREADS = 8;

    @Test
    void eightThreadsCompleteEveryTaskExactlyOnce() throws Exception {
        define("select pgflow.create_flow('chain')", "select pgflow.add_step('chain', 's1')",
               "select pgflow.add_step('chain', 's2', ARRAY['s1'])", "select pgflow.add_step('chain', 's3', ARRAY['s2'])");
        for (int i = 0; i < RUNS; i += 100) {
            db.exec("select count(*) from generate_series(1, 100) g, lateral pgflow.start_flow('chain', jsonb_build_object('i', g))");
        }

        Set<String> held = ConcurrentHashMap.newKeySet();
        Set<String> completedOnce = ConcurrentHashMap.newKeySet();
        AtomicInteger doubleClaims = new AtomicInteger();
        AtomicInteger duplicateCompletions = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            results.add(pool.submit(() -> {
                UUID me = UUID.randomUUID();
                int done = 0;
                int emptyInARow = 0;
                try (Connection c = db.dataSource().getConnection();
                     PreparedStatement claim = c.prepareStatement(
                             "select run_id, step_slug, task_index from pgflow.claim_tasks('chain', ?, 5)");
                     PreparedStatement complete = c.prepareStatement(
                             "select status from pgflow.complete_task(?, ?, ?, '\"ok\"'::jsonb)")) {
                    c.createStatement().execute("select pgflow.register_worker('" + me + "', 'chain', 'test')");
                    claim.setObject(1, me);
                    while (emptyInARow < 20) {
                        List<Object[]> batch = new ArrayList<>();
                        try (ResultSet rs = claim.executeQuery()) {
                            while (rs.next()) {
                                batch.add(new Object[] {rs.getObject(1), rs.getString(2), rs.getInt(3)});
                            }
                        }
                        if (batch.isEmpty()) {
                            emptyInARow++;
                            Thread.sleep(20);
                            continue;
                        }
                        emptyInARow = 0;
                        for (Object[] task : batch) {
                            String key = task[0] + "/" + task[1] + "/" + task[2];
                            if (!held.add(key)) {
                                doubleClaims.incrementAndGet();
                            }
                            complete.setObject(1, task[0]);
                            complete.setString(2, (String) task[1]);
                            complete.setInt(3, (Integer) task[2]);
                            try (ResultSet rs = complete.executeQuery()) {
                                rs.next();
                            }
                            held.remove(key);
                            if (!completedOnce.add(key)) {
                                duplicateCompletions.incrementAndGet();
                            }
                            done++;
                        }
                    }
                }
                return done;
            }));
        }
        int total = 0;
        for (Future<Integer> f : results) {
            total += f.get(5, TimeUnit.MINUTES);
        }
        pool.shutdown();

        assertThat(doubleClaims.get()).isZero();
        assertThat(duplicateCompletions.get()).isZero();
        assertThat(total).isEqualTo(RUNS * 3);
        assertThat(db.rows("select status, count(*) as n from pgflow.runs group by status"))
                .containsExactly(Map.of("status", "completed", "n", (long) RUNS));
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where status = 'completed' and attempts_count = 1"))
                .isEqualTo(RUNS * 3L);
        assertThat((Long) db.one("select count(*) from pgflow.runs where output = '{\"s3\": \"ok\"}'")).isEqualTo((long) RUNS);
    }
}
