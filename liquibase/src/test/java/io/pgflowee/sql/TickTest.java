package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * pgflow.tick(): expired signal waits fail or skip their step as when_exhausted says, with the
 * wait in the message; retry waits again; a cancelled wait is not touched; a run another
 * transaction holds is deferred, so concurrent ticks apply each deadline once and wait for
 * nobody; the cost does not grow with waits that are not due.
 */
class TickTest extends SqlEngineTest {

    private static final String NOTHING = "{\"ms\": 0, \"more\": false, \"deferred\": 0, \"keys_woken\": 0, \"runs_failed\": 0, \"waits_expired\": 0, \"schedule_errors\": 0, \"schedules_fired\": 0, \"partitions_created\": 0, \"subflows_timed_out\": 0}";

    /** review (task) -> approve (signal, 1 h, when_exhausted as given) -> ship (task). */
    private void approvalFlow(String slug, String whenExhausted) {
        db.exec("select pgflow.create_flow(?, timeout => 60)", slug);
        db.exec("select pgflow.add_step(?, 'review')", slug);
        db.exec("select pgflow.add_step(?, 'approve', ARRAY['review'], step_type => 'signal', timeout => 3600, when_exhausted => ?)",
                slug, whenExhausted);
        db.exec("select pgflow.add_step(?, 'ship', ARRAY['approve'])", slug);
    }

    /** Starts a run and completes its review: approve waits. */
    private UUID waitingRun(String slug) {
        UUID run = start(slug, "{}");
        claim(slug, 5);
        complete(run, "review", 0, "{\"total\": 10}");
        assertThat(step(run, "approve")).containsEntry("status", "started");
        return run;
    }

    /** Moves the wait's start and deadline back so that the deadline passed a second ago: the message keeps the timeout. */
    private String expire(UUID run, String step) {
        db.exec("update pgflow.step_states set created_at = created_at - (wait_deadline - now()) - interval '1 s',"
                + " started_at = started_at - (wait_deadline - now()) - interval '1 s', wait_deadline = now() - interval '1 s'"
                + " where run_id = ? and step_slug = ?", run, step);
        return db.one("select to_char(wait_deadline at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') from pgflow.step_states"
                + " where run_id = ? and step_slug = ?", run, step);
    }

    /** tick()'s summary without its duration. */
    private String tick() {
        return db.one("select (pgflow.tick() || '{\"ms\": 0}')::text");
    }

    private static String summary(int expired, int runsFailed, int deferred) {
        return "{\"ms\": 0, \"more\": false, \"deferred\": " + deferred + ", \"keys_woken\": 0, \"runs_failed\": " + runsFailed + ", \"waits_expired\": "
                + expired + ", \"schedule_errors\": 0, \"schedules_fired\": 0, \"partitions_created\": 0, \"subflows_timed_out\": 0}";
    }

    @Test
    void anExpiredWaitFailsTheStepAndTheRunSaysHowLongItWaitedAndRetryWaitsAgainWithAFreshDeadline() {
        approvalFlow("approval", "fail");
        UUID run = waitingRun("approval");
        assertThat(tick()).as("the deadline is an hour away").isEqualTo(NOTHING);

        String deadline = expire(run, "approve");
        assertThat(tick()).isEqualTo(summary(1, 1, 0));
        assertThat(step(run, "approve")).containsEntry("status", "failed")
                .containsEntry("error_message", "waited 3600 s for a signal, none came (deadline " + deadline + ")");
        assertThat(run(run)).containsEntry("status", "failed").containsEntry("remaining_steps", 2);
        assertThat(tick()).as("applied once").isEqualTo(NOTHING);
        assertThat((String) db.one("select pgflow.send_signal(?, 'approve', '{}')", run)).as("the run failed").isEqualTo("ignored");

        assertThat(retry(run)).containsEntry("status", "started").containsEntry("retry_count", 1);
        Map<String, Object> again = db.row("select status, error_message, signal_at, wait_deadline between now() + interval '3599 s'"
                + " and now() + interval '3601 s' as fresh_deadline from pgflow.step_states where run_id = ? and step_slug = 'approve'", run);
        assertThat(again).containsEntry("status", "started").containsEntry("fresh_deadline", true).containsEntry("error_message", null)
                .containsEntry("signal_at", null);
        assertThat(tick()).isEqualTo(NOTHING);
        assertThat((String) db.one("select pgflow.send_signal(?, 'approve', '{\"ok\": true}')", run)).isEqualTo("delivered");
        assertThat(claim("approval", 5)).extracting(t -> t.get("step_slug"), t -> t.get("input"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ship", "{\"approve\": {\"ok\": true}}"));
    }

    @Test
    void whenExhaustedSkipLetsTheDependentsRunAndSkipCascadeSkipsThemAndCompletesTheRun() {
        approvalFlow("optional", "skip");
        approvalFlow("gate", "skip-cascade");
        UUID optional = waitingRun("optional");
        UUID gate = waitingRun("gate");
        String optionalDeadline = expire(optional, "approve");
        expire(gate, "approve");

        assertThat(tick()).isEqualTo(summary(2, 0, 0));
        assertThat(step(optional, "approve")).containsEntry("status", "skipped").containsEntry("skip_reason", "handler_failed")
                .containsEntry("error_message", "waited 3600 s for a signal, none came (deadline " + optionalDeadline + ")");
        assertThat(run(optional)).containsEntry("status", "started").containsEntry("remaining_steps", 1);
        assertThat(claim("optional", 5)).as("ship runs without the signal").extracting(t -> t.get("step_slug"), t -> t.get("input"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ship", "{}"));

        assertThat(step(gate, "approve")).containsEntry("status", "skipped").containsEntry("skip_reason", "handler_failed");
        assertThat(step(gate, "ship")).containsEntry("status", "skipped").containsEntry("skip_reason", "dependency_skipped");
        assertThat(run(gate)).containsEntry("status", "completed").containsEntry("remaining_steps", 0);
    }

    @Test
    void aCancelledOrSignalledWaitIsNotTouchedByItsOldDeadline() {
        approvalFlow("approval", "fail");
        UUID cancelled = waitingRun("approval");
        UUID signalled = waitingRun("approval");
        expire(cancelled, "approve");
        cancel(cancelled, "not needed");
        db.exec("update pgflow.step_states set wait_deadline = now() - interval '1 s' where run_id = ? and step_slug = 'approve'",
                signalled);
        assertThat((String) db.one("select pgflow.send_signal(?, 'approve', '{}')", signalled)).isEqualTo("delivered");

        assertThat(tick()).isEqualTo(NOTHING);
        assertThat(step(cancelled, "approve")).containsEntry("status", "cancelled").containsEntry("error_message", null);
        assertThat(run(cancelled)).containsEntry("status", "cancelled");
        assertThat(step(signalled, "approve")).containsEntry("status", "completed");
    }

    @Test
    void aRunAnotherTransactionHoldsIsDeferredWithoutWaitingAndConcurrentTicksApplyEachDeadlineOnce() throws Exception {
        approvalFlow("approval", "fail");
        List<UUID> held = List.of(waitingRun("approval"), waitingRun("approval"));
        UUID free = waitingRun("approval");
        held.forEach(r -> expire(r, "approve"));
        expire(free, "approve");
        try (Connection other = db.dataSource().getConnection(); Statement st = other.createStatement();
             Connection ticker = db.dataSource().getConnection(); Statement tick = ticker.createStatement()) {
            other.setAutoCommit(false);
            st.execute("select 1 from pgflow.runs where run_id in ('" + held.get(0) + "', '" + held.get(1) + "') for update");
            tick.execute("set statement_timeout = '5s'"); // a tick that waited for the lock would fail instead of deferring
            try (ResultSet rs = tick.executeQuery("select (pgflow.tick() || '{\"ms\": 0}')::text")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(summary(1, 1, 2));
            }
            tick.execute("reset statement_timeout");
            other.rollback();
        }
        assertThat(run(free)).containsEntry("status", "failed");
        held.forEach(r -> assertThat(run(r)).containsEntry("status", "started"));
        assertThat(tick()).isEqualTo(summary(2, 2, 0));

        // 4 ticks racing over 80 due waits: every deadline applied exactly once
        List<UUID> racing = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            racing.add(waitingRun("approval"));
        }
        db.exec("update pgflow.step_states set wait_deadline = now() - interval '1 s' where step_slug = 'approve' and status = 'started'");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> tickers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tickers.add(pool.submit(() -> {
                    int expired = 0;
                    int calls = 0;
                    while (db.<Long>one("select count(*) from pgflow.step_states where step_slug = 'approve' and status = 'started'") > 0) {
                        Map<String, Object> s = db.row("select (t->>'waits_expired')::int as expired from pgflow.tick() t");
                        expired += (Integer) s.get("expired");
                        calls++;
                    }
                    return new int[] {expired, calls};
                }));
            }
            int total = 0;
            for (Future<int[]> f : tickers) {
                total += f.get()[0];
            }
            assertThat(total).isEqualTo(80);
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.<Long>one("select count(*) from pgflow.runs where status = 'failed'")).isEqualTo(83L);
        assertThat(db.<Long>one("select count(*) from pgflow.step_states where step_slug = 'approve' and status = 'failed'"
                + " and error_message like 'waited % s for a signal, none came (deadline %)'")).isEqualTo(83L);
    }

    @Test
    void aTickReadsTheDueWaitsOnlyHoweverManyRunsWaitWithoutADueDeadline() throws Exception {
        db.exec("select pgflow.create_flow('webhook')");
        db.exec("select pgflow.add_step('webhook', 'paid', step_type => 'signal', timeout => 86400)");
        db.exec("select pgflow.add_step('webhook', 'receipt', ARRAY['paid'])");
        db.exec("select pgflow.create_flow('forever')");
        db.exec("select pgflow.add_step('forever', 'paid', step_type => 'signal')");
        db.exec("select count(*) from pgflow.start_flows('webhook', (select array_agg('{}'::jsonb) from generate_series(1, 3000)))");
        db.exec("select count(*) from pgflow.start_flows('forever', (select array_agg('{}'::jsonb) from generate_series(1, 3000)))");
        db.exec("update pgflow.step_states set wait_deadline = now() - interval '1 s' where run_id in"
                + " (select run_id from pgflow.runs where flow_slug = 'webhook' order by run_id limit 5) and step_slug = 'paid'");
        db.exec("ANALYZE pgflow.runs, pgflow.step_states, pgflow.step_tasks");
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            Map<String, long[]> before = stats(st);
            String summary;
            try (ResultSet rs = st.executeQuery("select (pgflow.tick() || '{\"ms\": 0}')::text")) {
                rs.next();
                summary = rs.getString(1);
            }
            Map<String, long[]> after = stats(st);
            c.commit();
            assertThat(summary).isEqualTo(summary(5, 5, 0));
            assertThat(after.get("step_states")[0] - before.get("step_states")[0]).as("sequential scans of step_states").isZero();
            // 6,000 runs wait, 5 are due: the tick reads those 5 (and each of their runs' states) through the partial index
            assertThat(after.get("step_states")[1] - before.get("step_states")[1]).as("step_states rows fetched").isLessThan(100L);
        }
    }

    /** seq_scan and idx_tup_fetch of pg_stat_xact_user_tables per engine table in this transaction. */
    private static Map<String, long[]> stats(Statement st) throws Exception {
        Map<String, long[]> values = new java.util.HashMap<>();
        try (ResultSet rs = st.executeQuery("SELECT relname, seq_scan, idx_tup_fetch FROM pg_stat_xact_user_tables"
                + " WHERE schemaname = 'pgflow' AND relname IN ('runs', 'step_states', 'step_tasks')")) {
            while (rs.next()) {
                values.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
            }
        }
        values.putIfAbsent("step_states", new long[] {0, 0});
        return values;
    }
}
