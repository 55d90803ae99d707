package io.pgflowee.engine.query;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One run of a family (a root run and the child runs its subflow steps started, their children...),
 * as the family view lists it.
 *
 * @param parentRunId null for the root
 * @param parentStepSlug the parent's subflow step that started it, null for the root
 * @param parentTaskIndex the task of that step (the element of a map subflow), null for the root
 * @param current whether the parent task still waits for (or took its output from) this child: false for
 *        an earlier child of a retried task, kept for inspection
 */
public record FamilyMember(UUID runId, String flowSlug, String status, UUID parentRunId, String parentStepSlug,
                           Integer parentTaskIndex, OffsetDateTime startedAt, OffsetDateTime endedAt, boolean current) {
}
