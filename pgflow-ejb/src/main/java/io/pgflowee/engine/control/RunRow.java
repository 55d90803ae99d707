package io.pgflowee.engine.control;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A row of {@code pgflow.runs} as the operator functions return it; JSON columns as text.
 *
 * @param status {@code started}, {@code completed}, {@code failed} or {@code cancelled}
 * @param retryCount how often {@code retry_run} resumed this run
 * @param restartOfRunId the run this one restarts ({@code restart_run}), or null
 * @param parentRunId a child run: the run whose subflow step started it, else null
 * @param rootRunId the run at the top of its family (itself for a run nobody started)
 * @param concurrencyKey the run's concurrency key, or null
 * @param priority the run's priority (-100..100, higher claimed first)
 */
public record RunRow(UUID runId, String flowSlug, String status, String input, String output, int remainingSteps,
                     OffsetDateTime startedAt, OffsetDateTime completedAt, OffsetDateTime failedAt,
                     OffsetDateTime cancelledAt, String cancelReason, int retryCount, OffsetDateTime lastRetriedAt,
                     UUID restartOfRunId, String idempotencyKey, UUID parentRunId, String parentStepSlug, Integer parentTaskIndex,
                     UUID rootRunId, String concurrencyKey, int priority) {

    /** The columns {@link #read(ResultSet)} expects, for {@code select <COLUMNS> from pgflow.f(...) r}. */
    static final String COLUMNS = "r.run_id, r.flow_slug, r.status, r.input::text, r.output::text, r.remaining_steps,"
            + " r.started_at, r.completed_at, r.failed_at, r.cancelled_at, r.cancel_reason, r.retry_count, r.last_retried_at,"
            + " r.restart_of_run_id, r.idempotency_key, r.parent_run_id, r.parent_step_slug, r.parent_task_index,"
            + " coalesce(r.root_run_id, r.run_id), r.concurrency_key, r.priority";
    /** How many columns {@link #COLUMNS} selects (a query may add its own after them). */
    static final int COLUMN_COUNT = 21;

    static RunRow read(ResultSet rs) throws SQLException {
        return new RunRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getInt(6), rs.getObject(7, OffsetDateTime.class), rs.getObject(8, OffsetDateTime.class),
                rs.getObject(9, OffsetDateTime.class), rs.getObject(10, OffsetDateTime.class), rs.getString(11), rs.getInt(12),
                rs.getObject(13, OffsetDateTime.class), rs.getObject(14, UUID.class), rs.getString(15), rs.getObject(16, UUID.class),
                rs.getString(17), (Integer) rs.getObject(18), rs.getObject(19, UUID.class), rs.getString(20), rs.getInt(21));
    }
}
