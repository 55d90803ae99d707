package io.pgflowee.client;

import java.time.Instant;
import java.util.UUID;

/**
 * A run as it stands.
 *
 * @param runId          the run
 * @param flowSlug       its flow
 * @param state          started, completed, failed or cancelled
 * @param remainingSteps steps not yet completed or skipped
 * @param startedAt      when it started (or was last retried from)
 * @param endedAt        when it ended, or null while it runs
 * @param failure        why it failed (a failed run only), else null
 * @param cancelReason   why it was cancelled (a cancelled run with a reason only), else null
 * @param outputJson     the run output as JSON text (a completed run), else null; compare it parsed: the spacing
 *                       differs between the in-server and the remote client
 */
public record RunStatus(UUID runId, String flowSlug, RunState state, int remainingSteps, Instant startedAt, Instant endedAt,
                        RunFailure failure, String cancelReason, String outputJson) {
}
