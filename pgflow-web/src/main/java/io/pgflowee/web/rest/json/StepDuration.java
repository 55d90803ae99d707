package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.query.FlowQueries;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** How long one step of a flow takes (GET /api/flows/{slug}/durations). */
@Schema(name = "StepDuration", description = "A step's tasks that ended in the window and the run times of the completed ones.")
@JsonbNillable
@JsonbPropertyOrder({"stepSlug", "stepIndex", "completed", "failed", "p50Ms", "p95Ms", "maxMs"})
public record StepDuration(@Schema(example = "greeting") String stepSlug, int stepIndex,
                           @Schema(description = "Tasks completed in the window") long completed,
                           @Schema(description = "Tasks failed in the window (after their last attempt)") long failed,
                           @Schema(description = "Median run time of the completed tasks' last attempt, ms; null when none completed")
                           Double p50Ms,
                           @Schema(description = "95th percentile, ms; null when none completed") Double p95Ms,
                           @Schema(description = "Longest, ms; null when none completed") Double maxMs) {

    public static StepDuration of(FlowQueries.StepDuration d) {
        return new StepDuration(d.stepSlug(), d.stepIndex(), d.completed(), d.failed(), d.p50Ms(), d.p95Ms(), d.maxMs());
    }
}
