package io.pgflowee.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.RunRow;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.worker.WorkerManager;
import io.pgflowee.it.support.ItFlows;
import io.pgflowee.it.support.OnSharedServer;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArray;

/**
 * Handlers on the workers: maps and conditions, retries with backoff, failures, timeouts, a
 * hundred-item map, graceful stops, cancellation and pausing.
 */
public class WorkersIT extends OnSharedServer {

    @Inject
    WorkerManager workers;

    @Inject
    EngineOperations engine;

    @Inject
    FlowQueries flowQueries;

    @Test
    void aMapStepAndAConditionRunOnTheWorkers() throws Exception {
        String lines = "[{\"sku\": \"A-1\", \"price\": 12.50, \"quantity\": 2}, {\"sku\": \"B-7\", \"price\": 3, \"quantity\": 1}]";
        String express = query("select run_id::text from pgflow.start_flow('cart_invoice', '{\"express\": true, \"lines\": " + lines + "}'::jsonb)").get(0);
        String standard = query("select run_id::text from pgflow.start_flow('cart_invoice', '{\"lines\": " + lines + "}'::jsonb)").get(0);
        assertEquals("completed", awaitRunEnd(express));
        assertEquals("completed", awaitRunEnd(standard));
        assertEquals(List.of("{\"invoice\": {\"total\": 33.00, \"subtotal\": 28.00, \"expressFee\": 5.00}}"),
                query("select output::text from pgflow.runs where run_id = '" + express + "'"));
        assertEquals(List.of("{\"invoice\": {\"total\": 28.00, \"subtotal\": 28.00, \"expressFee\": 0.00}}"),
                query("select output::text from pgflow.runs where run_id = '" + standard + "'"));
        assertEquals(List.of("skipped condition_unmet"), query("select status || ' ' || skip_reason from pgflow.step_states"
                + " where run_id = '" + standard + "' and step_slug = 'express_fee'"));
    }

    @Test
    void aHandlerThatFailsTwiceThenSucceedsCompletesOnItsThirdAttemptAfterTheBackoff() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_flaky', '{}'::jsonb)").get(0);
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("completed 3 \"ok on attempt 3\""), query("select status, attempts_count, output::text"
                + " from pgflow.step_tasks where run_id = '" + run + "'"));
        // the task keeps its last error (step_tasks.error_message), the step none
        String lastError = query("select error_message from pgflow.step_tasks where run_id = '" + run + "'").get(0);
        assertTrue(lastError.startsWith("java.lang.IllegalStateException: service unavailable (attempt 2)\n\tat io.pgflowee.it.support.ItFlows$Flaky"),
                lastError);
        assertEquals(List.of("completed null"), query("select status, error_message from pgflow.step_states where run_id = '" + run + "'"));
        assertEquals(3, ItFlows.FLAKY_ATTEMPTS.size());
        // the API lists both failed attempts with their errors
        JsonArray earlier = Json.createReader(new StringReader(getAs("it-viewer", "it-viewer-secret", base.toURI().resolve("api/runs/" + run))
                .body())).readObject().getJsonArray("steps").getJsonObject(0).getJsonArray("tasks").getJsonObject(0)
                .getJsonArray("earlierAttempts");
        assertEquals(2, earlier.size(), earlier.toString());
        for (int i = 0; i < 2; i++) {
            assertEquals(i + 1, earlier.getJsonObject(i).getInt("attempt"));
            assertEquals("failed", earlier.getJsonObject(i).getString("outcome"));
            assertTrue(earlier.getJsonObject(i).getString("errorMessage").startsWith("java.lang.IllegalStateException: service unavailable"
                    + " (attempt " + (i + 1) + ")"), earlier.toString());
        }
        // backoff floor(baseDelay 1 * 2^n): 2 s after the first failure, 4 s after the second
        long firstGap = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(ItFlows.FLAKY_ATTEMPTS.get(1) - ItFlows.FLAKY_ATTEMPTS.get(0));
        long secondGap = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(ItFlows.FLAKY_ATTEMPTS.get(2) - ItFlows.FLAKY_ATTEMPTS.get(1));
        assertTrue(firstGap >= 1900, "retry 1 came " + firstGap + " ms after attempt 1");
        assertTrue(secondGap >= 3900, "retry 2 came " + secondGap + " ms after attempt 2");
    }

    @Test
    void aHandlerThatAlwaysFailsFailsTheRunWithItsErrorInTheSeedsFailedStepsQuery() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_doomed', '{}'::jsonb)").get(0);
        assertEquals("failed", awaitRunEnd(run));
        // the seed README's "Failed Steps" query, verbatim but for YOUR_RUN_ID
        List<java.util.Map<String, String>> failed = rows("SELECT ss.step_slug, st.attempts_count, st.error_message, st.failed_at\n"
                + "FROM pgflow.step_states ss\nJOIN pgflow.step_tasks st ON\n  ss.run_id = st.run_id AND\n  ss.step_slug = st.step_slug\n"
                + "WHERE ss.run_id = '" + run + "' AND ss.status = 'failed';");
        assertEquals(1, failed.size(), failed.toString());
        assertEquals("charge", failed.get(0).get("step_slug"));
        assertEquals("2", failed.get(0).get("attempts_count"));
        assertTrue(failed.get(0).get("failed_at") != null, failed.toString());
        String error = failed.get(0).get("error_message");
        assertTrue(error.startsWith("java.lang.IllegalArgumentException: card declined\n\tat io.pgflowee.it.support.ItFlows$Doomed"), error);
        assertTrue(error.lines().count() <= 10, error);
        assertEquals(List.of("failed true null"), query("select status, (failed_at is not null)::text, output from pgflow.runs where run_id = '" + run + "'"));
    }

    @Test
    void aHandlerRunningPastItsTimeoutIsInterruptedAndTheTaskFailsAsTimedOut() throws Exception {
        long t0 = System.nanoTime();
        String run = query("select run_id::text from pgflow.start_flow('it_slow', '{}'::jsonb)").get(0);
        assertEquals("failed", awaitRunEnd(run));
        long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertTrue(seconds >= 3 && seconds < 60, "failed after " + seconds + " s");
        assertEquals(List.of("interrupted, cancelled=true"), ItFlows.SLOW_INTERRUPTS);
        assertEquals(List.of("failed 1 Task timed out: the handler was still running after its 3 s timeout and was interrupted (attempt 1)"),
                query("select status, attempts_count, error_message from pgflow.step_tasks where run_id = '" + run + "'"));
    }

    @Test
    void aRootMapOverOneHundredItemsCompletesWithItsOutputsInOrder() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_hundred', (select jsonb_agg(g) from generate_series(1, 100) g))").get(0);
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"sum\": 338350}"), query("select output::text from pgflow.runs where run_id = '" + run + "'"));
        assertEquals(List.of("completed 100 1"), query("select status, count(*), max(attempts_count) from pgflow.step_tasks"
                + " where run_id = '" + run + "' and step_slug = 'squares' group by status"));
        assertEquals(List.of("1 100 10000"), query("select output->>0, output->>9, output->>99 from pgflow.step_states"
                + " where run_id = '" + run + "' and step_slug = 'squares'"));
    }

    @Test
    void stoppingAWorkerLetsItsRunningHandlersFinishClaimsNothingMoreAndAnotherWorkerTakesTheRest() throws Exception {
        String stopped = workers.workerIds().get("it_graceful").toString();
        query("select count(*) from generate_series(1, 10) g, lateral pgflow.start_flow('it_graceful', jsonb_build_object('n', g))");
        awaitTrue(() -> ItFlows.GRACEFUL_RUNNING.get() == 2, "two it_graceful handlers running");

        assertTrue(workers.stopWorker("it_graceful"));

        // what undeploy does: the handlers that were running finished and reported, nothing else was claimed
        java.util.Map<String, String> tasks = rows("select count(*) filter (where status = 'completed') as completed,"
                + " count(*) filter (where status = 'queued' and attempts_count = 0) as queued, count(*) as total"
                + " from pgflow.step_tasks where flow_slug = 'it_graceful'").get(0);
        assertEquals("10", tasks.get("total"));
        int completed = Integer.parseInt(tasks.get("completed"));
        assertTrue(completed >= 2 && completed < 10, tasks.toString());
        assertEquals(String.valueOf(10 - completed), tasks.get("queued"), tasks.toString());
        assertEquals(List.of("true"), query("select (stopped_at is not null)::text from pgflow.workers where worker_id = '" + stopped + "'"));
        Thread.sleep(1000); // five poll intervals: a stopped worker claims nothing
        assertEquals(List.of(String.valueOf(completed)), query("select count(*) from pgflow.step_tasks where flow_slug = 'it_graceful'"
                + " and attempts_count > 0"));
        assertEquals(List.of("0"), query("select count(*) from pgflow.step_tasks where status = 'started' and last_worker_id = '" + stopped + "'"));
        assertEquals(2, ItFlows.GRACEFUL_MAX_RUNNING.get(), "pgflow.worker.it_graceful.maxConcurrent=2");

        workers.startWorkers();
        String next = workers.workerIds().get("it_graceful").toString();
        assertTrue(!next.equals(stopped), next);
        awaitTrue(() -> query("select count(*) from pgflow.runs where flow_slug = 'it_graceful' and status = 'completed'").get(0).equals("10"),
                "all ten it_graceful runs completed");
        assertEquals(List.of(String.valueOf(10 - completed)), query("select count(*) from pgflow.step_tasks where flow_slug = 'it_graceful'"
                + " and last_worker_id = '" + next + "' and attempts_count = 1"));
        assertEquals(2, ItFlows.GRACEFUL_MAX_RUNNING.get(), "never more than 2 at once");
    }

    @Test
    void aHandlerStillRunningWhenTheShutdownGraceEndsIsCancelledAndItsTaskIsHandedBackAtOnceWithoutLosingTheAttempt() throws Exception {
        String stopped = workers.workerIds().get("it_stuck").toString();
        String run = query("select run_id::text from pgflow.start_flow('it_stuck', '{}'::jsonb)").get(0);
        awaitTrue(() -> ItFlows.STUCK_RUNNING.get() == 1, "the it_stuck handler running");
        long t0 = System.nanoTime();

        assertTrue(workers.stopWorker("it_stuck"));

        long waited = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(waited >= 1900, "stopWorker returned after " + waited + " ms, before the 2 s grace");
        awaitTrue(() -> ItFlows.STUCK_CANCELLED.size() == 1, "the handler saw its cancellation");
        assertEquals(List.of("interrupted, cancelled=true"), ItFlows.STUCK_CANCELLED);
        // not failed by the shutdown (no error), handed back at once (release_tasks): queued, claimable now, the attempt not counted
        assertEquals(List.of("queued 0 null " + stopped + " t"), query("select status, attempts_count, error_message, last_worker_id,"
                + " visible_at <= clock_timestamp() from pgflow.step_tasks where run_id = '" + run + "'"));
        assertEquals(List.of("1 released " + stopped), query("select attempt, outcome, worker_id from pgflow_internal.task_attempts"
                + " where run_id = '" + run + "'"));

        workers.startWorkers();
        String next = workers.workerIds().get("it_stuck").toString();
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("completed 1 \"finished on attempt 1\" null " + next), query("select status, attempts_count, output::text,"
                + " error_message, last_worker_id from pgflow.step_tasks where run_id = '" + run + "'"));
    }

    @Test
    void aHandlerOfACancelledRunIsInterruptedWithinTwoSecondsAndRetryResumesTheRun() throws Exception {
        String run = query("select run_id::text from pgflow.start_flow('it_cancel', '{}'::jsonb)").get(0);
        java.util.UUID runId = java.util.UUID.fromString(run);
        awaitTrue(() -> ItFlows.CANCEL_RUNNING.get() == 1, "the it_cancel handler running");
        long t0 = System.nanoTime();

        RunRow cancelled = engine.cancelRun(runId, "cancelled by WorkersIT");

        assertEquals("cancelled", cancelled.status());
        assertEquals("cancelled by WorkersIT", cancelled.cancelReason());
        awaitTrue(() -> ItFlows.CANCEL_INTERRUPTS.size() == 1, "the handler saw its cancellation");
        long millis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(ItFlows.CANCEL_ENDED_AT.get() - t0);
        assertTrue(millis < 2000, "the handler was interrupted " + millis + " ms after cancel_run");
        assertEquals(List.of("interrupted, cancelled=true"), ItFlows.CANCEL_INTERRUPTS);
        Thread.sleep(500); // time enough for a report, which the worker must not send
        assertEquals(List.of("cancelled 1 null null"), query("select status, attempts_count, error_message, output::text"
                + " from pgflow.step_tasks where run_id = '" + run + "'"));
        assertEquals(List.of("cancelled cancelled by WorkersIT 0"), query("select status, cancel_reason, retry_count"
                + " from pgflow.runs where run_id = '" + run + "'"));

        RunRow retried = engine.retryRun(runId);

        assertEquals("started", retried.status());
        assertEquals(1, retried.retryCount());
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"wait\": \"resumed on attempt 1\"}"), query("select output::text from pgflow.runs where run_id = '" + run + "'"));
        EngineRefusal refusal = assertThrows(EngineRefusal.class, () -> engine.cancelRun(runId, null));
        assertEquals(EngineRefusal.Kind.CONFLICT, refusal.kind());
        assertEquals("Run " + run + " is completed: only a started run can be cancelled", refusal.getMessage());
    }

    @Test
    void aPausedFlowIsNotClaimedByTheWorkersUntilItIsResumed() throws Exception {
        String run;
        assertTrue(engine.pauseFlow("greet_user").paused());
        try {
            assertEquals(3, engine.setFlowConcurrency("greet_user", 3).maxRunning());
            io.pgflowee.engine.model.FlowRecord listed = flowQueries.flow("greet_user").orElseThrow().flow();
            assertTrue(listed.pausedAt() != null, "paused");
            assertEquals(3, listed.maxRunning());
            run = query("select run_id::text from pgflow.start_flow('greet_user', '{\"first_name\": \"Paula\", \"last_name\": \"Used\"}')").get(0);
            Thread.sleep(1500); // seven poll intervals
            assertEquals(List.of("full_name queued 0"), query("select step_slug, status, attempts_count from pgflow.step_tasks"
                    + " where run_id = '" + run + "'"));
        } finally {
            engine.resumeFlow("greet_user");
            engine.setFlowConcurrency("greet_user", null);
        }
        assertEquals("completed", awaitRunEnd(run));
        assertEquals(List.of("{\"greeting\": \"Hello, Paula Used!\"}"), query("select output::text from pgflow.runs where run_id = '" + run + "'"));
    }
}
