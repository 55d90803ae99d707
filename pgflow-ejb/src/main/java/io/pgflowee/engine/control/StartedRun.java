package io.pgflowee.engine.control;

/**
 * The outcome of a start: the run as {@code start_flow} returned it, and whether this call created
 * it (false: an idempotent repeat returned the run started before).
 */
public record StartedRun(RunRow run, boolean created) {
}
