package io.pgflowee.engine.control;

import java.time.OffsetDateTime;

/**
 * The operator settings of a flow after {@code pause_flow}, {@code resume_flow} or
 * {@code set_flow_concurrency}.
 *
 * @param pausedAt when the flow was paused, or null while it runs
 * @param maxRunning the concurrency limit, or null for none
 */
public record FlowControlRow(String flowSlug, OffsetDateTime pausedAt, Integer maxRunning) {

    public boolean paused() {
        return pausedAt != null;
    }
}
