package io.pgflowee.web.rest.json;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** A page of runs (GET /api/runs). */
@Schema(name = "RunPage", description = "A page of runs, newest first.")
@JsonbNillable
@JsonbPropertyOrder({"runs", "nextCursor", "previousCursor", "totals"})
public record RunPage(List<Run> runs,
                      @Schema(description = "Pass as cursor for the next (older) page; null on the last page") String nextCursor,
                      @Schema(description = "Pass as cursor for the previous (newer) page; null on the first page") String previousCursor,
                      StatusTotals totals) {

    public static RunPage of(io.pgflowee.engine.query.RunPage page) {
        return new RunPage(page.runs().stream().map(Run::of).toList(), page.nextCursor(), page.previousCursor(),
                StatusTotals.of(page.totals()));
    }
}
