--liquibase formatted sql

--changeset pgflow:100-snoozed-attempts
--comment: a task whose handler snoozed leaves a 'snoozed' attempt in its history
ALTER TABLE pgflow_internal.task_attempts DROP CONSTRAINT outcome_is_valid;
ALTER TABLE pgflow_internal.task_attempts ADD CONSTRAINT outcome_is_valid
  CHECK (outcome IN ('failed', 'lease expired', 'released', 'snoozed'));
--rollback ALTER TABLE pgflow_internal.task_attempts DROP CONSTRAINT outcome_is_valid; ALTER TABLE pgflow_internal.task_attempts ADD CONSTRAINT outcome_is_valid CHECK (outcome IN ('failed', 'lease expired', 'released'));

--changeset pgflow:100-snooze-task runOnChange:true splitStatements:false
-- snooze_task(run_id, step_slug, task_index, wake_at): a handler that has nothing to do yet (an
-- external system not ready, a time not reached) ends its attempt without failing and without
-- holding a thread: the started task goes back to queued, claimable from wake_at (a time in the
-- past: at once), its lease ends, and the attempt is not counted (attempts_count - 1: the next
-- claim shows the same attempt as before the snooze, so a flow with max_attempts 1 can snooze any
-- number of times). The attempt leaves a 'snoozed' row in pgflow_internal.task_attempts with the
-- time it wakes. Returns the task row. Changes nothing (returns the row as it is) when the task is
-- not started, its step is no longer started, or its run failed or was cancelled: a late call, as
-- for complete_task. Errors: an unknown task raises no_data_found (P0002) naming it; a NULL or
-- infinite wake_at raises 22004 / 22023. Wakes idle workers of the flow when wake_at is due now.
CREATE OR REPLACE FUNCTION pgflow.snooze_task(run_id uuid, step_slug text, task_index int, wake_at timestamptz)
RETURNS pgflow.step_tasks
LANGUAGE plpgsql VOLATILE
-- a lookup by key, whatever the statistics say (docs/architecture.md, "Rules")
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
  v_run_id constant uuid := snooze_task.run_id;
  v_step constant text := snooze_task.step_slug;
  v_idx constant int := snooze_task.task_index;
  v_wake constant timestamptz := snooze_task.wake_at;
  v_ctx record;
  v_task pgflow.step_tasks;
BEGIN
  IF v_wake IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
      MESSAGE = format('snooze_task(%s, %L, %s): wake_at must not be NULL (the time the task becomes claimable again)',
                       v_run_id, v_step, v_idx);
  END IF;
  IF NOT isfinite(v_wake) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('snooze_task(%s, %L, %s): wake_at must be a finite time, got %s', v_run_id, v_step, v_idx, v_wake);
  END IF;

  SELECT t.status AS task_status, t.flow_slug, t.attempts_count, t.last_worker_id, t.started_at,
         r.status AS run_status, ss.status AS state_status, t.child_run_id
  INTO v_ctx
  FROM pgflow.step_tasks t
  JOIN pgflow.runs r ON r.run_id = t.run_id
  JOIN pgflow.step_states ss ON ss.run_id = t.run_id AND ss.step_slug = t.step_slug
  WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
  FOR UPDATE OF t;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'no_data_found',
      MESSAGE = format('Task %s[%s] of run %s not found', v_step, v_idx, v_run_id);
  END IF;

  IF v_ctx.run_status IN ('failed', 'cancelled') OR v_ctx.task_status <> 'started' OR v_ctx.state_status <> 'started'
     OR v_ctx.child_run_id IS NOT NULL THEN -- a subflow task waiting for its child is in no worker's hands
    SELECT t.* INTO v_task FROM pgflow.step_tasks t WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx;
    RETURN v_task;
  END IF;

  INSERT INTO pgflow_internal.task_attempts (run_id, step_slug, task_index, attempt, worker_id, outcome, error_message, started_at,
                                             ended_at)
  VALUES (v_run_id, v_step, v_idx, v_ctx.attempts_count, v_ctx.last_worker_id, 'snoozed',
          format('Snoozed until %s; this attempt does not count', v_wake), v_ctx.started_at,
          greatest(clock_timestamp(), v_ctx.started_at));
  UPDATE pgflow.step_tasks t
  SET status = 'queued', attempts_count = greatest(t.attempts_count - 1, 0), started_at = NULL, visible_at = v_wake
  WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
  RETURNING t.* INTO v_task;
  IF v_wake <= clock_timestamp() THEN
    PERFORM pgflow._notify_tasks(v_ctx.flow_slug);
  END IF;
  RETURN v_task;
END;
$$;

--changeset pgflow:100-snooze-task-grants runAlways:true runOnChange:true splitStatements:false
-- snooze_task runs as the owner for pgflow_worker (as the other worker functions, 095-roles)
DO $grants$
BEGIN
  ALTER FUNCTION pgflow.snooze_task(uuid, text, int, timestamptz) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  REVOKE ALL ON FUNCTION pgflow.snooze_task(uuid, text, int, timestamptz) FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_worker') THEN
    GRANT EXECUTE ON FUNCTION pgflow.snooze_task(uuid, text, int, timestamptz) TO pgflow_worker;
  END IF;
END
$grants$;
