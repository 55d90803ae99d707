package io.pgflowee.client;

import java.time.Instant;
import java.util.UUID;

/**
 * One transition of a run or of one of its steps, as {@link RunHandle#events()} delivers them.
 *
 * @param id       the event's stable id ({@code <micros>/<rank>/<run id>/<step>}): the same transition
 *                 has the same id whether it came live or was re-read after a reconnect
 * @param type     {@code run:started}, {@code run:retried}, {@code run:completed}, {@code run:failed},
 *                 {@code run:cancelled}, {@code step:started}, {@code step:waiting}, {@code step:completed},
 *                 {@code step:failed}, {@code step:skipped}, {@code step:cancelled},
 *                 {@code run:child_started} or {@code run:child_finished}
 * @param runId    the run
 * @param flowSlug its flow
 * @param stepSlug the step (null for the run's own events)
 * @param status   the status the transition led to
 * @param at       when it happened (the time the engine recorded)
 */
public record RunEvent(String id, String type, UUID runId, String flowSlug, String stepSlug, String status, Instant at) {

    /** Whether the run has no further event (until an operator retries it). */
    public boolean terminal() {
        return type.equals("run:completed") || type.equals("run:failed") || type.equals("run:cancelled");
    }
}
