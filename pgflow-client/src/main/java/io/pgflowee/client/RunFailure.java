package io.pgflowee.client;

import java.time.Instant;

/**
 * Why a run failed: the first step that failed, its task and the attempt that used up the retries.
 *
 * @param stepSlug  the step that failed
 * @param taskIndex its task (the element of a map step; 0 for a single step), or -1 when the step
 *                  failed without a task failing (a run timeout, a map given a non-array)
 * @param attempt   the attempt that failed last (counted from 1), 0 without a task
 * @param error     the handler's error message, or the engine's
 * @param failedAt  when the step failed
 */
public record RunFailure(String stepSlug, int taskIndex, int attempt, String error, Instant failedAt) {

    /** Where and why, with the error's first line (a handler's error carries its stack trace after it). */
    @Override
    public String toString() {
        String first = error == null ? "(no message)" : error.lines().findFirst().orElse("");
        return "step '" + stepSlug + "'" + (taskIndex > 0 ? " task " + taskIndex : "")
                + (attempt > 0 ? " failed on attempt " + attempt : " failed") + ": " + first;
    }
}
