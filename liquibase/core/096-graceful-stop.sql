--liquibase formatted sql

--changeset pgflow:096-released-attempts
--comment: a task handed back by a stopping worker leaves a 'released' attempt in its history
ALTER TABLE pgflow_internal.task_attempts DROP CONSTRAINT outcome_is_valid;
ALTER TABLE pgflow_internal.task_attempts ADD CONSTRAINT outcome_is_valid CHECK (outcome IN ('failed', 'lease expired', 'released'));
--rollback ALTER TABLE pgflow_internal.task_attempts DROP CONSTRAINT outcome_is_valid; ALTER TABLE pgflow_internal.task_attempts ADD CONSTRAINT outcome_is_valid CHECK (outcome IN ('failed', 'lease expired'));

--changeset pgflow:096-release-tasks runOnChange:true splitStatements:false
-- release_tasks(worker_id): a stopping worker hands back the tasks it still holds. Every task of
-- the worker's flow that is started with last_worker_id = worker_id becomes queued again and
-- claimable at once (visible_at = now), and its attempt is not counted (attempts_count - 1: the
-- handler was stopped, it did not fail; a flow with max_attempts 1 loses nothing to a restart).
-- Each leaves a 'released' row in pgflow_internal.task_attempts with the attempt it was on. Other
-- workers of the flow are woken. Returns how many tasks were handed back; an unknown worker or one
-- that holds nothing: 0. Tasks of runs that ended meanwhile are never started, so none is touched.
-- Locks the released task rows (SKIP LOCKED: a task being completed at this moment by a late
-- report stays with that report).
CREATE OR REPLACE FUNCTION pgflow.release_tasks(worker_id uuid)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_worker constant uuid := release_tasks.worker_id;
  v_flow text;
  v_released int;
BEGIN
  SELECT w.queue_name INTO v_flow FROM pgflow.workers w WHERE w.worker_id = v_worker;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  WITH held AS (
    SELECT t.run_id, t.step_slug, t.task_index
    FROM pgflow.step_tasks t
    WHERE t.flow_slug = v_flow AND t.status = 'started' AND t.last_worker_id = v_worker
      AND t.child_run_id IS NULL -- a subflow task waiting for its child is in no worker's hands
    FOR UPDATE SKIP LOCKED
  ), history AS (
    INSERT INTO pgflow_internal.task_attempts (run_id, step_slug, task_index, attempt, worker_id, outcome, error_message, started_at,
                                               ended_at)
    SELECT t.run_id, t.step_slug, t.task_index, t.attempts_count, v_worker, 'released',
           format('Handed back by worker %s as it stopped; this attempt does not count', v_worker), t.started_at,
           greatest(clock_timestamp(), t.started_at)
    FROM held h
    JOIN pgflow.step_tasks t ON t.run_id = h.run_id AND t.step_slug = h.step_slug AND t.task_index = h.task_index
  ), released AS (
    UPDATE pgflow.step_tasks t
    SET status = 'queued', attempts_count = greatest(t.attempts_count - 1, 0), started_at = NULL, visible_at = clock_timestamp()
    FROM held h
    WHERE t.run_id = h.run_id AND t.step_slug = h.step_slug AND t.task_index = h.task_index
    RETURNING 1
  )
  SELECT count(*) INTO v_released FROM released;
  IF v_released > 0 THEN
    PERFORM pgflow._notify_tasks(v_flow);
  END IF;
  RETURN v_released;
END;
$$;

--changeset pgflow:096-release-tasks-grants runAlways:true runOnChange:true splitStatements:false
-- release_tasks runs as the owner for pgflow_worker (as the other worker functions, 095-roles)
DO $grants$
BEGIN
  ALTER FUNCTION pgflow.release_tasks(uuid) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  REVOKE ALL ON FUNCTION pgflow.release_tasks(uuid) FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_worker') THEN
    GRANT EXECUTE ON FUNCTION pgflow.release_tasks(uuid) TO pgflow_worker;
  END IF;
END
$grants$;
