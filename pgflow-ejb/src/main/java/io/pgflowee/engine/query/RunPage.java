package io.pgflowee.engine.query;

import java.util.List;

import io.pgflowee.engine.model.RunRecord;

/**
 * One page of runs, newest first ({@code started_at} descending, then {@code run_id} descending).
 *
 * @param runs the runs of this page
 * @param nextCursor the cursor of the next (older) page, or null on the last page
 * @param previousCursor the cursor of the previous (newer) page, or null on the first page
 * @param totals runs per status for the filter without its status condition
 */
public record RunPage(List<RunRecord> runs, String nextCursor, String previousCursor, StatusTotals totals) {
}
