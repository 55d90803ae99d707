package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** start_flow(..., idempotency_key): one run per key and flow, however often or concurrently it is asked for. */
class IdempotentStartTest extends SqlEngineTest {

    private void defineFlows() {
        define("select pgflow.create_flow('f')", "select pgflow.add_step('f', 'a')",
               "select pgflow.create_flow('g')", "select pgflow.add_step('g', 'a')");
    }

    private UUID startWithKey(String flow, String input, String key) {
        return db.one("select run_id from pgflow.start_flow(flow_slug => ?, input => ?::jsonb, idempotency_key => ?)",
                flow, input, key);
    }

    @Test
    void aRepeatedKeyReturnsTheExistingRunAndStartsNothing() {
        defineFlows();
        UUID first = startWithKey("f", "{\"x\": 1}", "order-1");

        UUID second = startWithKey("f", "{\"x\": 1}", "order-1");

        assertThat(second).isEqualTo(first);
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(1L);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks")).isEqualTo(1L);
        assertThat(run(first)).containsEntry("idempotency_key", "order-1");
    }

    @Test
    void aCallerTellsARepeatFromANewStartByStartedAtBeingBeforeNow() {
        defineFlows();
        Boolean fresh = db.one("select r.started_at = now() from pgflow.start_flow('f', '{}'::jsonb, null, 'k') r");
        Boolean repeat = db.one("select r.started_at = now() from pgflow.start_flow('f', '{}'::jsonb, null, 'k') r");
        assertThat(fresh).isTrue();
        assertThat(repeat).isFalse();
    }

    @Test
    void theSameKeyWithAnotherInputFailsNamingTheKeyAndTheExistingRun() {
        defineFlows();
        UUID first = startWithKey("f", "{\"x\": 1}", "order-1");

        SQLException e = db.error("select * from pgflow.start_flow('f', '{\"x\": 2}'::jsonb, idempotency_key => 'order-1')");

        assertThat(message(e)).isEqualTo("Idempotency key \"order-1\" of flow \"f\" was already used by run " + first
                + " with a different input");
        assertThat(sqlState(e)).isEqualTo("23505");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(1L);
    }

    @Test
    void keysBelongToOneFlow() {
        defineFlows();
        UUID inF = startWithKey("f", "{}", "shared");
        UUID inG = startWithKey("g", "{}", "shared");
        assertThat(inG).isNotEqualTo(inF);
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(2L);
    }

    @Test
    void anEmptyKeyOrOneOver200CharactersIsRefused() {
        defineFlows();
        SQLException e = db.error("select * from pgflow.start_flow('f', '{}'::jsonb, null, '')");
        assertThat(message(e)).isEqualTo("Flow \"f\": idempotency_key must not be empty (pass NULL for a start without a key)");
        assertThat(sqlState(e)).isEqualTo("22023");
        SQLException tooLong = db.error("select * from pgflow.start_flow('f', '{}'::jsonb, null, repeat('k', 201))");
        assertThat(message(tooLong)).isEqualTo("Flow \"f\": idempotency_key is 201 characters long; at most 200 are allowed");
        assertThat(startWithKey("f", "{}", "k".repeat(200))).isNotNull();
    }

    @Test
    void theSeedsCallsWithoutAKeyStillWork() {
        defineFlows();
        UUID named = db.one("select run_id from pgflow.start_flow(flow_slug => 'f', input => '{\"a\": 1}'::jsonb)");
        UUID positional = db.one("select run_id from pgflow.start_flow('f', '{}'::jsonb)");
        UUID chosen = UUID.randomUUID();
        UUID withId = db.one("select run_id from pgflow.start_flow('f', '{}'::jsonb, ?)", chosen);
        assertThat(named).isNotEqualTo(positional);
        assertThat(withId).isEqualTo(chosen);
        assertThat((Long) db.one("select count(*) from pgflow.runs where idempotency_key is null")).isEqualTo(3L);
    }

    @Test
    void startFlowWithStatesTakesTheKeyToo() {
        defineFlows();
        String first = db.one("select pgflow.start_flow_with_states('f', '{}'::jsonb, null, 'k')->'run'->>'run_id'");
        String second = db.one("select pgflow.start_flow_with_states(flow_slug => 'f', input => '{}'::jsonb, idempotency_key => 'k')"
                + "->'run'->>'run_id'");
        assertThat(second).isEqualTo(first);
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(1L);
    }

    @Test
    void eightThreadsStartingWithOneKeyCreateExactlyOneRun() throws Exception {
        defineFlows();
        int threads = 8;
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<UUID>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    together.await();
                    return startWithKey("f", "{\"n\": 7}", "race");
                }));
            }
            List<UUID> ids = new ArrayList<>();
            for (Future<UUID> f : results) {
                ids.add(f.get());
            }
            assertThat(ids).hasSize(threads).containsOnly(ids.get(0));
        } finally {
            pool.shutdownNow();
        }
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(1L);
        assertThat((Long) db.one("select count(*) from pgflow.step_states")).isEqualTo(1L);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks")).isEqualTo(1L);
    }
}
