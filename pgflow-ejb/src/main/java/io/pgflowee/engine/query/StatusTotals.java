package io.pgflowee.engine.query;

import java.util.Map;
import java.util.Set;

import io.pgflowee.engine.model.RunStatus;

/**
 * Runs per status, each one true: an exact count, or, for a status with more than
 * {@link RunQueries#COUNT_CAP} matching runs, the lower bound {@value RunQueries#COUNT_CAP} (listed in
 * {@code lowerBounds}; shown "10,000+"). Counting stops there so that a page stays fast with
 * millions of runs; nothing is estimated.
 */
public record StatusTotals(Map<RunStatus, Long> counts, Set<RunStatus> lowerBounds) {

    public StatusTotals {
        counts = Map.copyOf(counts);
        lowerBounds = lowerBounds == null || lowerBounds.isEmpty() ? Set.of() : Set.copyOf(lowerBounds);
    }

    /** Every count exact (no status had more than {@link RunQueries#COUNT_CAP} runs). */
    public boolean exact() {
        return lowerBounds.isEmpty();
    }

    public long count(RunStatus status) {
        return counts.getOrDefault(status, 0L);
    }

    /** {@code 293}, or {@code 10,000+} for a lower bound. */
    public String shown(RunStatus status) {
        return lowerBounds.contains(status) ? String.format(java.util.Locale.ROOT, "%,d+", count(status)) : String.valueOf(count(status));
    }

    /** The sum of the counts: exact when {@link #exact()}, else a lower bound. */
    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
