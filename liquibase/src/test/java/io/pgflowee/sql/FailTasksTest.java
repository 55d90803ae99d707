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
 * fail_tasks(run_ids, step_slugs, task_indexes, error_messages): a worker's failures in one call,
 * with the same results as fail_task called element by element (retries, exhausted tasks failing
 * the run, skipping the step or skipping it with its dependents), also when mixed with
 * complete_tasks batches of the same claims.
 */
class FailTasksTest extends SqlEngineTest {

    /** Two copies (…_one, …_set) of each: retried and failing, skipping, skipping with dependents, a map. */
    private void flowsTwice() {
        for (String copy : List.of("one", "set")) {
            define("select pgflow.create_flow('fail_" + copy + "', max_attempts => 2, base_delay => 0)",
                   "select pgflow.add_step('fail_" + copy + "', 'a')",
                   "select pgflow.add_step('fail_" + copy + "', 'b', ARRAY['a'])",
                   "select pgflow.create_flow('skip_" + copy + "', max_attempts => 2, base_delay => 0)",
                   "select pgflow.add_step('skip_" + copy + "', 'a', when_exhausted => 'skip')",
                   "select pgflow.add_step('skip_" + copy + "', 'b', ARRAY['a'], when_exhausted => 'skip-cascade')",
                   "select pgflow.add_step('skip_" + copy + "', 'c', ARRAY['b'])",
                   "select pgflow.add_step('skip_" + copy + "', 'd')",
                   "select pgflow.create_flow('map_" + copy + "', max_attempts => 2, base_delay => 0)",
                   "select pgflow.add_step('map_" + copy + "', 'list')",
                   "select pgflow.add_step('map_" + copy + "', 'each', ARRAY['list'], step_type => 'map')",
                   "select pgflow.add_step('map_" + copy + "', 'sum', ARRAY['each'])");
        }
    }

    /**
     * The handlers, deterministic by input and attempt: null completes, otherwise the error. A run's
     * {@code "f"} decides: 0 never fails, 1 fails the first attempt of every task, 2 fails every
     * attempt of step b (and of map element 1), 3 every attempt of step a.
     */
    private static String error(String input, String step, int index, int attempt) {
        int f = Integer.parseInt(input.replaceAll(".*\"f\": (\\d).*", "$1"));
        boolean fails = switch (f) {
            case 1 -> attempt == 1;
            case 2 -> step.equals("b") || (step.equals("each") && index == 1);
            case 3 -> step.equals("a") || step.equals("list");
            default -> false;
        };
        return fails ? "handler of " + step + "[" + index + "] failed on attempt " + attempt : null;
    }

    private static String output(String step, int index) {
        return step.equals("list") ? "[1, 2, 3]" : "{\"step\": \"" + step + "\", \"i\": " + index + "}";
    }

    /** Claims and reports every task of a flow until none is left: element by element, or in shuffled batches of each kind. */
    private int drain(String flow, boolean batched, Random random) {
        registerWorker(flow);
        int calls = 0;
        while (true) {
            List<Map<String, Object>> tasks = new ArrayList<>(db.rows("select t.run_id, t.step_slug, t.task_index, t.attempts_count,"
                    + " r.input::text as input from pgflow.claim_tasks(?, ?, 100) t join pgflow.runs r using (run_id)", flow, worker));
            if (tasks.isEmpty()) {
                if ((Long) db.one("select count(*) from pgflow.step_tasks where flow_slug = ? and status = 'queued'"
                        + " and visible_at <> 'infinity'", flow) == 0) {
                    return calls;
                }
                continue;
            }
            List<Map<String, Object>> failures = new ArrayList<>();
            List<Map<String, Object>> completions = new ArrayList<>();
            for (Map<String, Object> t : tasks) {
                String error = error((String) t.get("input"), (String) t.get("step_slug"), (Integer) t.get("task_index"),
                        (Integer) t.get("attempts_count"));
                t.put("error", error);
                (error == null ? completions : failures).add(t);
            }
            if (!batched) {
                for (Map<String, Object> t : tasks) {
                    if (t.get("error") == null) {
                        db.exec("select pgflow.complete_task(?, ?, ?, ?::jsonb)", t.get("run_id"), t.get("step_slug"), t.get("task_index"),
                                output((String) t.get("step_slug"), (Integer) t.get("task_index")));
                    } else {
                        db.exec("select pgflow.fail_task(?, ?, ?, ?)", t.get("run_id"), t.get("step_slug"), t.get("task_index"), t.get("error"));
                    }
                    calls++;
                }
                continue;
            }
            Collections.shuffle(failures, random);
            if (!completions.isEmpty()) {
                batch("select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])", completions,
                        t -> output((String) t.get("step_slug"), (Integer) t.get("task_index")));
                calls++;
            }
            for (int from = 0; from < failures.size(); ) {
                int to = Math.min(failures.size(), from + 1 + random.nextInt(20));
                List<Map<String, Object>> batch = failures.subList(from, to);
                batch("select count(*) from pgflow.fail_tasks(?::uuid[], ?::text[], ?::int[], ?::text[])", batch, t -> t.get("error"));
                calls++;
                from = to;
            }
        }
    }

    /** Every run of the flow with its step states, tasks and ended attempts, by input, without ids and times. */
    private List<Map<String, Object>> documents(String flow) {
        return db.rows("select r.input::text as input, jsonb_build_object("
                + " 'run', jsonb_build_object('status', r.status, 'remaining_steps', r.remaining_steps, 'output', r.output,"
                + "   'completed', r.completed_at is not null, 'failed', r.failed_at is not null),"
                + " 'steps', (select jsonb_agg(jsonb_build_object('slug', ss.step_slug, 'status', ss.status, 'deps', ss.remaining_deps,"
                + "   'remaining', ss.remaining_tasks, 'output', ss.output, 'error', ss.error_message, 'skip', ss.skip_reason)"
                + "   order by ss.step_slug) from pgflow.step_states ss where ss.run_id = r.run_id),"
                + " 'tasks', (select jsonb_agg(jsonb_build_object('slug', t.step_slug, 'index', t.task_index, 'status', t.status,"
                + "   'attempts', t.attempts_count, 'output', t.output, 'error', t.error_message, 'orphaned', t.visible_at = 'infinity')"
                + "   order by t.step_slug, t.task_index) from pgflow.step_tasks t where t.run_id = r.run_id),"
                + " 'attempts', (select jsonb_agg(jsonb_build_object('slug', a.step_slug, 'index', a.task_index, 'attempt', a.attempt,"
                + "   'outcome', a.outcome, 'error', a.error_message) order by a.step_slug, a.task_index, a.attempt)"
                + "   from pgflow_internal.task_attempts a where a.run_id = r.run_id)"
                + " )::text as doc from pgflow.runs r where r.flow_slug = ? order by 1", flow);
    }

    @Test
    void aRandomWorkloadWithFailuresReportedInShuffledBatchesEqualsReportingItElementByElement() {
        flowsTwice();
        Random random = new Random(20261128);
        for (String shape : List.of("fail", "skip", "map")) {
            for (int i = 0; i < 32; i++) {
                String input = "{\"f\": " + (i % 4) + ", \"k\": " + i + "}";
                start(shape + "_one", input);
                start(shape + "_set", input);
            }
            int oneCalls = drain(shape + "_one", false, new Random(1));
            int setCalls = drain(shape + "_set", true, new Random(2));

            List<Map<String, Object>> one = documents(shape + "_one");
            List<Map<String, Object>> set = documents(shape + "_set");
            assertThat(set).as(shape).hasSize(32).isEqualTo(one);
            assertThat(setCalls).as(shape + ": fewer calls in batches").isLessThan(oneCalls);
        }
        // the workload reached every outcome: retried and completed, failed, skipped, skipped with dependents
        assertThat(db.rows("select input->>'f' as f, status, count(*)::int as n from pgflow.runs where flow_slug = 'fail_set'"
                + " group by 1, 2 order by 1, 2")).extracting(r -> r.get("f") + " " + r.get("status") + " " + r.get("n"))
                .containsExactly("0 completed 8", "1 completed 8", "2 failed 8", "3 failed 8");
        assertThat((String) db.one("select error_message from pgflow.runs r join pgflow.step_states ss using (run_id)"
                + " where r.flow_slug = 'fail_set' and r.input->>'k' = '2' and ss.step_slug = 'b'"))
                .isEqualTo("handler of b[0] failed on attempt 2");
        assertThat(db.rows("select ss.step_slug, ss.status, ss.skip_reason from pgflow.step_states ss join pgflow.runs r using (run_id)"
                + " where r.flow_slug = 'skip_set' and r.input->>'k' = '2' order by 1"))
                .extracting(r -> r.get("step_slug") + " " + r.get("status") + " " + r.get("skip_reason"))
                .containsExactly("a completed null", "b skipped handler_failed", "c skipped dependency_skipped", "d completed null");
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'skip_set' and status = 'completed'")).isEqualTo(32L);
        assertThat((Long) db.one("select count(*) from pgflow_internal.task_attempts a join pgflow.runs r using (run_id)"
                + " where r.flow_slug = 'map_set' and r.input->>'f' = '1'")).isEqualTo(8L * 5);
    }

    @Test
    void aBatchReturnsTheRowsInKeyOrderIgnoresUnknownTasksAndNamesALengthMismatch() {
        define("select pgflow.create_flow('c', max_attempts => 2, base_delay => 0)", "select pgflow.add_step('c', 'a')");
        UUID r1 = start("c", "{\"x\": 1}");
        UUID r2 = start("c", "{\"x\": 2}");
        claim("c", 10);

        List<Map<String, Object>> rows = db.rows("select run_id, status, attempts_count, error_message from pgflow.fail_tasks("
                + "array[?, ?, ?]::uuid[], array['a', 'a', 'nope'], array[0, 0, 0], array['boom 2', 'boom 1', 'nope'])", r2, r1, r1);

        List<UUID> sorted = new ArrayList<>(List.of(r1, r2));
        Collections.sort(sorted);
        assertThat(rows).extracting(r -> r.get("run_id")).containsExactlyElementsOf(sorted);
        assertThat(rows).extracting(r -> r.get("status") + " " + r.get("attempts_count")).containsOnly("queued 1");
        assertThat(task(r1, "a", 0)).containsEntry("error_message", "boom 1");
        assertThat(task(r2, "a", 0)).containsEntry("error_message", "boom 2");

        // the same task twice: the second changes nothing (as fail_task twice: the task is queued again)
        claim("c", 10);
        db.exec("select count(*) from pgflow.fail_tasks(array[?, ?]::uuid[], array['a', 'a'], array[0, 0], array['last', 'again'])", r1, r1);
        assertThat(run(r1)).containsEntry("status", "failed");
        assertThat(step(r1, "a")).containsEntry("status", "failed").containsEntry("error_message", "last");
        assertThat((Long) db.one("select count(*) from pgflow_internal.task_attempts where run_id = ?", r1)).isEqualTo(2L);

        SQLException lengths = db.error("select * from pgflow.fail_tasks(array[?]::uuid[], array['a', 'b'], array[0], array['x'])", r2);
        assertThat(message(lengths)).isEqualTo(
                "fail_tasks: run_ids (1), step_slugs (2), task_indexes (1) and error_messages (1) must have the same length");
    }
}
