package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/** retry_run: a failed or cancelled run resumes where it stopped, reusing everything that completed. */
class RetryRunTest extends SqlEngineTest {

    @Test
    void aMapThatFailedIn3Of50TasksReQueuesOnlyThose3() {
        define("select pgflow.create_flow('m', max_attempts => 1)", "select pgflow.add_step('m', 'each', step_type => 'map')",
               "select pgflow.add_step('m', 'sum', ARRAY['each'])");
        UUID run = start("m", IntStream.range(0, 50).mapToObj(Integer::toString).toList().toString());
        assertThat(claim("m", 50)).hasSize(50);
        List<Integer> failing = List.of(7, 23, 41);
        for (int i = 0; i < 50; i++) {
            if (!failing.contains(i)) {
                complete(run, "each", i, Integer.toString(i * 2));
            }
        }
        failing.forEach(i -> fail(run, "each", i, "element " + i + " broke"));
        assertThat(run(run)).containsEntry("status", "failed");

        var retried = retry(run);

        assertThat(retried).containsEntry("status", "started").containsEntry("retry_count", 1)
                .containsEntry("failed_at", null).containsEntry("remaining_steps", 2);
        assertThat(retried.get("last_retried_at")).isNotNull();
        assertThat(step(run, "each")).containsEntry("status", "started").containsEntry("remaining_tasks", 3)
                .containsEntry("initial_tasks", 50).containsEntry("error_message", null).containsEntry("failed_at", null);
        assertThat(task(run, "each", 23)).containsEntry("status", "queued").containsEntry("attempts_count", 0)
                .containsEntry("error_message", "element 23 broke").containsEntry("failed_at", null);
        assertThat(task(run, "each", 22)).containsEntry("status", "completed").containsEntry("output", "44");
        assertThat(step(run, "sum")).containsEntry("status", "created").containsEntry("remaining_deps", 1);

        List<Map<String, Object>> again = claim("m", 50);
        assertThat(again).extracting(t -> t.get("task_index")).containsExactlyInAnyOrder(7, 23, 41);
        assertThat(again).allSatisfy(t -> assertThat(t.get("attempts_count")).isEqualTo(1));
        failing.forEach(i -> complete(run, "each", i, Integer.toString(i * 2)));
        assertThat(step(run, "each")).containsEntry("status", "completed")
                .containsEntry("output", IntStream.range(0, 50).mapToObj(i -> Integer.toString(i * 2)).toList().toString());
        assertThat(claim("m", 10)).singleElement().satisfies(t -> assertThat(t.get("step_slug")).isEqualTo("sum"));
        complete(run, "sum", 0, "2450");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"sum\": 2450}")
                .containsEntry("retry_count", 1);
    }

    @Test
    void aRunFailedByATypeViolationRunsTheOffendingStepAgainAndItsMapLearnsItsCountAfresh() {
        define("select pgflow.create_flow('tv')", "select pgflow.add_step('tv', 'list')",
               "select pgflow.add_step('tv', 'each', ARRAY['list'], step_type => 'map')");
        UUID run = start("tv", "{}");
        claim("tv", 10);
        complete(run, "list", 0, "{\"not\": \"an array\"}");
        assertThat(run(run)).containsEntry("status", "failed");
        assertThat(step(run, "list")).containsEntry("status", "failed");

        retry(run);

        assertThat(task(run, "list", 0)).containsEntry("status", "queued").containsEntry("output", null)
                .containsEntry("attempts_count", 0).containsEntry("error_message", "[TYPE_VIOLATION] Produced object instead of array");
        assertThat(step(run, "list")).containsEntry("status", "started").containsEntry("remaining_tasks", 1);
        assertThat(step(run, "each")).containsEntry("status", "created").containsEntry("initial_tasks", null)
                .containsEntry("remaining_deps", 1);
        claim("tv", 10);
        complete(run, "list", 0, "[\"a\", \"b\"]");
        assertThat(claim("tv", 10)).extracting(t -> t.get("input")).containsExactlyInAnyOrder("\"a\"", "\"b\"");
        complete(run, "each", 0, "1");
        complete(run, "each", 1, "2");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"each\": [1, 2]}");
    }

    @Test
    void aRunFailedByATimedOutTaskRunsThatTaskAgainFromAttemptOne() {
        define("select pgflow.create_flow('to', max_attempts => 1, timeout => 3)", "select pgflow.add_step('to', 'slow')");
        UUID run = start("to", "{}");
        claim("to", 10);
        expireLeases(run);
        assertThat(claim("to", 10)).as("the claim fails the expired last attempt").isEmpty();
        assertThat(run(run)).containsEntry("status", "failed");
        assertThat(task(run, "slow", 0).get("permanently_stalled_at")).isNotNull();

        retry(run);

        assertThat(task(run, "slow", 0)).containsEntry("status", "queued").containsEntry("attempts_count", 0)
                .containsEntry("permanently_stalled_at", null)
                .containsEntry("error_message", "Task timed out: no result within its 3 s timeout (lease expired on attempt 1)");
        assertThat(claim("to", 10)).singleElement().satisfies(t -> assertThat(t.get("attempts_count")).isEqualTo(1));
        complete(run, "slow", 0, "\"done\"");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"slow\": \"done\"}");
    }

    @Test
    void aRunFailedByAnUnmetConditionWithWhenUnmetFailEvaluatesItAgainAndFailsAgain() {
        define("select pgflow.create_flow('g')",
               "select pgflow.add_step('g', 'gate', required_input_pattern => '{\"go\": true}', when_unmet => 'fail')");
        UUID run = start("g", "{\"go\": false}");
        assertThat(run(run)).containsEntry("status", "failed");

        var retried = retry(run);

        assertThat(retried).as("the condition is evaluated again within the call").containsEntry("status", "failed")
                .containsEntry("retry_count", 1);
        assertThat(retried.get("failed_at")).isNotNull();
        assertThat(step(run, "gate")).containsEntry("status", "failed").containsEntry("error_message", "Condition not met");
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ?", run)).isZero();
    }

    @Test
    void aCancelledRunResumesTheCancelledStepAndRunsItsDependentsAfterIt() {
        define("select pgflow.create_flow('ch')", "select pgflow.add_step('ch', 'a')",
               "select pgflow.add_step('ch', 'b', ARRAY['a'])", "select pgflow.add_step('ch', 'c', ARRAY['b'])");
        UUID run = start("ch", "{}");
        claim("ch", 10);
        complete(run, "a", 0, "\"A\"");
        claim("ch", 10);
        cancel(run, "deploy in progress");

        var retried = retry(run);

        assertThat(retried).containsEntry("status", "started").containsEntry("cancelled_at", null)
                .containsEntry("cancel_reason", null).containsEntry("retry_count", 1).containsEntry("remaining_steps", 2);
        assertThat(step(run, "a")).containsEntry("status", "completed").containsEntry("output", "\"A\"");
        assertThat(step(run, "b")).containsEntry("status", "started").containsEntry("cancelled_at", null)
                .containsEntry("remaining_tasks", 1);
        assertThat(task(run, "b", 0)).containsEntry("status", "queued").containsEntry("cancelled_at", null)
                .containsEntry("attempts_count", 0);
        assertThat(step(run, "c")).containsEntry("status", "created").containsEntry("remaining_deps", 1)
                .containsEntry("cancelled_at", null);
        assertThat(claim("ch", 10)).singleElement().satisfies(t -> assertThat(t.get("input")).isEqualTo("{\"a\": \"A\"}"));
        complete(run, "b", 0, "\"B\"");
        claim("ch", 10);
        complete(run, "c", 0, "\"C\"");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("output", "{\"c\": \"C\"}");
    }

    @Test
    void aSkipCascadedBranchRunsAgainButABranchSkippedByACascadingConditionStaysSkipped() {
        define("select pgflow.create_flow('sc', max_attempts => 1)",
               "select pgflow.add_step('sc', 'src', when_exhausted => 'skip-cascade')",
               "select pgflow.add_step('sc', 'mid', ARRAY['src'])",
               "select pgflow.add_step('sc', 'leaf', ARRAY['mid'])",
               "select pgflow.add_step('sc', 'boom')",
               "select pgflow.add_step('sc', 'gated', required_input_pattern => '{\"never\": true}', when_unmet => 'skip-cascade')",
               "select pgflow.add_step('sc', 'joined', ARRAY['gated', 'src'])");
        UUID run = start("sc", "{}");
        claim("sc", 10);
        fail(run, "src", 0, "src broke");
        fail(run, "boom", 0, "boom broke");
        assertThat(run(run)).containsEntry("status", "failed");
        assertThat(step(run, "leaf")).containsEntry("skip_reason", "dependency_skipped");

        var retried = retry(run);

        assertThat(retried).containsEntry("status", "started").containsEntry("remaining_steps", 4);
        assertThat(step(run, "src")).containsEntry("status", "started").containsEntry("skip_reason", null)
                .containsEntry("skipped_at", null).containsEntry("remaining_tasks", 1);
        assertThat(step(run, "mid")).containsEntry("status", "created").containsEntry("remaining_deps", 1);
        assertThat(step(run, "leaf")).containsEntry("status", "created").containsEntry("remaining_deps", 1);
        assertThat(step(run, "boom")).containsEntry("status", "started");
        assertThat(step(run, "gated")).containsEntry("status", "skipped").containsEntry("skip_reason", "condition_unmet");
        assertThat(step(run, "joined")).containsEntry("status", "skipped").containsEntry("skip_reason", "dependency_skipped");

        claim("sc", 10);
        complete(run, "src", 0, "1");
        complete(run, "boom", 0, "\"B\"");
        claim("sc", 10);
        complete(run, "mid", 0, "2");
        claim("sc", 10);
        complete(run, "leaf", 0, "3");
        assertThat(run(run)).containsEntry("status", "completed").containsEntry("remaining_steps", 0)
                .containsEntry("output", "{\"boom\": \"B\", \"leaf\": 3}");
    }

    @Test
    void aStepSkippedWhenItsHandlerFailedRunsAgainAndSoDoesItsCompletedDependent() {
        define("select pgflow.create_flow('sk', max_attempts => 1)", "select pgflow.add_step('sk', 'a')",
               "select pgflow.add_step('sk', 'opt', when_exhausted => 'skip')",
               "select pgflow.add_step('sk', 'join', ARRAY['a', 'opt'])", "select pgflow.add_step('sk', 'boom')");
        UUID run = start("sk", "{}");
        claim("sk", 10);
        complete(run, "a", 0, "\"A\"");
        fail(run, "opt", 0, "optional broke");
        claim("sk", 10);
        complete(run, "join", 0, "\"without opt\"");
        fail(run, "boom", 0, "boom broke");

        retry(run);

        assertThat(step(run, "opt")).containsEntry("status", "started");
        assertThat(step(run, "join")).containsEntry("status", "created").containsEntry("output", null)
                .containsEntry("remaining_deps", 1).containsEntry("completed_at", null);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'join'", run)).isZero();
        claim("sk", 10);
        complete(run, "opt", 0, "\"O\"");
        complete(run, "boom", 0, "\"B\"");
        assertThat(claim("sk", 10)).singleElement()
                .satisfies(t -> assertThat(t.get("input")).isEqualTo("{\"a\": \"A\", \"opt\": \"O\"}"));
        complete(run, "join", 0, "\"with opt\"");
        assertThat(run(run)).containsEntry("status", "completed")
                .containsEntry("output", "{\"boom\": \"B\", \"join\": \"with opt\"}");
    }

    @Test
    void twoConcurrentRetriesOfOneRunRetryItOnce() throws Exception {
        define("select pgflow.create_flow('cc', max_attempts => 1)", "select pgflow.add_step('cc', 'a')");
        UUID run = start("cc", "{}");
        claim("cc", 10);
        fail(run, "a", 0, "x");
        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<String>> outcomes = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                outcomes.add(pool.submit(() -> {
                    together.await();
                    try {
                        return "retried " + db.one("select retry_count from pgflow.retry_run(?)", run);
                    } catch (IllegalStateException e) {
                        return message((SQLException) e.getCause());
                    }
                }));
            }
            List<String> results = new ArrayList<>();
            for (Future<String> f : outcomes) {
                results.add(f.get());
            }
            assertThat(results).containsExactlyInAnyOrder("retried 1",
                    "Run " + run + " is started: only a failed or cancelled run can be retried");
        } finally {
            pool.shutdownNow();
        }
        assertThat(run(run)).containsEntry("status", "started").containsEntry("retry_count", 1);
        assertThat(task(run, "a", 0)).containsEntry("status", "queued");
    }

    @Test
    void retryingAStartedCompletedOrUnknownRunFails() {
        define("select pgflow.create_flow('r')", "select pgflow.add_step('r', 'a')");
        UUID started = start("r", "{}");
        UUID done = start("r", "{}");
        claim("r", 10);
        complete(done, "a", 0, "1");
        UUID unknown = UUID.randomUUID();

        SQLException startedError = db.error("select pgflow.retry_run(?)", started);
        SQLException doneError = db.error("select pgflow.retry_run(?)", done);
        SQLException unknownError = db.error("select pgflow.retry_run(?)", unknown);

        assertThat(message(startedError)).isEqualTo("Run " + started + " is started: only a failed or cancelled run can be retried");
        assertThat(startedError.getMessage()).contains("Hint: It is still running; cancel it first (pgflow.cancel_run)");
        assertThat(sqlState(startedError)).isEqualTo("55000");
        assertThat(message(doneError)).isEqualTo("Run " + done + " is completed: only a failed or cancelled run can be retried");
        assertThat(message(unknownError)).isEqualTo("Run " + unknown + " does not exist");
        assertThat(sqlState(unknownError)).isEqualTo("P0002");
        assertThat(run(started)).containsEntry("retry_count", 0);
    }

    @Test
    void retryEmitsRunRetriedAndTheResumedStepsStart() throws Exception {
        define("select pgflow.create_flow('ev', max_attempts => 1)", "select pgflow.add_step('ev', 'a')",
               "select pgflow.add_step('ev', 'b', ARRAY['a'])");
        UUID run = start("ev", "{}");
        claim("ev", 10);
        fail(run, "a", 0, "x");
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_events");
            db.exec("select pgflow.subscribe_events(?, ?, 60)", UUID.randomUUID(), run);

            retry(run);

            List<String> events = drain(listener, "pgflow_events");
            assertThat(eventTypes(events)).containsExactly("run:retried", "step:started a");
            assertThat(events.get(0)).contains("\"status\": \"started\"");
        }
    }
}
