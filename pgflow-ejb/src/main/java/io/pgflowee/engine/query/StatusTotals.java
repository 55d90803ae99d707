package io.pgflowee.engine.query;

import java.util.Map;

import io.pgflowee.engine.model.RunStatus;

/**
 * Runs per status. Exact when the filter matches at most {@link RunQueries#EXACT_COUNT_LIMIT} runs;
 * beyond that the counts are PostgreSQL's planner estimates ({@code exact} false), which is what
 * keeps a page fast with millions of runs (estimates come from table statistics that autovacuum
 * refreshes).
 */
public record StatusTotals(Map<RunStatus, Long> counts, boolean exact) {

    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
