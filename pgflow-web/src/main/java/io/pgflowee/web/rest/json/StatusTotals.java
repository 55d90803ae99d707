package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.model.RunStatus;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** Runs per status of a filter or a flow. */
@Schema(name = "StatusTotals", description = "Runs per status for the filter without its status condition: exact, or, for a status"
        + " with more than 10,000 matching runs, 10,000 as a lower bound (listed in atLeast). Never an estimate.")
@JsonbPropertyOrder({"started", "completed", "failed", "cancelled", "exact", "atLeast"})
public record StatusTotals(long started, long completed, long failed, long cancelled,
                           @Schema(description = "true when every count is exact") boolean exact,
                           @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY, implementation = String.class, description = "The statuses whose count is a lower bound (more runs than that)", example = "[\"completed\"]")
                           java.util.List<String> atLeast) {

    public static StatusTotals of(io.pgflowee.engine.query.StatusTotals totals) {
        return new StatusTotals(count(totals, RunStatus.STARTED), count(totals, RunStatus.COMPLETED), count(totals, RunStatus.FAILED),
                count(totals, RunStatus.CANCELLED), totals.exact(), java.util.Arrays.stream(RunStatus.values())
                        .filter(totals.lowerBounds()::contains).map(RunStatus::dbValue).toList());
    }

    private static long count(io.pgflowee.engine.query.StatusTotals totals, RunStatus status) {
        Long n = totals.counts().get(status);
        return n == null ? 0 : n;
    }
}
