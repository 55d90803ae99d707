package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/** NOTIFY channels: pgflow_events (run and step transitions) and pgflow_tasks (wake-ups). */
class EventsAndWakeUpsTest extends SqlEngineTest {

    @Test
    void subscribedRunsEmitEveryTransitionInOrder() throws Exception {
        define("select pgflow.create_flow('ev')", "select pgflow.add_step('ev', 'a')", "select pgflow.add_step('ev', 'b', ARRAY['a'])");
        UUID run = UUID.randomUUID();
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_events");
            db.exec("select pgflow.subscribe_events(?, ?, 60)", UUID.randomUUID(), run);

            db.exec("select * from pgflow.start_flow('ev', '{}', ?)", run);
            claim("ev", 1);
            complete(run, "a", 0, "1");
            claim("ev", 1);
            complete(run, "b", 0, "2");

            String r = run.toString();
            List<String> payloads = drain(listener, "pgflow_events");
            // "at" is the transition's time as written to the tables, in microseconds
            assertThat(payloads).extracting(p -> Long.parseLong(p.replaceAll("^\\{\"at\": (\\d+), .*", "$1")))
                    .containsExactly(
                            micros("select started_at from pgflow.runs where run_id = ?", run),
                            micros("select started_at from pgflow.step_states where run_id = ? and step_slug = 'a'", run),
                            micros("select completed_at from pgflow.step_states where run_id = ? and step_slug = 'a'", run),
                            micros("select started_at from pgflow.step_states where run_id = ? and step_slug = 'b'", run),
                            micros("select completed_at from pgflow.step_states where run_id = ? and step_slug = 'b'", run),
                            micros("select completed_at from pgflow.runs where run_id = ?", run));
            assertThat(payloads).extracting(p -> p.replaceFirst("^\\{\"at\": \\d+, ", "{")).containsExactly(
                    "{\"run_id\": \"" + r + "\", \"status\": \"started\", \"flow_slug\": \"ev\", \"event_type\": \"run:started\"}",
                    "{\"run_id\": \"" + r + "\", \"status\": \"started\", \"flow_slug\": \"ev\", \"step_slug\": \"a\", \"event_type\": \"step:started\"}",
                    "{\"run_id\": \"" + r + "\", \"status\": \"completed\", \"flow_slug\": \"ev\", \"step_slug\": \"a\", \"event_type\": \"step:completed\"}",
                    "{\"run_id\": \"" + r + "\", \"status\": \"started\", \"flow_slug\": \"ev\", \"step_slug\": \"b\", \"event_type\": \"step:started\"}",
                    "{\"run_id\": \"" + r + "\", \"status\": \"completed\", \"flow_slug\": \"ev\", \"step_slug\": \"b\", \"event_type\": \"step:completed\"}",
                    "{\"run_id\": \"" + r + "\", \"status\": \"completed\", \"flow_slug\": \"ev\", \"event_type\": \"run:completed\"}");
        }
    }

    private long micros(String sql, UUID run) {
        return ((Number) db.row("select (extract(epoch from q.at) * 1000000)::bigint as us from (" + sql + ") q(at)", run)
                .get("us")).longValue();
    }

    @Test
    void withoutASubscriptionNoEventIsSentAndExpiredOnesStopIt() throws Exception {
        define("select pgflow.create_flow('q')", "select pgflow.add_step('q', 'a')");
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_events");
            start("q", "{}");
            assertThat(drain(listener, "pgflow_events")).isEmpty();

            UUID other = UUID.randomUUID();
            UUID subscription = UUID.randomUUID();
            db.exec("select pgflow.subscribe_events(?, ?, 60)", subscription, other);
            start("q", "{}");
            assertThat(drain(listener, "pgflow_events")).as("subscribed to another run").isEmpty();

            db.exec("select pgflow.subscribe_events(?, null, 60)", subscription);
            start("q", "{}");
            assertThat(drain(listener, "pgflow_events")).hasSize(2);
            db.exec("select pgflow.unsubscribe_events(?)", subscription);
            start("q", "{}");
            assertThat(drain(listener, "pgflow_events")).isEmpty();
        }
    }

    @Test
    void failuresAndSkipsAreEmittedWithTheirStatus() throws Exception {
        define("select pgflow.create_flow('fs', max_attempts => 1)",
               "select pgflow.add_step('fs', 'opt', when_exhausted => 'skip')", "select pgflow.add_step('fs', 'bad')");
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_events");
            db.exec("select pgflow.subscribe_events(?, null, 60)", UUID.randomUUID());
            UUID run = start("fs", "{}");
            claim("fs", 10);
            fail(run, "opt", 0, "x");
            fail(run, "bad", 0, "y");

            assertThat(drain(listener, "pgflow_events")).extracting(p -> p.replaceAll(".*\"event_type\": \"([^\"]+)\".*", "$1")
                    + (p.contains("handler_failed") ? "/handler_failed" : ""))
                    .containsExactly("run:started", "step:started", "step:started", "step:skipped/handler_failed",
                            "step:failed", "run:failed");
        }
    }

    @Test
    void newTasksWakeIdleWorkersOfTheirFlowOnly() throws Exception {
        define("select pgflow.create_flow('w')", "select pgflow.add_step('w', 'a')", "select pgflow.add_step('w', 'b', ARRAY['a'])");
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_tasks");

            start("w", "{}");
            assertThat(drain(listener, "pgflow_tasks")).as("no worker registered").isEmpty();

            registerWorker("w");
            UUID run = start("w", "{}");
            assertThat(drain(listener, "pgflow_tasks")).containsExactly("w");

            db.exec("select * from pgflow.claim_tasks('w', ?, 1)", worker); // a full claim: the worker is busy
            start("w", "{}");
            assertThat(drain(listener, "pgflow_tasks")).as("busy workers are not woken").isEmpty();

            db.exec("select * from pgflow.claim_tasks('w', ?, 10)", worker); // fewer than asked: idle again
            claim("w", 10);
            complete(run, "a", 0, "1");
            assertThat(drain(listener, "pgflow_tasks")).containsExactly("w");
        }
    }
}
