--liquibase formatted sql

--changeset pgflow:005-task-attempts
--comment: the history of a task's ended attempts (failures and expired leases), for the console and the API
-- A task row holds its current (or last) attempt; every attempt that ended without completing the
-- task leaves one row here: fail_task writes the handler's error, claim_tasks writes a lease that
-- expired (its worker died or hung) when it hands the task to another worker. Written only on
-- those paths, so a task that succeeds at once costs nothing here. Deleted with its task.
CREATE TABLE pgflow_internal.task_attempts (
  run_id        uuid        NOT NULL,
  step_slug     text        NOT NULL,
  task_index    int         NOT NULL,
  attempt       int         NOT NULL,
  worker_id     uuid,
  outcome       text        NOT NULL,
  error_message text,
  started_at    timestamptz,
  ended_at      timestamptz NOT NULL,
  FOREIGN KEY (run_id, step_slug, task_index) REFERENCES pgflow.step_tasks (run_id, step_slug, task_index) ON DELETE CASCADE,
  CONSTRAINT outcome_is_valid CHECK (outcome IN ('failed', 'lease expired'))
);
CREATE INDEX idx_task_attempts_task ON pgflow_internal.task_attempts (run_id, step_slug, task_index);
COMMENT ON TABLE pgflow_internal.task_attempts IS
  'Ended attempts of tasks that did not complete on that attempt: handler failures (fail_task) and expired leases (claim_tasks)';
