package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.model.RunStatus;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** Runs per status of a filter or a flow. */
@Schema(name = "StatusTotals", description = "Runs per status for the filter without its status condition; exact up to 20,000"
        + " matching runs, PostgreSQL's estimates beyond.")
@JsonbPropertyOrder({"started", "completed", "failed", "cancelled", "exact"})
public record StatusTotals(long started, long completed, long failed, long cancelled,
                           @Schema(description = "false when the counts are estimates") boolean exact) {

    public static StatusTotals of(io.pgflowee.engine.query.StatusTotals totals) {
        return new StatusTotals(count(totals, RunStatus.STARTED), count(totals, RunStatus.COMPLETED), count(totals, RunStatus.FAILED),
                count(totals, RunStatus.CANCELLED), totals.exact());
    }

    private static long count(io.pgflowee.engine.query.StatusTotals totals, RunStatus status) {
        Long n = totals.counts().get(status);
        return n == null ? 0 : n;
    }
}
