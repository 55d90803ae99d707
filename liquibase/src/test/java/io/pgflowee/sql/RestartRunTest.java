package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/** restart_run: a new run of the same flow with the same input, linked to the original. */
class RestartRunTest extends SqlEngineTest {

    @Test
    void aFailedRunRestartsAsANewRunWithTheSameInputAndALinkBack() {
        define("select pgflow.create_flow('r', max_attempts => 1)", "select pgflow.add_step('r', 'a')");
        UUID original = start("r", "{\"order\": 42}");
        claim("r", 10);
        fail(original, "a", 0, "broken");

        Map<String, Object> restarted = db.row("select run_id, status, input::text as input, restart_of_run_id, retry_count"
                + " from pgflow.restart_run(?)", original);

        UUID fresh = (UUID) restarted.get("run_id");
        assertThat(fresh).isNotEqualTo(original);
        assertThat(restarted).containsEntry("status", "started").containsEntry("input", "{\"order\": 42}")
                .containsEntry("restart_of_run_id", original).containsEntry("retry_count", 0);
        assertThat(run(original)).containsEntry("status", "failed").containsEntry("restart_of_run_id", null);
        assertThat(claim("r", 10)).singleElement().satisfies(t -> {
            assertThat(t.get("run_id")).isEqualTo(fresh);
            assertThat(t.get("flow_input")).isEqualTo("{\"order\": 42}");
            assertThat(t.get("attempts_count")).isEqualTo(1);
        });
    }

    @Test
    void completedAndCancelledRunsCanBeRestartedToo() {
        define("select pgflow.create_flow('r')", "select pgflow.add_step('r', 'a')");
        UUID done = start("r", "{}");
        claim("r", 10);
        complete(done, "a", 0, "1");
        UUID cancelled = start("r", "{}");
        cancel(cancelled, null);

        UUID again = db.one("select run_id from pgflow.restart_run(?)", done);
        UUID again2 = db.one("select run_id from pgflow.restart_run(?)", cancelled);

        assertThat(run(again)).containsEntry("status", "started").containsEntry("restart_of_run_id", done);
        assertThat(run(again2)).containsEntry("status", "started").containsEntry("restart_of_run_id", cancelled);
        assertThat((Long) db.one("select count(*) from pgflow.runs where restart_of_run_id is not null")).isEqualTo(2L);
    }

    @Test
    void restartingAnUnknownRunFailsAndStartsNothing() {
        define("select pgflow.create_flow('r')", "select pgflow.add_step('r', 'a')");
        UUID unknown = UUID.randomUUID();

        SQLException e = db.error("select pgflow.restart_run(?)", unknown);

        assertThat(message(e)).isEqualTo("Run " + unknown + " does not exist");
        assertThat(sqlState(e)).isEqualTo("P0002");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isZero();
    }
}
