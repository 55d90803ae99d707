package io.pgflowee.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TypeRef;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.flows.FlowStatus;
import io.pgflowee.engine.flows.FlowVerifier;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.json.JsonValue;

/**
 * The worker of one flow against a real PostgreSQL, on plain executors (the server hands it
 * managed ones): retries with backoff, permanent failures, timeouts, a map over 100 items, and a
 * graceful stop.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class FlowWorkerTest {

    private static final WorkerSettings FAST = new WorkerSettings(10, 10, Duration.ofMillis(50), Duration.ofSeconds(5), Duration.ofSeconds(10));

    private DataSource dataSource;
    private Db db;
    private ExecutorService executor;
    private ScheduledExecutorService scheduler;
    private FlowWorker worker;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        dataSource = ds;
        db = new Db(ds);
        executor = Executors.newCachedThreadPool();
        scheduler = Executors.newScheduledThreadPool(2);
    }

    @AfterEach
    void tearDown() {
        if (worker != null) {
            worker.stop();
        }
        executor.shutdownNow();
        scheduler.shutdownNow();
    }

    private FlowWorker start(Flow<?> flow, WorkerSettings settings) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            assertThat(FlowVerifier.verify(c, flow, true).state()).isEqualTo(FlowStatus.State.COMPILED);
        }
        worker = new FlowWorker(flow, dataSource, executor, scheduler, settings, JsonCodec.create(), "test");
        worker.start();
        return worker;
    }

    private String awaitEnd(UUID run, int seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            String status = db.one("select status from pgflow.runs where run_id = ?", run);
            if (!"started".equals(status)) {
                return status;
            }
            Thread.sleep(50);
        }
        return "started";
    }

    @Test
    void aHandlerThatFailsTwiceThenSucceedsCompletesOnItsThirdAttemptAfterTheBackoff() throws Exception {
        List<Long> attemptsAt = new CopyOnWriteArrayList<>();
        Flow<JsonValue> flow = Flow.define("flaky", JsonValue.class).maxAttempts(3).baseDelay(1);
        flow.step("call", String.class).run((in, ctx) -> {
            attemptsAt.add(System.nanoTime());
            if (ctx.attempt() < 3) {
                throw new IllegalStateException("service unavailable (attempt " + ctx.attempt() + ")");
            }
            return "ok on attempt " + ctx.attempt();
        });
        start(flow, FAST);
        UUID run = db.one("select run_id from pgflow.start_flow('flaky', '{}'::jsonb)");
        assertThat(awaitEnd(run, 60)).isEqualTo("completed");
        assertThat(db.row("select status, attempts_count, output::text as output, error_message from pgflow.step_tasks where run_id = ?", run))
                .containsEntry("status", "completed").containsEntry("attempts_count", 3)
                .containsEntry("output", "\"ok on attempt 3\"");
        assertThat(attemptsAt).hasSize(3);
        // backoff floor(1 * 2^n): 2 s after the first failure, 4 s after the second
        assertThat(TimeUnit.NANOSECONDS.toMillis(attemptsAt.get(1) - attemptsAt.get(0))).isGreaterThanOrEqualTo(1900);
        assertThat(TimeUnit.NANOSECONDS.toMillis(attemptsAt.get(2) - attemptsAt.get(1))).isGreaterThanOrEqualTo(3900);
    }

    @Test
    void aHandlerThatAlwaysFailsFailsTheRunWithItsErrorInTheSeedsFailedStepsQuery() throws Exception {
        Flow<JsonValue> flow = Flow.define("doomed", JsonValue.class).maxAttempts(2).baseDelay(1);
        flow.step("charge", String.class).run(in -> {
            throw new IllegalArgumentException("card declined");
        });
        start(flow, FAST);
        UUID run = db.one("select run_id from pgflow.start_flow('doomed', '{}'::jsonb)");
        assertThat(awaitEnd(run, 60)).isEqualTo("failed");
        List<Map<String, Object>> failed = db.rows("SELECT ss.step_slug, st.attempts_count, st.error_message, st.failed_at\n"
                + "FROM pgflow.step_states ss\nJOIN pgflow.step_tasks st ON\n  ss.run_id = st.run_id AND\n  ss.step_slug = st.step_slug\n"
                + "WHERE ss.run_id = '" + run + "' AND ss.status = 'failed';");
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0)).containsEntry("step_slug", "charge").containsEntry("attempts_count", 2);
        String error = (String) failed.get(0).get("error_message");
        assertThat(error).startsWith("java.lang.IllegalArgumentException: card declined\n\tat ");
        assertThat(error.lines().count()).isLessThanOrEqualTo(10);
    }

    @Test
    void aHandlerRunningPastItsTimeoutIsInterruptedAndTheTaskFailsAsTimedOut() throws Exception {
        AtomicInteger interrupted = new AtomicInteger();
        Flow<JsonValue> flow = Flow.define("slow", JsonValue.class).maxAttempts(1).timeout(3);
        flow.step("sleep", String.class).run((in, ctx) -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                assertThat(ctx.isCancelled()).isTrue();
                throw e;
            }
            return "woke up";
        });
        start(flow, FAST);
        long t0 = System.nanoTime();
        UUID run = db.one("select run_id from pgflow.start_flow('slow', '{}'::jsonb)");
        assertThat(awaitEnd(run, 30)).isEqualTo("failed");
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isBetween(3L, 15L);
        assertThat(interrupted).hasValue(1);
        assertThat((String) db.one("select error_message from pgflow.step_tasks where run_id = ?", run))
                .isEqualTo("Task timed out: the handler was still running after its 3 s timeout and was interrupted (attempt 1)");
    }

    @Test
    void aMapOverOneHundredItemsCompletesWithOutputsInOrder() throws Exception {
        Flow<JsonValue> flow = Flow.define("hundred", JsonValue.class);
        Step<List<Integer>> numbers = flow.step("numbers", new TypeRef<List<Integer>>() { })
                .run(in -> IntStream.rangeClosed(1, 100).boxed().toList());
        Step<List<Integer>> squares = flow.map("squares", Integer.class).over(numbers).run(n -> n * n);
        flow.step("sum", Integer.class).after(squares).run(list -> list.stream().mapToInt(Integer::intValue).sum());
        start(flow, FAST);
        UUID run = db.one("select run_id from pgflow.start_flow('hundred', '{}'::jsonb)");
        assertThat(awaitEnd(run, 120)).isEqualTo("completed");
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", run)).isEqualTo("{\"sum\": 338350}");
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ? and step_slug = 'squares' and status = 'completed'", run))
                .isEqualTo(100L);
        assertThat((String) db.one("select output->>99 from pgflow.step_states where run_id = ? and step_slug = 'squares'", run)).isEqualTo("10000");
    }

    @Test
    void stopLetsRunningHandlersFinishMarksTheWorkerStoppedAndClaimsNothingMore() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        Flow<JsonValue> flow = Flow.define("graceful", JsonValue.class);
        flow.step("work", String.class).run(in -> {
            running.countDown();
            Thread.sleep(1500);
            return "done";
        });
        FlowWorker w = start(flow, FAST);
        UUID first = db.one("select run_id from pgflow.start_flow('graceful', '{}'::jsonb)");
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
        w.stop();
        worker = null;
        assertThat((String) db.one("select status from pgflow.runs where run_id = ?", first)).isEqualTo("completed");
        assertThat((Boolean) db.one("select stopped_at is not null from pgflow.workers where worker_id = ?", w.workerId())).isTrue();
        UUID second = db.one("select run_id from pgflow.start_flow('graceful', '{}'::jsonb)");
        Thread.sleep(500);
        assertThat((String) db.one("select status from pgflow.step_tasks where run_id = ?", second)).isEqualTo("queued");
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where last_worker_id = ? and status = 'started'", w.workerId()))
                .isZero();
    }
}
