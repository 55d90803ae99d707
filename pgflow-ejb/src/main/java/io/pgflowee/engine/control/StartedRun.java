package io.pgflowee.engine.control;

/**
 * The outcome of a start: the run with its step states ({@code get_run_with_states} JSON), and
 * whether this call created it (false: an idempotent repeat returned the run started before).
 */
public record StartedRun(String runWithStates, String runId, boolean created) {
}
