package io.pgflowee.engine.query;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * An attempt of a task that ended without completing it ({@code pgflow_internal.task_attempts}):
 * the handler failed ({@code failed}), its lease expired ({@code lease expired}), a stopping worker
 * handed it back ({@code released}) or the handler snoozed ({@code snoozed}). The task's
 * current or last attempt is the task itself.
 */
public record TaskAttempt(String stepSlug, int taskIndex, int attempt, UUID workerId, String outcome, String errorMessage,
                          OffsetDateTime startedAt, OffsetDateTime endedAt) {
}
