package io.pgflowee.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.query.StatusTotals;

/** What the console writes for a running job's progress, a step's tasks and counts that stopped at the cap. */
class ProgressAndCountsTextTest {

    @Test
    void aRunningJobSaysDoneOfTotalItsRateAndTheTimeLeft() {
        assertThat(JobsView.progressText(1_234, 5_000L, 4.0)).isEqualTo("done 1,234 of 5,000 (24.7 %) · 309 a second · about 12.2 s left");
        assertThat(JobsView.progressText(3, 600L, 2.0)).isEqualTo("done 3 of 600 (0.5 %) · 1.5 a second · about 6 min 38 s left");
        assertThat(JobsView.progressText(5_000, 5_000L, 10.0)).isEqualTo("done 5,000 of 5,000 (100.0 %) · 500 a second");
        assertThat(JobsView.progressText(42, null, 2.0)).as("no total counted").isEqualTo("done 42 · 21 a second");
        assertThat(JobsView.progressText(0, 0L, 0.5)).isEqualTo("done 0 of 0 · 0.0 a second");
        assertThat(JobsView.progressText(0, 10L, 0.0)).isEqualTo("done 0 of 10 (0.0 %) · 0.0 a second");
    }

    @Test
    void aWideStepSaysItsTasksPerStatusInAFixedOrder() {
        assertThat(RunView.taskSummary(10_000, Map.of("completed", 9_990L, "failed", 10L)))
                .isEqualTo("10,000 tasks: 10 failed · 9,990 completed");
        assertThat(RunView.taskSummary(3, Map.of("queued", 1L, "started", 2L))).isEqualTo("3 tasks: 2 started · 1 queued");
    }

    @Test
    void countsPastTheCapAreShownAsLowerBounds() {
        StatusTotals t = new StatusTotals(Map.of(RunStatus.STARTED, 3L, RunStatus.COMPLETED, 10_000L, RunStatus.FAILED, 0L,
                RunStatus.CANCELLED, 7L), java.util.Set.of(RunStatus.COMPLETED));
        assertThat(List.of(t.shown(RunStatus.STARTED), t.shown(RunStatus.COMPLETED), t.shown(RunStatus.FAILED), t.shown(RunStatus.CANCELLED)))
                .containsExactly("3", "10,000+", "0", "7");
        assertThat(t.exact()).isFalse();
        assertThat(t.total()).isEqualTo(10_010L);
    }
}
