--liquibase formatted sql

--changeset pgflow:060-register-worker runOnChange:true splitStatements:false
-- register_worker(worker_id, queue_name, function_name): creates or updates (re-registration
-- renames the queue and function, clears stopped_at and deprecated_at) the worker and sets
-- last_heartbeat. queue_name is the flow slug the worker claims from.
CREATE OR REPLACE FUNCTION pgflow.register_worker(worker_id uuid, queue_name text, function_name text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  INSERT INTO pgflow.workers AS w (worker_id, queue_name, function_name, started_at, last_heartbeat)
  VALUES (register_worker.worker_id, register_worker.queue_name, register_worker.function_name, now(), clock_timestamp())
  ON CONFLICT ON CONSTRAINT workers_pkey DO UPDATE
  SET queue_name = excluded.queue_name, function_name = excluded.function_name,
      last_heartbeat = clock_timestamp(), stopped_at = NULL, deprecated_at = NULL, idle = true
$$;

--changeset pgflow:060-heartbeat runOnChange:true splitStatements:false
-- heartbeat(worker_id): refreshes last_heartbeat. Returns true while the worker should keep
-- working, false when it is unknown (pruned), stopped, or deprecated (deprecated_at set by an
-- operator: the worker stops claiming and finishes what it holds).
CREATE OR REPLACE FUNCTION pgflow.heartbeat(worker_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE
AS $$
  WITH beat AS (
    UPDATE pgflow.workers w SET last_heartbeat = clock_timestamp()
    WHERE w.worker_id = heartbeat.worker_id
    RETURNING w.deprecated_at IS NULL AND w.stopped_at IS NULL AS keep_working
  )
  SELECT coalesce((SELECT keep_working FROM beat), false)
$$;

--changeset pgflow:060-mark-worker-stopped runOnChange:true splitStatements:false
-- mark_worker_stopped(worker_id): stopped_at = now (wall clock); the worker claims nothing more.
CREATE OR REPLACE FUNCTION pgflow.mark_worker_stopped(worker_id uuid)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  UPDATE pgflow.workers w SET stopped_at = clock_timestamp(), idle = false
  WHERE w.worker_id = mark_worker_stopped.worker_id
$$;

--changeset pgflow:060-prune-data-older-than runOnChange:true splitStatements:false
-- prune_data_older_than(retention_interval): deletes runs that completed, failed or were cancelled before
-- now - retention_interval with all their step states and tasks, and workers whose last heartbeat
-- is older than that (exactly at the cutoff is kept). Started runs and flow definitions are never
-- pruned. Keep the interval longer than the longest start_delay. Families go whole: a child run is
-- pruned with its root, when every run of the family has ended before the cutoff. Run partitions
-- whose runs all qualify are dropped whole (drop_run_partitions), the rest deleted row by row.
CREATE OR REPLACE FUNCTION pgflow.prune_data_older_than(retention_interval interval)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_cutoff constant timestamptz := now() - retention_interval;
BEGIN
  -- the run partitions to drop whole (every run of a time range finished before the cutoff):
  -- judged first, dropped last (the drops lock the tables until the commit); their runs are not
  -- deleted row by row
  CREATE TEMP TABLE IF NOT EXISTS pgflow_prune_parts ON COMMIT DROP AS
  SELECT * FROM pgflow._droppable_run_partitions(v_cutoff, false);
  CREATE TEMP TABLE IF NOT EXISTS pgflow_prune_runs (run_id uuid PRIMARY KEY) ON COMMIT DROP;
  INSERT INTO pgflow_prune_runs
  SELECT r.run_id FROM pgflow.runs r
  WHERE r.status IN ('completed', 'failed', 'cancelled')
    AND NOT EXISTS (SELECT 1 FROM pgflow_prune_parts d WHERE r.run_id >= d.from_id AND r.run_id < d.to_id)
    AND (r.completed_at < v_cutoff OR r.failed_at < v_cutoff OR r.cancelled_at < v_cutoff)
    AND r.root_run_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM pgflow.runs m
                    WHERE m.root_run_id = r.run_id
                      AND (m.status = 'started' OR greatest(m.completed_at, m.failed_at, m.cancelled_at) >= v_cutoff));
  INSERT INTO pgflow_prune_runs
  SELECT m.run_id FROM pgflow.runs m JOIN pgflow_prune_runs p ON m.root_run_id = p.run_id
  ON CONFLICT DO NOTHING;
  DELETE FROM pgflow.step_tasks t USING pgflow_prune_runs p WHERE t.run_id = p.run_id;
  DELETE FROM pgflow.step_states s USING pgflow_prune_runs p WHERE s.run_id = p.run_id;
  DELETE FROM pgflow_internal.run_keys k USING pgflow_prune_runs p WHERE k.run_id = p.run_id;
  DELETE FROM pgflow.runs r USING pgflow_prune_runs p WHERE r.run_id = p.run_id;
  DROP TABLE pgflow_prune_runs;
  DELETE FROM pgflow.workers w WHERE w.last_heartbeat < v_cutoff;
  PERFORM pgflow._drop_run_partition(d.suffix, d.from_id, d.to_id, d.outside) FROM pgflow_prune_parts d ORDER BY d.from_id;
  DROP TABLE pgflow_prune_parts;
END;
$$;
