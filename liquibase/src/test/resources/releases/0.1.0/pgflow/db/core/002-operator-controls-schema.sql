--liquibase formatted sql

--changeset pgflow:002-operator-controls-columns
--comment: operator controls: cancelled runs, step states and tasks; retry bookkeeping; restarts; idempotent starts; paused flows; concurrency limits
ALTER TABLE pgflow.runs
  ADD COLUMN cancelled_at      timestamptz,
  ADD COLUMN cancel_reason     text,
  ADD COLUMN retry_count       int NOT NULL DEFAULT 0,
  ADD COLUMN last_retried_at   timestamptz,
  ADD COLUMN restart_of_run_id uuid,
  ADD COLUMN idempotency_key   text;
ALTER TABLE pgflow.runs
  DROP CONSTRAINT status_is_valid,
  ADD CONSTRAINT status_is_valid CHECK (status IN ('started', 'failed', 'completed', 'cancelled')),
  ADD CONSTRAINT cancelled_at_iff_cancelled CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
  ADD CONSTRAINT one_terminal_timestamp CHECK (
    (completed_at IS NOT NULL)::int + (failed_at IS NOT NULL)::int + (cancelled_at IS NOT NULL)::int <= 1),
  ADD CONSTRAINT cancelled_at_is_after_started_at CHECK (cancelled_at IS NULL OR cancelled_at >= started_at),
  ADD CONSTRAINT retry_count_nonnegative CHECK (retry_count >= 0),
  ADD CONSTRAINT idempotency_key_length CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200);
COMMENT ON COLUMN pgflow.runs.restart_of_run_id IS
  'restart_run: the run this one restarts (no foreign key, so pruning the original keeps the restart)';
COMMENT ON COLUMN pgflow.runs.idempotency_key IS
  'start_flow(..., idempotency_key): unique per flow; a repeated start with the key returns this run';
CREATE UNIQUE INDEX idx_runs_idempotency_key ON pgflow.runs (flow_slug, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX idx_runs_restart_of ON pgflow.runs (restart_of_run_id) WHERE restart_of_run_id IS NOT NULL;
-- A plain index on the four-valued status is a trap, not a help: while the table's statistics are
-- young its cost ties with runs_pkey for "run_id = $1 AND status = 'started'" (the run-completion
-- check of every start and completion), and the planner picked it once these columns were added,
-- walking every started run (0.97 ms per start with 6,000 started runs, growing). Nothing needs it.
DROP INDEX pgflow.idx_runs_status;

ALTER TABLE pgflow.step_states ADD COLUMN cancelled_at timestamptz;
ALTER TABLE pgflow.step_states
  DROP CONSTRAINT status_is_valid,
  ADD CONSTRAINT status_is_valid CHECK (status IN ('created', 'started', 'completed', 'failed', 'skipped', 'cancelled')),
  ADD CONSTRAINT cancelled_at_iff_cancelled CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
  DROP CONSTRAINT one_terminal_timestamp,
  ADD CONSTRAINT one_terminal_timestamp CHECK (
    (completed_at IS NOT NULL)::int + (failed_at IS NOT NULL)::int + (skipped_at IS NOT NULL)::int
    + (cancelled_at IS NOT NULL)::int <= 1);

ALTER TABLE pgflow.step_tasks ADD COLUMN cancelled_at timestamptz;
ALTER TABLE pgflow.step_tasks
  DROP CONSTRAINT valid_status,
  ADD CONSTRAINT valid_status CHECK (status IN ('queued', 'started', 'completed', 'failed', 'cancelled')),
  ADD CONSTRAINT cancelled_at_iff_cancelled CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
  ADD CONSTRAINT cancelled_at_is_after_queued_at CHECK (cancelled_at IS NULL OR cancelled_at >= queued_at);

ALTER TABLE pgflow.flows
  ADD COLUMN paused_at   timestamptz,
  ADD COLUMN max_running int,
  ADD CONSTRAINT max_running_is_positive CHECK (max_running IS NULL OR max_running >= 1);
COMMENT ON COLUMN pgflow.flows.paused_at IS 'pause_flow: while set, claim_tasks claims nothing of the flow';
COMMENT ON COLUMN pgflow.flows.max_running IS
  'set_flow_concurrency: at most this many tasks of the flow started (unexpired lease) at once, across all workers';

-- Fair claiming: claim_tasks fills part of every claim by (task_index, visible_at), so the first
-- task of a new run is not queued behind every element of a wide map started before it.
CREATE INDEX idx_step_tasks_queued_fair ON pgflow.step_tasks (flow_slug, task_index, visible_at) WHERE status = 'queued';
--rollback DROP INDEX pgflow.idx_step_tasks_queued_fair; ALTER TABLE pgflow.flows DROP COLUMN max_running, DROP COLUMN paused_at;
