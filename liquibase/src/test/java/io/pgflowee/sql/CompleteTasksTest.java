package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * complete_tasks(run_ids, step_slugs, task_indexes, outputs): the same results as complete_task
 * called element by element, whether it takes its set-based way or complete_task's; and so has
 * complete_tasks_and_claim, whose claims take the tasks its completions made ready.
 */
class CompleteTasksTest extends SqlEngineTest {

    /** Three copies (…_one, …_set, …_claim) of every shape: a chain, two roots and a join, a map, a condition. */
    private void flowsOfEveryShapeThrice() {
        for (String copy : List.of("one", "set", "claim")) {
            define("select pgflow.create_flow('chain_" + copy + "')",
                   "select pgflow.add_step('chain_" + copy + "', 'a')",
                   "select pgflow.add_step('chain_" + copy + "', 'b', ARRAY['a'])",
                   "select pgflow.add_step('chain_" + copy + "', 'c', ARRAY['b'])",
                   "select pgflow.create_flow('join_" + copy + "')",
                   "select pgflow.add_step('join_" + copy + "', 'left')",
                   "select pgflow.add_step('join_" + copy + "', 'right', start_delay => 0)",
                   "select pgflow.add_step('join_" + copy + "', 'both', ARRAY['left', 'right'])",
                   "select pgflow.create_flow('fan_" + copy + "')",
                   "select pgflow.add_step('fan_" + copy + "', 'list')",
                   "select pgflow.add_step('fan_" + copy + "', 'each', ARRAY['list'], step_type => 'map')",
                   "select pgflow.add_step('fan_" + copy + "', 'sum', ARRAY['each'])",
                   "select pgflow.create_flow('cond_" + copy + "')",
                   "select pgflow.add_step('cond_" + copy + "', 'check')",
                   "select pgflow.add_step('cond_" + copy + "', 'gate', ARRAY['check'], required_input_pattern => '{\"check\": {\"ok\": true}}',"
                           + " when_unmet => 'fail')");
        }
    }

    /** The handlers: what a task of a step returns for its input (deterministic). */
    private static String output(String step, int index, String input, Random random) {
        return switch (step) {
            case "list" -> "[1, 2, " + (index + 3) + "]";
            case "check" -> "{\"ok\": " + input.contains("\"n\": 1") + "}";
            default -> "{\"step\": \"" + step + "\", \"i\": " + index + "}";
        };
    }

    /** Claims and completes every task of a flow until none is left: element by element, or in shuffled batches. */
    private int drain(String flow, boolean batched, Random random) {
        registerWorker(flow);
        int calls = 0;
        while (true) {
            List<Map<String, Object>> tasks = new ArrayList<>(db.rows("select run_id, step_slug, task_index, input::text as input"
                    + " from pgflow.claim_tasks(?, ?, 100)", flow, worker));
            db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() where flow_slug = ? and status = 'queued'"
                    + " and visible_at > clock_timestamp() and visible_at <> 'infinity'", flow);
            if (tasks.isEmpty()) {
                if ((Long) db.one("select count(*) from pgflow.step_tasks where flow_slug = ? and status = 'queued'"
                        + " and visible_at <> 'infinity'", flow) == 0) {
                    return calls;
                }
                continue;
            }
            if (!batched) {
                for (Map<String, Object> t : tasks) {
                    db.exec("select pgflow.complete_task(?, ?, ?, ?::jsonb)", t.get("run_id"), t.get("step_slug"), t.get("task_index"),
                            output((String) t.get("step_slug"), (Integer) t.get("task_index"), (String) t.get("input"), random));
                    calls++;
                }
                continue;
            }
            Collections.shuffle(tasks, random);
            for (int from = 0; from < tasks.size(); ) {
                int to = Math.min(tasks.size(), from + 1 + random.nextInt(30));
                List<Map<String, Object>> batch = tasks.subList(from, to);
                batch("select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])", batch,
                        t -> output((String) t.get("step_slug"), (Integer) t.get("task_index"), (String) t.get("input"), random));
                calls++;
                from = to;
            }
        }
    }

    /**
     * Claims once, then completes what it holds in shuffled batches with complete_tasks_and_claim,
     * each call asking for up to 10 tasks and holding what it got, until the queue is empty.
     */
    private int drainClaiming(String flow, Random random) {
        registerWorker(flow);
        int calls = 0;
        List<Map<String, Object>> held = new ArrayList<>();
        while (true) {
            if (held.isEmpty()) {
                db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() where flow_slug = ? and status = 'queued'"
                        + " and visible_at > clock_timestamp() and visible_at <> 'infinity'", flow);
                held.addAll(db.rows("select run_id, step_slug, task_index, input::text as input from pgflow.claim_tasks(?, ?, 10)",
                        flow, worker));
                if (held.isEmpty()) {
                    if ((Long) db.one("select count(*) from pgflow.step_tasks where flow_slug = ? and status = 'queued'"
                            + " and visible_at <> 'infinity'", flow) == 0) {
                        return calls;
                    }
                    continue;
                }
            }
            Collections.shuffle(held, random);
            List<Map<String, Object>> batch = new ArrayList<>(held.subList(0, Math.min(held.size(), 1 + random.nextInt(30))));
            held.subList(0, batch.size()).clear();
            held.addAll(db.rows("select run_id, step_slug, task_index, input::text as input"
                            + " from pgflow.complete_tasks_and_claim(?, 10, ?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])",
                    worker, array("uuid", batch.stream().map(t -> t.get("run_id")).toArray()),
                    array("text", batch.stream().map(t -> t.get("step_slug")).toArray()),
                    array("int4", batch.stream().map(t -> t.get("task_index")).toArray()),
                    array("text", batch.stream().map(t -> output((String) t.get("step_slug"), (Integer) t.get("task_index"),
                            (String) t.get("input"), random)).toArray())));
            calls++;
        }
    }

    /** Every run of the flow with its step states and tasks, by input, without ids and times. */
    private List<Map<String, Object>> documents(String flow) {
        return db.rows("select r.input::text as input, jsonb_build_object("
                + " 'run', jsonb_build_object('status', r.status, 'remaining_steps', r.remaining_steps, 'output', r.output,"
                + "   'completed', r.completed_at is not null, 'failed', r.failed_at is not null),"
                + " 'steps', (select jsonb_agg(jsonb_build_object('slug', ss.step_slug, 'status', ss.status, 'deps', ss.remaining_deps,"
                + "   'initial', ss.initial_tasks, 'remaining', ss.remaining_tasks, 'output', ss.output, 'error', ss.error_message,"
                + "   'skip', ss.skip_reason, 'completed', ss.completed_at is not null, 'failed', ss.failed_at is not null)"
                + "   order by ss.step_slug) from pgflow.step_states ss where ss.run_id = r.run_id),"
                + " 'tasks', (select jsonb_agg(jsonb_build_object('slug', t.step_slug, 'index', t.task_index, 'status', t.status,"
                + "   'attempts', t.attempts_count, 'output', t.output, 'orphaned', t.visible_at = 'infinity')"
                + "   order by t.step_slug, t.task_index) from pgflow.step_tasks t where t.run_id = r.run_id)"
                + " )::text as doc from pgflow.runs r where r.flow_slug = ? order by 1", flow);
    }

    @Test
    void aRandomWorkloadCompletedInShuffledBatchesEqualsCompletingItElementByElement() {
        flowsOfEveryShapeThrice();
        Random random = new Random(20261128);
        for (String shape : List.of("chain", "join", "fan", "cond")) {
            for (int i = 0; i < 40; i++) {
                String input = "{\"n\": " + random.nextInt(3) + ", \"k\": " + i + "}";
                start(shape + "_one", input);
                start(shape + "_set", input);
                start(shape + "_claim", input);
            }
            // a cancelled run: its tasks change nothing, either way
            UUID cancelledOne = start(shape + "_one", "{\"cancelled\": true}");
            UUID cancelledSet = start(shape + "_set", "{\"cancelled\": true}");
            cancel(cancelledOne, "test");
            cancel(cancelledSet, "test");
            cancel(start(shape + "_claim", "{\"cancelled\": true}"), "test");

            int oneCalls = drain(shape + "_one", false, new Random(1));
            int setCalls = drain(shape + "_set", true, new Random(2));
            int claimCalls = drainClaiming(shape + "_claim", new Random(3));

            List<Map<String, Object>> one = documents(shape + "_one");
            List<Map<String, Object>> set = documents(shape + "_set");
            assertThat(set).as(shape).hasSize(41).isEqualTo(one);
            assertThat(setCalls).as(shape + ": fewer calls in batches").isLessThan(oneCalls);
            assertThat(documents(shape + "_claim")).as(shape + " with complete_tasks_and_claim").isEqualTo(one);
            assertThat(claimCalls).as(shape + ": fewer calls completing and claiming together").isLessThan(oneCalls);
        }
        // the workload reached what it should: completed runs everywhere, failed conditions, map outputs
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'chain_set' and status = 'completed'")).isEqualTo(40L);
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'cond_set' and status = 'failed'")).isGreaterThan(0L);
        assertThat((String) db.one("select ss.output::text from pgflow.step_states ss join pgflow.runs r using (run_id)"
                + " where r.flow_slug = 'fan_set' and ss.step_slug = 'each' and r.input->>'k' = '0'"))
                .isEqualTo("[{\"i\": 0, \"step\": \"each\"}, {\"i\": 1, \"step\": \"each\"}, {\"i\": 2, \"step\": \"each\"}]");
    }

    @Test
    void aBatchTakesTheSetBasedWayUnlessATaskIsGivenTwiceAndReturnsTheRowsInKeyOrder() {
        define("select pgflow.create_flow('c')", "select pgflow.add_step('c', 'a')", "select pgflow.add_step('c', 'b', ARRAY['a'])");
        UUID r1 = start("c", "{\"x\": 1}");
        UUID r2 = start("c", "{\"x\": 2}");
        claim("c", 10);

        List<Map<String, Object>> rows = db.rows("select run_id, step_slug, status, output::text as output from pgflow.complete_tasks("
                + "array[?, ?, ?]::uuid[], array['a', 'a', 'nope'], array[0, 0, 0], array['1', '2', '3']::jsonb[])", r2, r1, r1);

        List<UUID> sorted = new ArrayList<>(List.of(r1, r2));
        Collections.sort(sorted);
        assertThat(rows).extracting(r -> r.get("run_id")).containsExactlyElementsOf(sorted);
        assertThat(rows).extracting(r -> r.get("status")).containsOnly("completed");
        assertThat(step(r1, "a")).containsEntry("status", "completed").containsEntry("output", "2");
        assertThat(step(r1, "b")).containsEntry("status", "started").containsEntry("remaining_tasks", 1);
        assertThat(step(r2, "a")).containsEntry("output", "1");
        assertThat(db.rows("select run_id from pgflow.step_tasks where step_slug = 'b' and status = 'queued'")).hasSize(2);

        // the same task twice: element by element, the second changes nothing (as complete_task twice)
        claim("c", 10);
        db.exec("select count(*) from pgflow.complete_tasks(array[?, ?]::uuid[], array['b', 'b'], array[0, 0], array['10', '20']::jsonb[])",
                r1, r1);
        assertThat(step(r1, "b")).containsEntry("output", "10");
        assertThat(run(r1)).containsEntry("status", "completed").containsEntry("output", "{\"b\": 10}");

        SQLException lengths = db.error("select * from pgflow.complete_tasks(array[?]::uuid[], array['a', 'b'], array[0], array['1']::jsonb[])", r2);
        assertThat(message(lengths)).isEqualTo(
                "complete_tasks: run_ids (1), step_slugs (2), task_indexes (1) and outputs (1) must have the same length");
    }

    /**
     * The set-based way writes each row once (114): a child step is released and started by one
     * UPDATE, a run counted down and completed by one, since PostgreSQL checks the foreign keys of a
     * row again when the transaction that wrote it updates it once more. Counted in the
     * transaction's own statistics (pg_stat_xact_user_tables), with the results it must reach.
     */
    @Test
    void aBatchWritesEveryStepStateAndRunOnce() throws SQLException {
        define("select pgflow.create_flow('w')", "select pgflow.add_step('w', 'a')", "select pgflow.add_step('w', 'b', ARRAY['a'])",
               "select pgflow.add_step('w', 'c', ARRAY['b'])");
        List<UUID> runs = List.of(start("w", "{\"x\": 1}"), start("w", "{\"x\": 2}"), start("w", "{\"x\": 3}"));

        // a: 3 tasks completed, 3 step states completed, 3 children started with a task each, 3 runs counted down
        assertThat(completeAllInOneTransaction("a")).isEqualTo("step_tasks 3 0 3, step_states 6 0 0, runs 3 0 0");
        assertThat(runs).allSatisfy(r -> {
            assertThat(step(r, "b")).containsEntry("status", "started").containsEntry("remaining_deps", 0).containsEntry("remaining_tasks", 1);
            assertThat(run(r)).containsEntry("status", "started").containsEntry("remaining_steps", 2);
        });
        assertThat(completeAllInOneTransaction("b")).isEqualTo("step_tasks 3 0 3, step_states 6 0 0, runs 3 0 0");
        // c, the last step: each run counted down and completed by the same single UPDATE
        assertThat(completeAllInOneTransaction("c")).isEqualTo("step_tasks 3 0 0, step_states 3 0 0, runs 3 0 0");
        assertThat(runs).allSatisfy(r -> assertThat(run(r)).containsEntry("status", "completed").containsEntry("remaining_steps", 0)
                .containsEntry("output", "{\"c\": {\"done\": \"c\"}}"));
    }

    /** Claims every task of step {@code slug} of flow w and completes them with one complete_tasks call: what it wrote. */
    private String completeAllInOneTransaction(String slug) throws SQLException {
        registerWorker("w");
        List<Map<String, Object>> tasks = claim("w", 10);
        assertThat(tasks).extracting(t -> t.get("step_slug")).containsOnly(slug);
        return runTableWrites("select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])",
                array("uuid", tasks.stream().map(t -> t.get("run_id")).toArray()), array("text", tasks.stream().map(t -> slug).toArray()),
                array("int4", tasks.stream().map(t -> t.get("task_index")).toArray()),
                array("text", tasks.stream().map(t -> "{\"done\": \"" + slug + "\"}").toArray()));
    }
}
