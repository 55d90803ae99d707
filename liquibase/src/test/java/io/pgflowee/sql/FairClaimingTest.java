package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.pgflowee.testing.SqlEngineTest;

/**
 * Fair claiming: half of each claim goes to the oldest tasks, half by task index, so a run started
 * after a wide map gets its first task claimed at once while the map keeps progressing.
 */
class FairClaimingTest extends SqlEngineTest {

    @Test
    void aRunStartedAfterA10000TaskMapIsClaimedInTheNextClaimAndTheMapKeepsMoving() {
        define("select pgflow.create_flow('fair')", "select pgflow.add_step('fair', 'each', step_type => 'map')");
        UUID wide = db.one("select run_id from pgflow.start_flow('fair', (select jsonb_agg(g) from generate_series(1, 10000) g))");
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ?", wide)).isEqualTo(10000L);

        int wideClaimed = 0;
        for (int round = 0; round < 20; round++) {
            UUID small = start("fair", "[\"x\"]");

            List<Map<String, Object>> claimed = claim("fair", 10);

            assertThat(claimed).as("round %d", round).hasSize(10)
                    .filteredOn(t -> t.get("run_id").equals(small)).hasSize(1);
            wideClaimed += (int) claimed.stream().filter(t -> t.get("run_id").equals(wide)).count();
        }
        assertThat(wideClaimed).as("the wide map got the other 9 of every 10").isEqualTo(180);
        assertThat((Long) db.one("select count(*) from pgflow.step_tasks where run_id = ? and status = 'started'", wide))
                .isEqualTo(180L);
        assertThat((Integer) db.one("select max(task_index) from pgflow.step_tasks where run_id = ? and status = 'started'", wide))
                .as("the map's oldest tasks are claimed in order").isEqualTo(179);
    }

    @Test
    void withoutMapsTheOldestVisibleTasksAreClaimedFirst() {
        define("select pgflow.create_flow('q')", "select pgflow.add_step('q', 'a')");
        UUID first = start("q", "{}");
        UUID second = start("q", "{}");
        UUID third = start("q", "{}");
        assertThat(claim("q", 2)).extracting(t -> t.get("run_id")).containsExactly(first, second);
        assertThat(claim("q", 2)).extracting(t -> t.get("run_id")).containsExactly(third);
    }
}
