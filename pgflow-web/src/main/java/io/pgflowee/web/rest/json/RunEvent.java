package io.pgflowee.web.rest.json;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** The data of one server-sent event of a run (absent members: not this kind of event). */
@Schema(name = "RunEvent", description = "The data of one server-sent event (the SSE event name is eventType, its id is id).")
@JsonbPropertyOrder({"id", "eventType", "runId", "flowSlug", "stepSlug", "status", "skipReason", "at", "taskIndex", "childRunId",
                     "childFlowSlug"})
public record RunEvent(@Schema(example = "1795841313274787/3/0f8a6c1e-2b1d-4c55-9a57-52c6a4d0b0e1/greet") String id,
                       @Schema(description = "run:started, run:retried, run:completed, run:failed, run:cancelled, step:started,"
                               + " step:waiting, step:completed, step:failed, step:skipped, step:cancelled, run:child_started or run:child_finished", example = "step:completed") String eventType,
                       String runId, String flowSlug, @Schema(description = "Step events only") String stepSlug,
                       @Schema(example = "completed") String status,
                       @Schema(description = "step:skipped only: condition_unmet, handler_failed or dependency_skipped") String skipReason,
                       @Schema(description = "When the transition happened (as recorded in the tables), UTC with six fraction digits")
                       String at,
                       @Schema(description = "run:child_started and run:child_finished only: the subflow step's task (element index)")
                       Integer taskIndex,
                       @Schema(description = "run:child_started and run:child_finished only: the child run") String childRunId,
                       @Schema(description = "run:child_started and run:child_finished only: the child run's flow") String childFlowSlug) {

    private static final DateTimeFormatter AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    public static RunEvent of(io.pgflowee.engine.events.RunEvent e) {
        return new RunEvent(e.id(), e.type(), e.runId().toString(), e.flowSlug(), e.stepSlug(), e.status(), e.skipReason(), AT.format(e.at()),
                e.taskIndex(), e.childRunId() == null ? null : e.childRunId().toString(), e.childFlowSlug());
    }
}
