package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/**
 * start_flows(flow_slug, inputs, idempotency_keys): many runs in one set-based call, each exactly
 * what start_flow item by item would have made.
 */
class StartFlowsTest extends SqlEngineTest {

    /** Every shape start_flow treats differently at the start: joins, delays, root maps (empty too), root conditions. */
    private void flowsOfEveryShape() {
        define("select pgflow.create_flow('chain')",
               "select pgflow.add_step('chain', 'a')",
               "select pgflow.add_step('chain', 'late', start_delay => 30)",
               "select pgflow.add_step('chain', 'b', ARRAY['a', 'late'])",
               "select pgflow.create_flow('fan')",
               "select pgflow.add_step('fan', 'each', step_type => 'map')",
               "select pgflow.add_step('fan', 'sum', ARRAY['each'])",
               "select pgflow.create_flow('cond')",
               "select pgflow.add_step('cond', 'vip', required_input_pattern => '{\"tier\": \"gold\"}')",
               "select pgflow.add_step('cond', 'gate', forbidden_input_pattern => '{\"stop\": true}', when_unmet => 'fail')",
               "select pgflow.add_step('cond', 'after', ARRAY['vip'])");
    }

    /** One call of start_flows with JSON arrays of inputs and keys; the returned rows. */
    private List<Map<String, Object>> startMany(String flow, String inputsJson, String keysJson) {
        return db.rows("select item, run_id, created from pgflow.start_flows(?, array(select jsonb_array_elements(?::jsonb)),"
                + " case when ?::jsonb is null then null else array(select jsonb_array_elements_text(?::jsonb)) end)",
                flow, inputsJson, keysJson, keysJson);
    }

    /** Runs, step states and tasks of the runs whose key starts with the prefix, by item, without ids and times. */
    private List<Map<String, Object>> documents(String flow, String keyPrefix) {
        return db.rows("select substr(r.idempotency_key, length(?) + 1)::int as item, jsonb_build_object("
                + " 'run', jsonb_build_object('status', r.status, 'input', r.input, 'remaining_steps', r.remaining_steps,"
                + "   'output', r.output, 'failed', r.failed_at is not null),"
                + " 'steps', (select jsonb_agg(jsonb_build_object('slug', ss.step_slug, 'status', ss.status, 'deps', ss.remaining_deps,"
                + "   'initial', ss.initial_tasks, 'remaining', ss.remaining_tasks, 'skip', ss.skip_reason, 'error', ss.error_message,"
                + "   'output', ss.output, 'started', ss.started_at = r.started_at, 'completed', ss.completed_at = r.started_at)"
                + "   order by ss.step_slug) from pgflow.step_states ss where ss.run_id = r.run_id),"
                + " 'tasks', (select jsonb_agg(jsonb_build_object('slug', t.step_slug, 'index', t.task_index, 'status', t.status,"
                + "   'attempts', t.attempts_count, 'claimable', t.visible_at <= clock_timestamp(),"
                + "   'delayed', t.visible_at > t.queued_at + interval '29 seconds' and t.visible_at <> 'infinity')"
                + "   order by t.step_slug, t.task_index) from pgflow.step_tasks t where t.run_id = r.run_id)"
                + " )::text as doc from pgflow.runs r where r.flow_slug = ? and r.idempotency_key like ? || '%' order by 1",
                keyPrefix, flow, keyPrefix);
    }

    @Test
    void aRandomWorkloadStartedInOneCallEqualsStartingItItemByItem() {
        flowsOfEveryShape();
        Random random = new Random(20261128);
        // "fan" with some empty arrays starts run by run, "full" (fan, never empty) and "chain" set-based
        for (String workload : List.of("chain", "fan", "full", "cond")) {
            String flow = workload.equals("full") ? "fan" : workload;
            List<String> inputs = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                inputs.add(switch (workload) {
                    case "fan" -> "[" + String.join(", ", java.util.Collections.nCopies(random.nextInt(4), String.valueOf(random.nextInt(9)))) + "]";
                    case "full" -> "[" + String.join(", ", java.util.Collections.nCopies(1 + random.nextInt(4), String.valueOf(random.nextInt(9)))) + "]";
                    case "cond" -> "{\"tier\": \"" + (random.nextBoolean() ? "gold" : "tin") + "\", \"stop\": " + (random.nextInt(5) == 0) + "}";
                    default -> "{\"n\": " + random.nextInt(1000) + "}";
                });
            }
            StringBuilder keys = new StringBuilder("[");
            // item by item, one start_flow call each, while a subscription to every run's events makes
            // start_flow take its step-by-step way (_advance_run): the reference for the set-based one
            UUID subscription = UUID.randomUUID();
            db.exec("select pgflow.subscribe_events(?, null, 60)", subscription);
            for (int i = 0; i < inputs.size(); i++) {
                db.exec("select pgflow.start_flow(?, ?::jsonb, null, ?)", flow, inputs.get(i), "one-" + workload + ":" + (i + 1));
                keys.append(i == 0 ? "" : ", ").append("\"set-").append(workload).append(':').append(i + 1).append('"');
            }
            db.exec("select pgflow.unsubscribe_events(?)", subscription);
            List<Map<String, Object>> started = startMany(flow, "[" + String.join(", ", inputs) + "]", keys + "]");

            assertThat(started).hasSize(60).allSatisfy(row -> assertThat(row).containsEntry("created", true));
            assertThat(started).extracting(row -> row.get("item")).containsExactlyElementsOf(
                    java.util.stream.IntStream.rangeClosed(1, 60).boxed().toList());
            List<Map<String, Object>> itemByItem = documents(flow, "one-" + workload + ":");
            List<Map<String, Object>> setBased = documents(flow, "set-" + workload + ":");
            assertThat(setBased).as(workload).hasSize(60).isEqualTo(itemByItem);
            // and start_flow's own set-based way (nobody watching) makes the same runs
            for (int i = 0; i < inputs.size(); i++) {
                db.exec("select pgflow.start_flow(?, ?::jsonb, null, ?)", flow, inputs.get(i), "lone-" + workload + ":" + (i + 1));
            }
            assertThat(documents(flow, "lone-" + workload + ":")).as(workload + ", start_flow unwatched").isEqualTo(itemByItem);
        }
        // the workload covered what it should: empty maps completed, conditions skipped and failed runs
        assertThat((Long) db.one("select count(*) from pgflow.step_states where step_slug = 'each' and status = 'completed'"))
                .isGreaterThan(0L);
        assertThat((Long) db.one("select count(*) from pgflow.step_states where step_slug = 'vip' and status = 'skipped'"))
                .isGreaterThan(0L);
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'cond' and status = 'failed'")).isGreaterThan(0L);
    }

    @Test
    void returnsOneRowPerInputInOrderAndQueuesTheRootTasks() {
        flowsOfEveryShape();
        List<Map<String, Object>> started = startMany("fan", "[[1, 2], [3], [4, 5, 6]]", null);

        assertThat(started).extracting(r -> r.get("item"), r -> r.get("created"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, true), org.assertj.core.groups.Tuple.tuple(2, true),
                        org.assertj.core.groups.Tuple.tuple(3, true));
        for (Map<String, Object> row : started) {
            UUID run = (UUID) row.get("run_id");
            assertThat(step(run, "each")).containsEntry("status", "started");
        }
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where step_slug = 'each' and status = 'queued'")).isEqualTo(6L);
        assertThat(db.rows("select input::text as input from pgflow.runs order by (select jsonb_array_length(input))"))
                .extracting(r -> r.get("input")).containsExactly("[3]", "[1, 2]", "[4, 5, 6]");
        assertThat(startMany("fan", "[]", null)).isEmpty();
    }

    @Test
    void keysUsedBeforeOrTwiceInTheCallReturnTheExistingRun() {
        flowsOfEveryShape();
        UUID earlier = db.one("select run_id from pgflow.start_flow('chain', '{\"n\": 1}', null, 'k1')");

        List<Map<String, Object>> started = startMany("chain", "[{\"n\": 1}, {\"n\": 2}, {\"n\": 2}, {\"n\": 3}]",
                "[\"k1\", \"k2\", \"k2\", null]");

        assertThat(started.get(0)).containsEntry("run_id", earlier).containsEntry("created", false);
        assertThat(started.get(1)).containsEntry("created", true);
        assertThat(started.get(2)).containsEntry("run_id", started.get(1).get("run_id")).containsEntry("created", false);
        assertThat(started.get(3)).containsEntry("created", true);
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(3L);

        List<Map<String, Object>> again = startMany("chain", "[{\"n\": 1}, {\"n\": 2}]", "[\"k1\", \"k2\"]");
        assertThat(again).extracting(r -> r.get("created")).containsExactly(false, false);
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(3L);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where step_slug = 'a'")).isEqualTo(3L);
    }

    @Test
    void refusalsNameTheFirstRefusedItemAndStartNothing() {
        flowsOfEveryShape();
        UUID earlier = db.one("select run_id from pgflow.start_flow('chain', '{\"n\": 1}', null, 'k1')");

        SQLException reused = db.error("select * from pgflow.start_flows('chain', array['{}', '{\"n\": 9}']::jsonb[], array['new', 'k1'])");
        assertThat(message(reused)).isEqualTo("Flow \"chain\", item 2: Idempotency key \"k1\" of flow \"chain\" was already used by run "
                + earlier + " with a different input");
        assertThat(sqlState(reused)).isEqualTo("23505");

        SQLException twice = db.error("select * from pgflow.start_flows('chain', array['{}', '{}', '{\"x\": 1}']::jsonb[], array['a', 'b', 'a'])");
        assertThat(message(twice)).isEqualTo("Flow \"chain\", item 3: Idempotency key \"a\" of flow \"chain\" was already used by item 1"
                + " with a different input");

        SQLException notArray = db.error("select * from pgflow.start_flows('fan', array['[1]', '[]', '{\"a\": 1}', 'null']::jsonb[])");
        assertThat(message(notArray)).isEqualTo("Flow \"fan\", item 3: Flow fan has root map steps but input is not an array (got object)");
        assertThat(sqlState(notArray)).isEqualTo("P0001");

        SQLException nullInput = db.error("select * from pgflow.start_flows('chain', array['{}', null]::jsonb[])");
        assertThat(message(nullInput)).isEqualTo(
                "Flow \"chain\", item 2: input must not be NULL (pass '{}'::jsonb for a flow without input)");
        assertThat(sqlState(nullInput)).isEqualTo("23502");

        SQLException emptyKey = db.error("select * from pgflow.start_flows('chain', array['{}']::jsonb[], array[''])");
        assertThat(message(emptyKey)).isEqualTo(
                "Flow \"chain\", item 1: idempotency_key must not be empty (pass NULL for a start without a key)");
        assertThat(sqlState(emptyKey)).isEqualTo("22023");

        SQLException lengths = db.error("select * from pgflow.start_flows('chain', array['{}', '{}']::jsonb[], array['x'])");
        assertThat(message(lengths)).isEqualTo(
                "Flow \"chain\": idempotency_keys has 1 elements but inputs has 2; give one key (or NULL) per input");

        SQLException unknown = db.error("select * from pgflow.start_flows('nope', array['{}']::jsonb[])");
        assertThat(message(unknown)).isEqualTo("Flow \"nope\" does not exist");
        assertThat(constraint(unknown)).isEqualTo("runs_flow_slug_fkey");

        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(1L);
    }

    @Test
    void subscribersGetTheSameEventsAsFromStartFlowAndIdleWorkersOneWakeUp() throws Exception {
        flowsOfEveryShape();
        db.exec("select pgflow.register_worker(?, 'chain', 'test')", worker);
        db.exec("update pgflow.workers set idle = true where worker_id = ?", worker);
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_tasks");
            startMany("chain", "[{}, {}, {}]", null);
            assertThat(drain(listener, "pgflow_tasks")).containsExactly("chain");

            listener.createStatement().execute("listen pgflow_events");
            db.exec("select pgflow.subscribe_events(?, null, 60)", UUID.randomUUID());
            List<Map<String, Object>> started = startMany("chain", "[{}, {}]", null);
            List<String> events = drain(listener, "pgflow_events");
            assertThat(eventTypes(events)).containsExactly("run:started", "step:started a", "step:started late",
                    "run:started", "step:started a", "step:started late");
            assertThat(events.get(0)).contains(started.get(0).get("run_id").toString());
            assertThat(events.get(3)).contains(started.get(1).get("run_id").toString());
        }
    }

    /**
     * Where nothing needs the step-by-step way (no condition, signal step or empty root map, nobody
     * watching), start_flow and start_flows insert each row once (114): the root steps started, with
     * their tasks, instead of inserted created and then updated (which checks their foreign keys
     * again). Counted in the transaction's statistics; a flow with a root condition still takes the
     * step-by-step way.
     */
    @Test
    void startsWriteEachRowOnceWhereNothingNeedsTheStepByStepWay() throws SQLException {
        flowsOfEveryShape();
        assertThat(runTableWrites("select count(*) from pgflow.start_flow('chain', '{}')"))
                .isEqualTo("step_tasks 0 0 2, step_states 0 0 3, runs 0 0 1");
        assertThat(runTableWrites("select count(*) from pgflow.start_flows('fan', array['[1, 2]', '[3]']::jsonb[])"))
                .isEqualTo("step_tasks 0 0 3, step_states 0 0 4, runs 0 0 2");
        UUID chain = (UUID) db.one("select run_id from pgflow.runs where flow_slug = 'chain'");
        assertThat(step(chain, "a")).containsEntry("status", "started").containsEntry("remaining_tasks", 1).containsEntry("initial_tasks", 1);
        assertThat(step(chain, "b")).containsEntry("status", "created").containsEntry("remaining_deps", 2);
        assertThat(db.rows("select step_slug, visible_at > clock_timestamp() + interval '29 seconds' as delayed from pgflow.step_tasks"
                + " where run_id = ? order by 1", chain)).extracting(r -> r.get("step_slug") + " " + r.get("delayed"))
                .containsExactly("a false", "late true");

        // a root condition: the step-by-step way, which updates what it inserted (vip skipped, after
        // released and started, gate started; the run counts its skipped step)
        assertThat(runTableWrites("select count(*) from pgflow.start_flow('cond', '{\"tier\": \"tin\"}')"))
                .isEqualTo("step_tasks 0 0 2, step_states 4 0 3, runs 1 0 1");
        UUID cond = (UUID) db.one("select run_id from pgflow.runs where flow_slug = 'cond'");
        assertThat(step(cond, "vip")).containsEntry("status", "skipped").containsEntry("skip_reason", "condition_unmet");
        assertThat(step(cond, "after")).containsEntry("status", "started");
        assertThat(step(cond, "gate")).containsEntry("status", "started");
    }
}
