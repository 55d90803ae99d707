package io.pgflowee.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.flows.FlowStatus;
import io.pgflowee.engine.flows.FlowVerifier;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * A handler that snoozes ({@code ctx.snoozeFor}) ends its attempt without failing and without
 * holding a thread: a real worker hands the task back ({@code pgflow.snooze_task}), claims it again
 * after the delay with the same attempt number, and a flow with one attempt completes after several
 * snoozes.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class SnoozeTest {

    private static final WorkerSettings SETTINGS =
            new WorkerSettings(2, 2, Duration.ofMillis(50), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1));

    public record Order(int id) {
    }

    private DataSource dataSource;
    private Db db;
    private ExecutorService handlers;
    private ScheduledExecutorService scheduler;
    private FlowWorker worker;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        dataSource = ds;
        db = new Db(ds);
        handlers = Executors.newCachedThreadPool();
        scheduler = Executors.newScheduledThreadPool(2);
    }

    @AfterEach
    void tearDown() {
        if (worker != null) {
            worker.stop();
        }
        handlers.shutdownNow();
        scheduler.shutdownNow();
    }

    @Test
    void aHandlerThatSnoozesIsCalledAgainAfterTheDelayWithTheSameAttemptAndItsOneAttemptCompletesTheRun() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        List<Long> nanos = new CopyOnWriteArrayList<>();
        Flow<Order> flow = Flow.define("snoozing_poll", Order.class).maxAttempts(1).timeout(30);
        flow.step("await_payment", String.class).run((order, ctx) -> {
            calls.add("attempt " + ctx.attempt());
            nanos.add(System.nanoTime());
            if (calls.size() < 3) {
                ctx.snoozeFor(Duration.ofMillis(300)); // the payment provider has no answer yet
            }
            return "paid " + order.id();
        });
        try (Connection c = dataSource.getConnection()) {
            assertThat(FlowVerifier.verify(c, flow.validate(), true).state()).isEqualTo(FlowStatus.State.COMPILED);
        }
        worker = new FlowWorker(flow, dataSource, handlers, scheduler, SETTINGS, JsonCodec.create(), "test");
        worker.start();

        UUID run = db.one("select run_id from pgflow.start_flow('snoozing_poll', '{\"id\": 42}'::jsonb)");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"completed".equals(db.one("select status from pgflow.runs where run_id = ?", run)) && System.nanoTime() < until) {
            Thread.sleep(50);
        }

        assertThat(db.row("select status, output::text as output from pgflow.runs where run_id = ?", run))
                .isEqualTo(Map.of("status", "completed", "output", "{\"await_payment\": \"paid 42\"}"));
        assertThat(calls).containsExactly("attempt 1", "attempt 1", "attempt 1");
        for (int i = 1; i < nanos.size(); i++) {
            assertThat(TimeUnit.NANOSECONDS.toMillis(nanos.get(i) - nanos.get(i - 1))).as("called again after the snooze")
                    .isGreaterThanOrEqualTo(290);
        }
        assertThat(db.rows("select attempt, outcome from pgflow_internal.task_attempts where run_id = ? order by ended_at", run))
                .containsExactly(Map.of("attempt", 1, "outcome", "snoozed"), Map.of("attempt", 1, "outcome", "snoozed"));
        assertThat(db.row("select status, attempts_count from pgflow.step_tasks where run_id = ?", run))
                .isEqualTo(Map.of("status", "completed", "attempts_count", 1));
    }

    @Test
    void aSnoozeWrappedByALibraryIsStillASnoozeAndANegativeDelayIsRefused() {
        io.pgflowee.api.flow.TaskSnoozed snooze = new io.pgflowee.api.flow.TaskSnoozed(java.time.Instant.parse("2026-12-03T08:00:00Z"));
        assertThat(TaskExecution.snoozeIn(new RuntimeException("wrapped", new IllegalStateException("again", snooze)))).isSameAs(snooze);
        assertThat(TaskExecution.snoozeIn(new RuntimeException("not a snooze"))).isNull();
        io.pgflowee.api.flow.TaskContext ctx = new io.pgflowee.api.flow.TaskContext() {
            public String flowSlug() { return "f"; }
            public UUID runId() { return UUID.randomUUID(); }
            public String stepSlug() { return "s"; }
            public int taskIndex() { return 0; }
            public int attempt() { return 1; }
            public jakarta.json.JsonValue flowInput() { return jakarta.json.JsonValue.NULL; }
            public <T> T flowInput(Class<T> type) { return null; }
            public java.time.Instant deadline() { return java.time.Instant.now(); }
            public boolean isCancelled() { return false; }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ctx.snoozeFor(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("snoozeFor: the delay must be zero or positive, got PT-1S");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ctx.snoozeUntil(java.time.Instant.parse("2026-12-03T08:00:00Z")))
                .isInstanceOf(io.pgflowee.api.flow.TaskSnoozed.class).hasMessage("the handler snoozed its task until 2026-12-03T08:00:00Z");
    }
}
