package io.pgflowee.engine.control;

import java.time.OffsetDateTime;

/**
 * The operator settings of a flow after {@code pause_flow}, {@code resume_flow},
 * {@code set_flow_concurrency}, {@code set_key_concurrency} or {@code set_rate_limit}.
 *
 * @param pausedAt when the flow was paused, or null while it runs
 * @param maxRunning the concurrency limit, or null for none
 * @param maxRunningPerKey the limit per concurrency key, or null for none
 * @param ratePerSecond tasks started per second at most (token bucket), or null for no rate limit
 * @param rateBurst the bucket's size, or null
 * @param ratePerKey whether each concurrency key has a bucket of its own
 */
public record FlowControlRow(String flowSlug, OffsetDateTime pausedAt, Integer maxRunning, Integer maxRunningPerKey,
                             java.math.BigDecimal ratePerSecond, Integer rateBurst, boolean ratePerKey) {

    /** The columns {@code EngineOperations} reads, for {@code select <COLUMNS> from pgflow.f(...)}. */
    static final String COLUMNS = "flow_slug, paused_at, max_running, max_running_per_key, rate_per_second, rate_burst, rate_per_key";

    public boolean paused() {
        return pausedAt != null;
    }
}
