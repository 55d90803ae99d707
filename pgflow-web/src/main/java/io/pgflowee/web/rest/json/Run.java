package io.pgflowee.web.rest.json;

import java.time.OffsetDateTime;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.control.RunRow;
import io.pgflowee.engine.model.RunRecord;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * A run as the API shows it, built from the read model ({@link RunRecord}) or from the row an engine
 * function returned ({@link RunRow}): the only place a run's JSON is made.
 */
@Schema(name = "Run", description = "A run of a flow.")
@JsonbNillable
@JsonbPropertyOrder({"runId", "flowSlug", "status", "input", "output", "remainingSteps", "startedAt", "completedAt", "failedAt",
        "cancelledAt", "cancelReason", "retryCount", "lastRetriedAt", "restartOfRunId", "idempotencyKey", "parentRunId", "parentStepSlug",
        "parentTaskIndex", "rootRunId", "concurrencyKey", "priority"})
public record Run(
        @Schema(description = "The run id", example = "0f8a6c1e-3b8e-4a57-9b8e-2d9c1d6f5a10") String runId,
        @Schema(description = "The flow's slug", example = "greet_user") String flowSlug,
        @Schema(description = "started, completed, failed or cancelled", example = "completed") String status,
        @Schema(description = "The run input, as started", example = "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}") JsonValue input,
        @Schema(description = "The leaf steps' outputs once completed, else null", example = "{\"greeting\": \"Hello, Alice Smith!\"}")
        JsonValue output,
        @Schema(description = "Steps not yet completed or skipped") int remainingSteps,
        @Schema(description = "ISO-8601") String startedAt,
        @Schema(description = "ISO-8601, or null") String completedAt,
        @Schema(description = "ISO-8601, or null") String failedAt,
        @Schema(description = "ISO-8601, or null") String cancelledAt,
        @Schema(description = "Why it was cancelled (cancel_run), or null") String cancelReason,
        @Schema(description = "How often retry_run resumed it") int retryCount,
        @Schema(description = "ISO-8601, or null") String lastRetriedAt,
        @Schema(description = "The run this one restarts (restart_run), or null") String restartOfRunId,
        @Schema(description = "The Idempotency-Key it was started with, or null") String idempotencyKey,
        @Schema(description = "A child run: the run whose subflow step started it (GET /api/runs?parent= lists a run's children); null"
                + " for a run nobody started") String parentRunId,
        @Schema(description = "A child run: the parent's subflow step that started it, else null") String parentStepSlug,
        @Schema(description = "A child run: the task of that step (the element of a map subflow), else null") Integer parentTaskIndex,
        @Schema(description = "The run at the top of its family: its own id for a run nobody started") String rootRunId,
        @Schema(description = "The concurrency key it shares limits and turns with (Pgflow-Concurrency-Key, or the flow's"
                + " concurrencyKey function), or null", example = "customer-42") String concurrencyKey,
        @Schema(description = "-100..100, higher claimed first (Pgflow-Priority, POST /api/runs/{id}/priority)", example = "0") int priority) {

    /** From the read model. */
    public static Run of(RunRecord r) {
        return of(r.runId(), r.flowSlug(), r.status().dbValue(), r.input(), r.output(), r.remainingSteps(), r.startedAt(), r.completedAt(),
                r.failedAt(), r.cancelledAt(), r.cancelReason(), r.retryCount(), r.lastRetriedAt(), r.restartOfRunId(), r.idempotencyKey(),
                new Family(r.parentRunId(), r.parentStepSlug(), r.parentTaskIndex(), r.rootRunId(), r.concurrencyKey(), r.priority()));
    }

    /** From the row an engine function returned (no read after a start). */
    public static Run of(RunRow r) {
        return of(r.runId(), r.flowSlug(), r.status(), JsonCodec.parse(r.input()), r.output() == null ? null : JsonCodec.parse(r.output()),
                r.remainingSteps(), r.startedAt(), r.completedAt(), r.failedAt(), r.cancelledAt(), r.cancelReason(), r.retryCount(),
                r.lastRetriedAt(), r.restartOfRunId(), r.idempotencyKey(),
                new Family(r.parentRunId(), r.parentStepSlug(), r.parentTaskIndex(), r.rootRunId(), r.concurrencyKey(), r.priority()));
    }

    /** Where a run stands in its family of runs, and its key and priority (not written as JSON itself). */
    @JsonbPropertyOrder({"parent", "step", "task", "root", "key", "priority"})
    private record Family(UUID parent, String step, Integer task, UUID root, String key, int priority) {
    }

    private static Run of(UUID runId, String flowSlug, String status, JsonValue input, JsonValue output, int remainingSteps,
                          OffsetDateTime startedAt, OffsetDateTime completedAt, OffsetDateTime failedAt, OffsetDateTime cancelledAt,
                          String cancelReason, int retryCount, OffsetDateTime lastRetriedAt, UUID restartOfRunId, String idempotencyKey,
                          Family family) {
        return new Run(runId.toString(), flowSlug, status, input, output == null ? JsonValue.NULL : output, remainingSteps,
                ApiJson.time(startedAt), ApiJson.time(completedAt), ApiJson.time(failedAt), ApiJson.time(cancelledAt), cancelReason,
                retryCount, ApiJson.time(lastRetriedAt), ApiJson.id(restartOfRunId), idempotencyKey, ApiJson.id(family.parent()),
                family.step(), family.task(), ApiJson.id(family.root() == null ? runId : family.root()), family.key(), family.priority());
    }
}
