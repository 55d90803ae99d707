package io.pgflowee.api.flow;

import jakarta.json.JsonObject;

/**
 * A step's options as defined; null means "not set" (the flow's value, then the engine default
 * applies at run time, and the compiler leaves the option out).
 *
 * @param maxAttempts attempts before the step is exhausted (at least 1)
 * @param baseDelay seconds; retry n waits {@code floor(baseDelay * 2^n)} (at least 1)
 * @param timeout seconds a task may run (at least 3)
 * @param startDelay seconds to wait before the step's tasks become claimable (at least 0)
 * @param requiredInputPattern {@code when(...)}: the step runs only if its input contains this JSON
 * @param forbiddenInputPattern {@code unless(...)}: the step runs only if its input does not contain this JSON
 * @param whenUnmet what a condition that does not hold does (default {@link WhenUnmet#SKIP})
 * @param whenExhausted what a task failing its last attempt does (default {@link WhenExhausted#FAIL})
 */
public record StepOptions(Integer maxAttempts, Integer baseDelay, Integer timeout, Integer startDelay,
                          JsonObject requiredInputPattern, JsonObject forbiddenInputPattern,
                          WhenUnmet whenUnmet, WhenExhausted whenExhausted) {
}
