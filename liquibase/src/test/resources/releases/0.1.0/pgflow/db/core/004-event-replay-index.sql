--liquibase formatted sql

--changeset pgflow:004-event-replay-index
--comment: the runs of a flow that are still going, for replaying a flow's live events after a reconnect (Last-Event-ID)
-- Partial: only unfinished runs are in it, so it stays small however many runs the table keeps.
CREATE INDEX idx_runs_flow_active ON pgflow.runs (flow_slug) WHERE status = 'started';

--changeset pgflow:004-active-runs-index-led-by-run-id
--comment: the index of unfinished runs is led by run_id: "run_id = $1 AND status = 'started'" (every start's and completion's run checks) is an index lookup whichever index the planner picks
-- The (flow_slug) index above was a trap for those checks, as idx_runs_status was before it (see
-- 002): with statistics from when few runs were unfinished the planner took the small-looking
-- partial index over runs_pkey and walked every unfinished run of the flow for one run id (11 ms
-- per start_flow with 18,000 unfinished runs, growing with any backlog). Led by run_id, either
-- index finds the row in a few pages. The live-event replay (unfinished runs of a flow) and the
-- active-runs gauge read the whole partial index, which holds only unfinished runs.
DROP INDEX pgflow.idx_runs_flow_active;
CREATE INDEX idx_runs_active ON pgflow.runs (run_id) INCLUDE (flow_slug) WHERE status = 'started';
