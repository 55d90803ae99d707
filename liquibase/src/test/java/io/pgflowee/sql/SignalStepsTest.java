package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * Signal steps: no task, they wait for pgflow.send_signal; delivered, buffered (a signal before the
 * wait), ignored (twice, skipped, run ended), by idempotency key, concurrent senders, and refusals.
 */
class SignalStepsTest extends SqlEngineTest {

    /** review (task) -> approval (signal, 1 h) -> ship (task). */
    private void approvalFlow() {
        db.exec("select pgflow.create_flow('approval', timeout => 60)");
        db.exec("select pgflow.add_step('approval', 'review')");
        db.exec("select pgflow.add_step('approval', 'approve', ARRAY['review'], step_type => 'signal', timeout => 3600)");
        db.exec("select pgflow.add_step('approval', 'ship', ARRAY['approve'])");
    }

    private String send(UUID run, String step, String payload) {
        return db.one("select pgflow.send_signal(?, ?, ?::jsonb)", run, step, payload);
    }

    @Test
    void aSignalStepWaitsWithoutATaskAndTheSignalCompletesItAndStartsItsDependents() {
        approvalFlow();
        UUID run = start("approval", "{\"order\": 1}");
        assertThat(claim("approval", 5)).extracting(t -> t.get("step_slug")).containsExactly("review");
        complete(run, "review", 0, "{\"total\": 120}");

        Map<String, Object> waiting = db.row("select status, remaining_tasks, wait_deadline between now() + interval '3599 s'"
                + " and now() + interval '3601 s' as deadline_in_an_hour, output from pgflow.step_states where run_id = ? and step_slug = 'approve'",
                run);
        assertThat(waiting).containsEntry("status", "started").containsEntry("remaining_tasks", 1).containsEntry("deadline_in_an_hour", true);
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'approve'", run))
                .as("a signal step has no task").isZero();
        assertThat(claim("approval", 5)).as("nothing to claim while it waits").isEmpty();

        assertThat(send(run, "approve", "{\"by\": \"ann\", \"ok\": true}")).isEqualTo("delivered");
        assertThat(step(run, "approve")).containsEntry("status", "completed").containsEntry("remaining_tasks", 0)
                .containsEntry("output", "{\"by\": \"ann\", \"ok\": true}");
        assertThat(db.<Object>one("select wait_deadline from pgflow.step_states where run_id = ? and step_slug = 'approve'", run)).isNull();
        assertThat(claim("approval", 5)).extracting(t -> t.get("step_slug"), t -> t.get("input"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ship", "{\"approve\": {\"by\": \"ann\", \"ok\": true}}"));
        complete(run, "ship", 0, "\"shipped\"");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"ship\": \"shipped\"}");
        assertThat(send(run, "approve", "{}")).as("the run ended").isEqualTo("ignored");
    }

    @Test
    void aSignalBeforeTheStepWaitsIsBufferedAndCompletesItTheMomentItWouldWaitAndASecondSignalIsIgnored() {
        approvalFlow();
        UUID run = start("approval", "{}");
        assertThat(send(run, "approve", "{\"early\": true}")).isEqualTo("buffered");
        assertThat(send(run, "approve", "{\"early\": false}")).as("the first one wins").isEqualTo("ignored");
        assertThat(step(run, "approve")).containsEntry("status", "created");

        claim("approval", 5);
        complete(run, "review", 0, "1");
        assertThat(step(run, "approve")).containsEntry("status", "completed").containsEntry("output", "{\"early\": true}");
        assertThat(claim("approval", 5)).extracting(t -> t.get("step_slug")).containsExactly("ship");
        assertThat(send(run, "approve", "{}")).as("completed").isEqualTo("ignored");
    }

    @Test
    void aRootSignalStepWaitsFromTheStartAndWithoutATimeoutWaitsForever() {
        db.exec("select pgflow.create_flow('webhook')");
        db.exec("select pgflow.add_step('webhook', 'paid', step_type => 'signal')");
        db.exec("select pgflow.add_step('webhook', 'receipt', ARRAY['paid'])");
        // start_flows takes each run's start one by one for a flow with signal steps
        List<UUID> runs = db.rows("select run_id from pgflow.start_flows('webhook', ARRAY['{\"n\": 1}', '{\"n\": 2}']::jsonb[])")
                .stream().map(r -> (UUID) r.get("run_id")).toList();
        assertThat(db.rows("select status, wait_deadline from pgflow.step_states where run_id = ? and step_slug = 'paid'", runs.get(0)))
                .containsExactly(new java.util.HashMap<>(Map.of("status", "started")) {{ put("wait_deadline", null); }});
        assertThat(send(runs.get(1), "paid", "{\"amount\": 5}")).isEqualTo("delivered");
        assertThat(claim("webhook", 5)).extracting(t -> t.get("run_id"), t -> t.get("input"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple(runs.get(1), "{\"paid\": {\"amount\": 5}}"));
        assertThat(step(runs.get(0), "paid")).containsEntry("status", "started");
    }

    @Test
    void aSignalStepFeedingAMapTakesAnArrayAndItsLengthIsTheMapsTaskCount() {
        db.exec("select pgflow.create_flow('files')");
        db.exec("select pgflow.add_step('files', 'uploaded', step_type => 'signal')");
        db.exec("select pgflow.add_step('files', 'each', ARRAY['uploaded'], step_type => 'map')");
        UUID run = start("files", "{}");
        SQLException notArray = db.error("select pgflow.send_signal(?, 'uploaded', '{\"file\": \"a\"}')", run);
        assertThat(notArray.getSQLState()).isEqualTo("22023");
        assertThat(notArray.getMessage()).contains("Step \"uploaded\" of flow \"files\" feeds map step \"each\": its signal payload must be"
                + " a JSON array, got object");
        assertThat(send(run, "uploaded", "[\"a\", \"b\", \"c\"]")).isEqualTo("delivered");
        assertThat(claim("files", 5)).extracting(t -> t.get("input")).containsExactly("\"a\"", "\"b\"", "\"c\"");
    }

    @Test
    void aSignalByKeyFindsTheRunStartedWithThatKey() {
        approvalFlow();
        UUID run = db.one("select run_id from pgflow.start_flow('approval', '{}', NULL, 'order-77')");
        assertThat((String) db.one("select pgflow.send_signal_by_key('approval', 'order-77', 'approve', '{\"ok\": true}')"))
                .isEqualTo("buffered");
        assertThat((Object) db.one("select signal_payload::text from pgflow.step_states where run_id = ? and step_slug = 'approve'", run))
                .isEqualTo("{\"ok\": true}");
        SQLException unknown = db.error("select pgflow.send_signal_by_key('approval', 'order-78', 'approve', '{}')");
        assertThat(unknown.getSQLState()).isEqualTo("P0002");
        assertThat(unknown.getMessage()).contains("Flow \"approval\" has no run started with idempotency key \"order-78\"");
    }

    @Test
    void aSkippedOrCancelledSignalStepIgnoresSignalsAndBadTargetsAreRefusedByName() {
        approvalFlow();
        db.exec("select pgflow.create_flow('gated')");
        db.exec("select pgflow.add_step('gated', 'wait_for_vip', step_type => 'signal', required_input_pattern => '{\"vip\": true}')");
        UUID skipped = start("gated", "{\"vip\": false}");
        assertThat(step(skipped, "wait_for_vip")).containsEntry("status", "skipped");
        assertThat(send(skipped, "wait_for_vip", "{}")).isEqualTo("ignored");

        UUID run = start("approval", "{}");
        claim("approval", 5);
        complete(run, "review", 0, "1");
        cancel(run, "customer left");
        assertThat(send(run, "approve", "{}")).isEqualTo("ignored");
        assertThat(step(run, "approve").get("status")).isEqualTo("cancelled");

        UUID unknownRun = UUID.randomUUID();
        SQLException noRun = db.error("select pgflow.send_signal(?, 'approve')", unknownRun);
        assertThat(noRun.getSQLState()).isEqualTo("P0002");
        assertThat(noRun.getMessage()).contains("Run " + unknownRun + " not found");
        SQLException noStep = db.error("select pgflow.send_signal(?, 'aprove')", run);
        assertThat(noStep.getSQLState()).isEqualTo("22023");
        assertThat(noStep.getMessage()).contains("Flow \"approval\" has no step \"aprove\" (run " + run + ")");
        SQLException notSignal = db.error("select pgflow.send_signal(?, 'review')", run);
        assertThat(notSignal.getSQLState()).isEqualTo("22023");
        assertThat(notSignal.getMessage()).contains("Step \"review\" of flow \"approval\" is a single step, not a signal step");
    }

    @Test
    void ofConcurrentSendersToOneStepExactlyOneIsDelivered() throws Exception {
        approvalFlow();
        UUID run = start("approval", "{}");
        claim("approval", 5);
        complete(run, "review", 0, "1");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String payload = "{\"sender\": " + i + "}";
                Callable<String> sendOne = () -> send(run, "approve", payload);
                answers.add(pool.submit(sendOne));
            }
            List<String> results = new ArrayList<>();
            for (Future<String> f : answers) {
                results.add(f.get());
            }
            assertThat(results).filteredOn("delivered"::equals).hasSize(1);
            assertThat(results).filteredOn("ignored"::equals).hasSize(7);
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.rows("select step_slug, status from pgflow.step_tasks where run_id = ? order by step_slug", run))
                .as("ship queued once").containsExactly(Map.of("step_slug", "review", "status", "completed"),
                        Map.of("step_slug", "ship", "status", "queued"));
    }

    @Test
    void aWaitingStepSendsStartedThenWaitingAndOneCompletedByABufferedSignalOnlyCompleted() throws Exception {
        approvalFlow();
        try (java.sql.Connection listener = io.pgflowee.testing.PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_events");
            db.exec("select pgflow.subscribe_events(?, null, 60)", UUID.randomUUID());
            UUID waits = start("approval", "{}");
            UUID early = start("approval", "{}");
            assertThat(send(early, "approve", "{\"early\": true}")).isEqualTo("buffered");
            claim("approval", 5);
            drain(listener, "pgflow_events");

            complete(waits, "review", 0, "1");
            assertThat(eventTypes(drain(listener, "pgflow_events")))
                    .containsExactly("step:completed review", "step:started approve", "step:waiting approve");
            complete(early, "review", 0, "1");
            assertThat(eventTypes(drain(listener, "pgflow_events")))
                    .containsExactly("step:completed review", "step:completed approve", "step:started ship");
        }
    }

    @Test
    void aBatchOfSignalsAnswersPerItemInOneTransactionAndOneRefusedItemRefusesAllNamingIt() {
        approvalFlow();
        UUID waiting = start("approval", "{}");
        UUID early = start("approval", "{}");
        claim("approval", 5);
        complete(waiting, "review", 0, "1");
        List<Map<String, Object>> results = db.rows("select item, result from pgflow.send_signals(ARRAY[?, ?, ?]::uuid[],"
                + " ARRAY['approve', 'approve', 'approve'], ARRAY['{\"n\": 1}', '{\"n\": 2}', NULL]::jsonb[]) order by item", early, waiting, waiting);
        assertThat(results).containsExactly(Map.of("item", 1, "result", "buffered"), Map.of("item", 2, "result", "delivered"),
                Map.of("item", 3, "result", "ignored"));
        assertThat(step(waiting, "approve")).containsEntry("status", "completed").containsEntry("output", "{\"n\": 2}");

        UUID other = start("approval", "{}");
        UUID unknown = UUID.randomUUID();
        SQLException refused = db.error("select * from pgflow.send_signals(ARRAY[?, ?]::uuid[], ARRAY['approve', 'approve'],"
                + " ARRAY['{}', '{}']::jsonb[])", other, unknown);
        assertThat(refused.getSQLState()).isEqualTo("P0002");
        assertThat(message(refused)).isEqualTo("item 2: Run " + unknown + " not found");
        assertThat(db.<Object>one("select signal_at from pgflow.step_states where run_id = ? and step_slug = 'approve'", other))
                .as("all or none").isNull();
        SQLException lengths = db.error("select * from pgflow.send_signals(ARRAY[?]::uuid[], ARRAY['approve', 'approve'], ARRAY['{}']::jsonb[])",
                other);
        assertThat(lengths.getSQLState()).isEqualTo("22023");
        assertThat(message(lengths)).isEqualTo("send_signals: run_ids (1), step_slugs (2) and payloads (1) must have the same length");
    }
}
