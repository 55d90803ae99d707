package io.pgflowee.engine.query;

import java.time.OffsetDateTime;

/**
 * One {@code retry_run} of a run ({@code pgflow_internal.run_retries}).
 *
 * @param number the run's retry count after it (1 for the first retry)
 * @param retriedAt when
 * @param retriedBy the signed-in user (console, REST API), or {@code database role <name>}
 */
public record RunRetry(int number, OffsetDateTime retriedAt, String retriedBy) {
}
