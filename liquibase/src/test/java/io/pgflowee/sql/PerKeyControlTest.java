package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * Concurrency keys, priorities and rate limits (issue 32): start_flow(s)' concurrency_key and
 * priority, set_key_concurrency, set_run_priority, set_rate_limit, claim_ready_at, and the claim's
 * fairness between keys.
 */
class PerKeyControlTest extends SqlEngineTest {

    private void oneStepFlow(String flow) {
        define("select pgflow.create_flow('" + flow + "', max_attempts => 3, base_delay => 0)", "select pgflow.add_step('" + flow + "', 'a')");
    }

    private UUID start(String flow, String key, int priority) {
        return db.one("select run_id from pgflow.start_flow(?, '{}'::jsonb, concurrency_key => ?, priority => ?)", flow, key, priority);
    }

    private List<String> claimedKeys(String flow, int max) {
        List<String> keys = new ArrayList<>();
        for (Map<String, Object> t : claim(flow, max)) {
            keys.add(db.one("select coalesce(concurrency_key, '-') from pgflow.runs where run_id = ?", t.get("run_id")));
        }
        return keys;
    }

    @Test
    void aRunKeepsItsKeyAndPriorityAndItsTasksInheritThem() {
        define("select pgflow.create_flow('k')", "select pgflow.add_step('k', 'a')", "select pgflow.add_step('k', 'b', deps_slugs => ARRAY['a'])");
        UUID run = start("k", "customer-7", 5);
        UUID plain = db.one("select run_id from pgflow.start_flow('k', '{}'::jsonb, null, 'idem-1')");

        assertThat(db.row("select concurrency_key, priority from pgflow.runs where run_id = ?", run))
                .containsEntry("concurrency_key", "customer-7").containsEntry("priority", 5);
        assertThat(db.row("select concurrency_key, priority from pgflow.runs where run_id = ?", plain))
                .containsEntry("concurrency_key", null).containsEntry("priority", 0);
        assertThat(db.row("select concurrency_key, priority from pgflow.step_tasks where run_id = ?", run))
                .containsEntry("concurrency_key", "customer-7").containsEntry("priority", 5);

        var first = claim("k", 10);
        assertThat(first).extracting(t -> t.get("run_id")).containsExactly(run, plain);
        complete(run, "a", 0, "1");
        assertThat(db.row("select concurrency_key, priority, status from pgflow.step_tasks where run_id = ? and step_slug = 'b'", run))
                .containsEntry("concurrency_key", "customer-7").containsEntry("priority", 5).containsEntry("status", "queued");
    }

    @Test
    void startFlowsTakesOneKeyAndPriorityPerInputAndBadValuesAreRefusedNamingTheItem() {
        oneStepFlow("k");
        List<Map<String, Object>> items = db.rows("select item, run_id from pgflow.start_flows('k', array['{}','{}','{}']::jsonb[], null,"
                + " array['x', null, 'y'], array[1, null, -2])");
        assertThat(db.rows("select r.concurrency_key, r.priority, t.concurrency_key as task_key from pgflow.runs r"
                + " join pgflow.step_tasks t using (run_id) where r.run_id = any(?) order by r.started_at, r.priority desc",
                array("uuid", items.stream().map(i -> i.get("run_id")).toArray())))
                .extracting(r -> r.get("concurrency_key") + "/" + r.get("priority") + "/" + r.get("task_key"))
                .containsExactlyInAnyOrder("x/1/x", "null/0/", "y/-2/y");

        SQLException empty = db.error("select pgflow.start_flow('k', '{}', concurrency_key => '')");
        SQLException high = db.error("select pgflow.start_flow('k', '{}', priority => 101)");
        SQLException low = db.error("select pgflow.start_flow('k', '{}', priority => -101)");
        SQLException long201 = db.error("select pgflow.start_flow('k', '{}', concurrency_key => repeat('x', 201))");
        SQLException item = db.error("select pgflow.start_flows('k', array['{}','{}']::jsonb[], null, null, array[0, 200])");
        SQLException length = db.error("select pgflow.start_flows('k', array['{}','{}']::jsonb[], null, array['a'])");
        assertThat(message(empty)).isEqualTo("Flow \"k\": concurrency_key must not be empty (pass NULL for a run without a key)");
        assertThat(message(high)).isEqualTo("Flow \"k\": priority must be between -100 and 100 (higher runs first), got 101");
        assertThat(message(low)).isEqualTo("Flow \"k\": priority must be between -100 and 100 (higher runs first), got -101");
        assertThat(message(long201)).isEqualTo("Flow \"k\": concurrency_key is 201 characters long; at most 200 are allowed");
        assertThat(message(item)).isEqualTo("Flow \"k\", item 2: priority must be between -100 and 100 (higher runs first), got 200");
        assertThat(message(length)).isEqualTo("Flow \"k\": concurrency_keys has 1 elements but inputs has 2; give one (or NULL) per input");
        assertThat(List.of(empty, high, low, long201, item, length)).extracting(e -> sqlState(e)).containsOnly("22023");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(3L);
    }

    @Test
    void higherPriorityIsClaimedFirstAndSetRunPriorityExpeditesARun() {
        oneStepFlow("p");
        UUID normal = start("p", null, 0);
        UUID low = start("p", null, -3);
        UUID high = start("p", null, 10);
        UUID mid = start("p", null, 5);
        UUID later = start("p", null, 0);

        assertThat(db.row("select run_id, priority from pgflow.set_run_priority(?, 50)", later)).containsEntry("priority", 50);
        List<Object> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            order.add(claim("p", 1).get(0).get("run_id"));
        }
        assertThat(order).containsExactly(later, high, mid, normal, low);

        SQLException range = db.error("select pgflow.set_run_priority(?, 101)", low);
        SQLException unknown = db.error("select pgflow.set_run_priority('00000000-0000-0000-0000-000000000001', 1)");
        assertThat(message(range)).isEqualTo("Run " + low + ": priority must be between -100 and 100 (higher runs first), got 101");
        assertThat(sqlState(range)).isEqualTo("22023");
        assertThat(sqlState(unknown)).isEqualTo("P0002");
    }

    @Test
    void priorityOrdersTheKeysTooAndAKeysTaskIsRaisedWithItsRun() {
        oneStepFlow("p");
        start("p", "a", 0);
        start("p", "a", 0);
        UUID b = start("p", "b", 0);
        start("p", "c", 0);
        db.exec("select pgflow.set_run_priority(?, 7)", b);

        assertThat(claimedKeys("p", 1)).containsExactly("b");
        assertThat(claimedKeys("p", 2)).as("one task of each key before a second of any").containsExactlyInAnyOrder("a", "c");
    }

    @Test
    void aKeyWithTenThousandQueuedTasksDelaysAnotherKeysSingleTaskByAtMostOneClaim() {
        oneStepFlow("f");
        db.exec("select count(*) from pgflow.start_flows('f', array_fill('{}'::jsonb, array[10000]), null, array_fill('big'::text, array[10000]))");
        UUID small = start("f", "small", 0);

        List<String> first = claimedKeys("f", 1);
        List<String> second = claimedKeys("f", 1);
        assertThat(first.get(0).equals("small") || second.get(0).equals("small")).as("first %s, second %s", first, second).isTrue();
        assertThat(db.<String>one("select status from pgflow.step_tasks where run_id = ?", small)).isEqualTo("started");

        UUID other = start("f", "other", 0);
        UUID keyless = start("f", null, 0);
        List<String> batch = claimedKeys("f", 10);
        assertThat(batch).hasSize(10).contains("other", "-");
        assertThat(batch.stream().filter("big"::equals).count()).isEqualTo(8);
        assertThat(db.<String>one("select status from pgflow.step_tasks where run_id = ?", other)).isEqualTo("started");
        assertThat(db.<String>one("select status from pgflow.step_tasks where run_id = ?", keyless)).isEqualTo("started");
    }

    @Test
    void aKeysSlotIsFreedByCompletionFailureTimeoutAndCancelAndKeylessRunsAreNotLimited() {
        oneStepFlow("s");
        assertThat((Integer) db.one("select max_running_per_key from pgflow.set_key_concurrency('s', 1)")).isEqualTo(1);
        UUID a1 = start("s", "a", 0);
        UUID a2 = start("s", "a", 0);
        UUID a3 = start("s", "a", 0);
        UUID a4 = start("s", "a", 0);
        UUID a5 = start("s", "a", 0);
        UUID free1 = start("s", null, 0);
        UUID free2 = start("s", null, 0);

        assertThat(claim("s", 10)).extracting(t -> t.get("run_id")).containsExactlyInAnyOrder(a1, free1, free2);
        assertThat(claim("s", 10)).isEmpty();

        complete(a1, "a", 0, "1"); // completion
        assertThat(claim("s", 10)).extracting(t -> t.get("run_id")).containsExactly(a2);

        assertThat(fail(a2, "a", 0, "boom")).containsEntry("status", "queued"); // failure (retried later): the slot is free
        assertThat(claim("s", 10)).extracting(t -> t.get("run_id")).containsExactly(a3);

        expireLeases(a3); // an expired lease with attempts left keeps the slot and is claimed again first
        assertThat(claim("s", 10)).extracting(t -> t.get("run_id")).containsExactly(a3);
        expireLeases(a3);
        assertThat(claim("s", 10)).extracting(t -> t.get("run_id")).containsExactly(a3);
        assertThat(task(a3, "a", 0)).containsEntry("attempts_count", 3);
        expireLeases(a3); // on its last attempt: the claim fails it (timeout) and the slot goes to the next task
        assertThat(claim("s", 10)).extracting(t -> t.get("run_id")).containsExactly(a4);
        assertThat(task(a3, "a", 0)).containsEntry("status", "failed");

        cancel(a4, "no longer needed"); // cancel
        assertThat(claim("s", 10)).extracting(t -> t.get("run_id")).containsExactly(a5);

        db.exec("select pgflow.set_key_concurrency('s', null)");
        var retried = claim("s", 10);
        assertThat(retried).extracting(t -> t.get("run_id")).containsExactly(a2);
        assertThat(retried.get(0)).containsEntry("attempts_count", 2);
        assertThat(db.<String>one("select concurrency_key from pgflow.step_tasks where run_id = ?", a2)).as("a retry keeps its key").isEqualTo("a");

        SQLException zero = db.error("select pgflow.set_key_concurrency('s', 0)");
        SQLException unknown = db.error("select pgflow.set_key_concurrency('nope', 1)");
        assertThat(message(zero)).isEqualTo("Flow \"s\": max_running_per_key must be at least 1, got 0 (NULL removes the limit)");
        assertThat(sqlState(zero)).isEqualTo("22023");
        assertThat(message(unknown)).isEqualTo("Flow \"nope\" does not exist");
    }

    @Test
    void theFlowLimitStillAppliesOnTopOfTheKeyLimit() {
        oneStepFlow("s");
        db.exec("select pgflow.set_key_concurrency('s', 2)");
        db.exec("select pgflow.set_flow_concurrency('s', 3)");
        for (String key : List.of("a", "a", "a", "b", "b", "b")) {
            start("s", key, 0);
        }
        assertThat(claimedKeys("s", 10)).hasSize(3).containsOnly("a", "b");
        assertThat(claim("s", 10)).isEmpty();
    }

    @Test
    void eightClaimingThreadsNeverExceedTheLimitOfAnyKey() throws Exception {
        int limit = 2;
        int runs = 300;
        oneStepFlow("l");
        db.exec("select count(*) from pgflow.start_flows('l', array_fill('{}'::jsonb, array[?]), null,"
                + " array(select 'k' || (g % 6) from generate_series(1, ?) g))", runs, runs);
        db.exec("select pgflow.set_key_concurrency('l', ?)", limit);

        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger maxSeen = new AtomicInteger();
        Set<UUID> completed = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(9);
        try {
            Future<Integer> monitor = pool.submit(() -> {
                int samples = 0;
                try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                        "select coalesce(max(n), 0) from (select count(*) n from pgflow.step_tasks"
                                + " where flow_slug = 'l' and status = 'started' group by concurrency_key) x")) {
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
                            if (ThreadLocalRandom.current().nextInt(10) == 0
                                    && db.<Integer>one("select attempts_count from pgflow.step_tasks where run_id = ?", run) == 1) {
                                db.exec("select * from pgflow.fail_task(?, 'a', 0, 'flaky')", run);
                                continue;
                            }
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
        assertThat(maxSeen.get()).as("the limit of each key is reached and never exceeded").isEqualTo(limit);
        assertThat((Long) db.one("select count(*) from pgflow.runs where status = 'completed'")).isEqualTo((long) runs);
    }

    @Test
    void aRateLimitHoldsItsRateOverTenSecondsAfterItsBurstAcrossEightClaimers() throws Exception {
        oneStepFlow("r");
        db.exec("select count(*) from pgflow.start_flows('r', array_fill('{}'::jsonb, array[1000]))");
        Map<String, Object> flow = db.row("select rate_per_second, rate_burst, rate_per_key from pgflow.set_rate_limit('r', 20, 5)");
        assertThat(flow).containsEntry("rate_burst", 5).containsEntry("rate_per_key", false);
        assertThat((BigDecimal) flow.get("rate_per_second")).isEqualByComparingTo("20");

        assertThat(claim("r", 50)).as("a full bucket: the burst").hasSize(5);

        long began = System.nanoTime();
        AtomicInteger claimed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> claimers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                claimers.add(pool.submit(() -> {
                    UUID me = UUID.randomUUID();
                    db.exec("select pgflow.register_worker(?, 'r', 'test')", me);
                    while (System.nanoTime() - began < 10_000_000_000L) {
                        claimed.addAndGet(db.rows("select run_id from pgflow.claim_tasks('r', ?, 10)", me).size());
                        Thread.sleep(5);
                    }
                    return null;
                }));
            }
            for (Future<?> f : claimers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        double rate = claimed.get() / seconds;
        assertThat(rate).as("%s tasks in %.2f s", claimed.get(), seconds).isBetween(18.0, 22.0);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where status = 'started'")).isEqualTo(5L + claimed.get());
    }

    @Test
    void aRateLimitPerKeyGivesEveryKeyItsOwnBucketAndLeavesKeylessRunsAlone() {
        oneStepFlow("r");
        for (String key : List.of("a", "a", "a", "b", "b", "b")) {
            start("r", key, 0);
        }
        start("r", null, 0);
        start("r", null, 0);
        start("r", null, 0);
        Map<String, Object> flow = db.row("select rate_burst, rate_per_key from pgflow.set_rate_limit('r', 0.5, per_key => true)");
        assertThat(flow).containsEntry("rate_burst", 1).containsEntry("rate_per_key", true);

        assertThat(claimedKeys("r", 10)).containsExactlyInAnyOrder("a", "b", "-", "-", "-");
        assertThat(claim("r", 10)).isEmpty();
        assertThat(db.<Boolean>one("select pgflow.claim_ready_at('r') between clock_timestamp() + interval '1 s'"
                + " and clock_timestamp() + interval '2 s'")).isTrue();

        db.exec("select pgflow.set_rate_limit('r', null)");
        assertThat(db.row("select rate_per_second, rate_burst, rate_per_key from pgflow.flows where flow_slug = 'r'"))
                .containsEntry("rate_per_second", null).containsEntry("rate_burst", null).containsEntry("rate_per_key", false);
        assertThat(claimedKeys("r", 10)).containsExactlyInAnyOrder("a", "a", "b", "b");
        assertThat((Object) db.one("select pgflow.claim_ready_at('r')")).isNull();

        SQLException zero = db.error("select pgflow.set_rate_limit('r', 0)");
        SQLException burst = db.error("select pgflow.set_rate_limit('r', 1, 0)");
        assertThat(message(zero)).isEqualTo(
                "Flow \"r\": per_second must be above 0, got 0 (NULL removes the rate limit; pgflow.pause_flow stops claiming)");
        assertThat(message(burst)).isEqualTo("Flow \"r\": burst must be at least 1, got 0 (NULL: per_second rounded up)");
        assertThat(List.of(zero, burst)).extracting(e -> sqlState(e)).containsOnly("22023");
    }

    @Test
    void aKeyLeftIdleByARacingClaimIsWokenByTick() {
        oneStepFlow("w");
        UUID run = start("w", "a", 0);
        assertThat(claim("w", 1)).hasSize(1);
        complete(run, "a", 0, "1");
        assertThat(claim("w", 1)).isEmpty();
        assertThat(db.<Boolean>one("select idle from pgflow_internal.concurrency_keys where flow_slug = 'w' and concurrency_key = 'a'"))
                .as("a key with nothing queued or running").isTrue();

        UUID next = start("w", "a", 0); // queued normally: the key wakes up at once
        assertThat(db.<Boolean>one("select idle from pgflow_internal.concurrency_keys where concurrency_key = 'a'")).isFalse();
        db.exec("update pgflow_internal.concurrency_keys set idle = true where concurrency_key = 'a'"); // as after the race
        assertThat(claim("w", 1)).isEmpty();
        assertThat(db.<String>one("select pgflow.tick() ->> 'keys_woken'")).isEqualTo("1");
        assertThat(claim("w", 1)).extracting(t -> t.get("run_id")).containsExactly(next);
    }

    @Test
    void tickAndTheClaimOfAKeyedFlowReadTheQueueByIndexHoweverManyTasksWait() throws Exception {
        oneStepFlow("big");
        oneStepFlow("w");
        db.exec("select count(*) from pgflow.start_flows('big', array_fill('{}'::jsonb, array[3000]))");
        UUID run = start("w", "a", 0);
        claim("w", 1);
        complete(run, "a", 0, "1");
        claim("w", 1); // key a goes idle: tick() looks at it
        db.exec("analyze pgflow.step_tasks");
        try (Connection c = io.pgflowee.testing.PgflowDatabaseExtension.newConnection(); var st = c.createStatement()) {
            st.execute("select pgflow.tick()"); // plans and caches its statements
            long before = seqScans(st);
            st.execute("select pgflow.tick()");
            st.execute("select count(*) from pgflow.claim_tasks('w', '" + worker + "', 5)");
            assertThat(seqScans(st) - before).as("sequential scans of step_tasks by tick() and a keyed claim").isZero();
        }
    }

    private static long seqScans(java.sql.Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("select seq_scan from pg_stat_xact_user_tables where relname = 'step_tasks'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aChildRunInheritsItsParentsKeyAndPriority() {
        oneStepFlow("child");
        define("select pgflow.create_flow('parent')", "select pgflow.add_step('parent', 'sub', step_type => 'subflow', subflow_slug => 'child')");
        UUID parent = start("parent", "tenant-1", 9);
        claim("parent", 1);
        complete(parent, "sub", 0, "{}");
        assertThat(db.row("select concurrency_key, priority from pgflow.runs where parent_run_id = ?", parent))
                .containsEntry("concurrency_key", "tenant-1").containsEntry("priority", 9);
    }
}
