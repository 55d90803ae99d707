package io.pgflowee.engine.worker;

import java.util.UUID;

/** A task as {@code claim_tasks} returned it to a worker. */
record Task(UUID runId, String stepSlug, int taskIndex, String input, String flowInput, int attempt, int timeoutSeconds) {
}
