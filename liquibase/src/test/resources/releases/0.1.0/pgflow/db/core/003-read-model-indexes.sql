--liquibase formatted sql

--changeset pgflow:003-read-model-indexes
--comment: indexes of the read model's queries (run pages newest first, per flow, dashboard, failures); measured in docs/performance.md
-- Pages newest first; run_id breaks ties of runs started in one transaction (same started_at).
CREATE INDEX idx_runs_started ON pgflow.runs (started_at DESC, run_id DESC);
DROP INDEX pgflow.idx_runs_flow_started;
CREATE INDEX idx_runs_flow_started ON pgflow.runs (flow_slug, started_at DESC, run_id DESC);
-- Runs that finished recently (dashboard per minute, pruning); started runs are in it as NULL. Not
-- partial on purpose: PostgreSQL keeps no statistics for the expressions of partial indexes, and
-- without them it guessed a third of the table and scanned all of it (230 ms with 1,000,000 runs).
CREATE INDEX idx_runs_finished ON pgflow.runs ((coalesce(completed_at, failed_at, cancelled_at)));
-- "input contains" filters (input @> '{"customer": "c-42"}').
CREATE INDEX idx_runs_input ON pgflow.runs USING gin (input jsonb_path_ops);
-- The latest failures per flow; only failed tasks enter it.
CREATE INDEX idx_step_tasks_failed ON pgflow.step_tasks (flow_slug, failed_at DESC) WHERE status = 'failed';
--rollback DROP INDEX pgflow.idx_step_tasks_failed; DROP INDEX pgflow.idx_runs_input; DROP INDEX pgflow.idx_runs_finished; DROP INDEX pgflow.idx_runs_started;
