package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.SqlEngineTest;

/** pause_flow / resume_flow: a paused flow queues runs but claims nothing; running tasks finish. */
class PauseFlowTest extends SqlEngineTest {

    @Test
    void aPausedFlowQueuesNewRunsButClaimsNothingUntilResumed() {
        define("select pgflow.create_flow('p')", "select pgflow.add_step('p', 'a')", "select pgflow.create_flow('other')",
               "select pgflow.add_step('other', 'a')");
        Object pausedAt = db.one("select paused_at from pgflow.pause_flow('p')");
        UUID run = start("p", "{}");
        start("other", "{}");

        assertThat(pausedAt).isNotNull();
        assertThat(task(run, "a", 0)).containsEntry("status", "queued");
        assertThat(claim("p", 10)).isEmpty();
        assertThat(claim("other", 10)).as("other flows are not paused").hasSize(1);
        assertThat((Object) db.one("select paused_at from pgflow.pause_flow('p')")).as("pausing again keeps the time")
                .isEqualTo(pausedAt);

        assertThat((Object) db.one("select paused_at from pgflow.resume_flow('p')")).isNull();
        assertThat(claim("p", 10)).singleElement().satisfies(t -> assertThat(t.get("run_id")).isEqualTo(run));
    }

    @Test
    void tasksRunningWhenTheFlowIsPausedFinishAndTheirDependentsWait() {
        define("select pgflow.create_flow('p')", "select pgflow.add_step('p', 'a')", "select pgflow.add_step('p', 'b', ARRAY['a'])");
        UUID run = start("p", "{}");
        claim("p", 10);
        db.exec("select pgflow.pause_flow('p')");

        assertThat(complete(run, "a", 0, "1")).containsEntry("status", "completed");

        assertThat(step(run, "b")).containsEntry("status", "started");
        assertThat(claim("p", 10)).isEmpty();
        db.exec("select pgflow.resume_flow('p')");
        assertThat(claim("p", 10)).singleElement().satisfies(t -> assertThat(t.get("step_slug")).isEqualTo("b"));
    }

    @Test
    void resumeWakesTheFlowsWorkersAndPausedFlowsSendNoWakeUps() throws Exception {
        define("select pgflow.create_flow('p')", "select pgflow.add_step('p', 'a')");
        registerWorker("p");
        db.exec("select pgflow.pause_flow('p')");
        try (Connection listener = PgflowDatabaseExtension.newConnection()) {
            listener.createStatement().execute("listen pgflow_tasks");

            start("p", "{}");
            assertThat(drain(listener, "pgflow_tasks")).as("no wake-up while paused").isEmpty();

            db.exec("select pgflow.resume_flow('p')");
            assertThat(drain(listener, "pgflow_tasks")).containsExactly("p");
        }
    }

    @Test
    void pausingOrResumingAnUnknownFlowFails() {
        SQLException pause = db.error("select pgflow.pause_flow('nope')");
        SQLException resume = db.error("select pgflow.resume_flow('nope')");
        assertThat(message(pause)).isEqualTo("Flow \"nope\" does not exist");
        assertThat(message(resume)).isEqualTo("Flow \"nope\" does not exist");
        assertThat(sqlState(pause)).isEqualTo("P0002");
    }
}
