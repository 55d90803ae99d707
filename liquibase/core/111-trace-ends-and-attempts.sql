--liquibase formatted sql

--changeset pgflow:111-trace-ends-and-attempts
--comment: run spans when runs end, links between a task's attempts, a child run's trace under its parent's subflow task
-- run_traces.ended_at: when a server made the run's span (pgflow.end_run_traces), NULL while the run
-- is open; the partial index is the sweep's work list, the traced runs in flight. task_traces: the
-- span context of a task attempt the next one links to (a failed or timed-out attempt) or a child
-- run's trace nests under (a subflow step's completed attempt); written only when tracing is on, for
-- those attempts only. Both go with their run.
ALTER TABLE pgflow_internal.run_traces ADD COLUMN ended_at timestamptz;
COMMENT ON COLUMN pgflow_internal.run_traces.ended_at IS
  'when a server made the run''s span (end_run_traces), the time the run ended; NULL while the run is in flight';
UPDATE pgflow_internal.run_traces t SET ended_at = coalesce(r.completed_at, r.failed_at, r.cancelled_at, now())
FROM pgflow.runs r WHERE r.run_id = t.run_id AND r.status <> 'started';
CREATE INDEX idx_run_traces_open ON pgflow_internal.run_traces (run_id) WHERE ended_at IS NULL;
CREATE TABLE pgflow_internal.task_traces (
  run_id      uuid        NOT NULL REFERENCES pgflow.runs (run_id) ON DELETE CASCADE,
  step_slug   text        NOT NULL,
  task_index  int         NOT NULL,
  attempt     int         NOT NULL,
  traceparent text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, step_slug, task_index, attempt),
  CONSTRAINT traceparent_format CHECK (traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
                                       AND traceparent !~ '^00-0{32}-' AND traceparent !~ '^00-[0-9a-f]{32}-0{16}-')
);
COMMENT ON TABLE pgflow_internal.task_traces IS
  'The span context of task attempts that others refer to: a failed attempt (the retry links to it), a subflow task (its child run nests under it)';
--rollback DROP TABLE pgflow_internal.task_traces; DROP INDEX pgflow_internal.idx_run_traces_open; ALTER TABLE pgflow_internal.run_traces DROP COLUMN ended_at;

--changeset pgflow:111-require-traceparent runOnChange:true splitStatements:false
--comment: _require_traceparent(traceparent): refuses (22023, naming it) what is not a W3C version 00 trace context
-- The one check of the functions that take a traceparent from a caller (set_run_trace of 110,
-- set_task_trace, adopt_run_trace).
CREATE OR REPLACE FUNCTION pgflow._require_traceparent(p_traceparent text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
  IF p_traceparent IS NULL OR p_traceparent !~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
     OR p_traceparent ~ '^00-0{32}-' OR p_traceparent ~ '^00-[0-9a-f]{32}-0{16}-' THEN
    RAISE EXCEPTION 'traceparent % is not a W3C trace context: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, ids not all zero',
      coalesce(quote_literal(p_traceparent), 'NULL') USING ERRCODE = '22023';
  END IF;
END;
$$;

--changeset pgflow:111-set-task-trace runOnChange:true splitStatements:false
--comment: set_task_trace(run_id, step_slug, task_index, attempt, traceparent): record a task attempt's span context
-- Called by a worker with tracing on for an attempt that failed or timed out (the next attempt's span
-- links to it) and for a subflow step's completed attempt (the child run's spans nest under it),
-- before it reports the attempt. The first record of an attempt stays. A bad traceparent is refused
-- (22023) as by set_run_trace. Returns whether it was recorded (false: no such run, or already).
CREATE OR REPLACE FUNCTION pgflow.set_task_trace(run_id uuid, step_slug text, task_index int, attempt int, traceparent text)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
  v_count integer;
BEGIN
  PERFORM pgflow._require_traceparent(set_task_trace.traceparent);
  INSERT INTO pgflow_internal.task_traces (run_id, step_slug, task_index, attempt, traceparent)
  SELECT r.run_id, set_task_trace.step_slug, set_task_trace.task_index, set_task_trace.attempt, set_task_trace.traceparent
  FROM pgflow.runs r WHERE r.run_id = set_task_trace.run_id
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count = 1;
END;
$$;

--changeset pgflow:111-task-trace runOnChange:true splitStatements:false
--comment: task_trace(run_id, step_slug, task_index, attempt): the context a task attempt's span is made in
-- For a worker with tracing on, before an attempt runs: the run's trace context (traceparent,
-- tracestate) and the traceparents of the task's earlier attempts that were recorded (oldest first;
-- the span links to them), and the run's started_at. A child run without a context of its own takes
-- its parent's subflow task attempt's (the latest recorded), else its family root's, and keeps it as
-- its own (so its run span nests there too). A run started without one (from SQL, the console, a
-- schedule) has traceparent NULL: the worker then makes the run a start span of its own and offers
-- it with adopt_run_trace. No row for a run that does not exist.
CREATE OR REPLACE FUNCTION pgflow.task_trace(run_id uuid, step_slug text, task_index int, attempt int)
RETURNS TABLE (traceparent text, tracestate text, earlier_attempts text[], started_at timestamptz)
LANGUAGE plpgsql
AS $$
DECLARE
  v_run pgflow.runs%ROWTYPE;
  v_parent text;
  v_state text;
  v_earlier text[];
BEGIN
  SELECT * INTO v_run FROM pgflow.runs r WHERE r.run_id = task_trace.run_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT t.traceparent, t.tracestate INTO v_parent, v_state FROM pgflow_internal.run_traces t WHERE t.run_id = v_run.run_id;
  IF v_parent IS NULL AND v_run.parent_run_id IS NOT NULL THEN
    SELECT t.traceparent INTO v_parent FROM pgflow_internal.task_traces t
    WHERE t.run_id = v_run.parent_run_id AND t.step_slug = v_run.parent_step_slug AND t.task_index = v_run.parent_task_index
    ORDER BY t.attempt DESC LIMIT 1;
    IF v_parent IS NOT NULL THEN
      SELECT t.tracestate INTO v_state FROM pgflow_internal.run_traces t WHERE t.run_id = v_run.parent_run_id;
    ELSE
      SELECT t.traceparent, t.tracestate INTO v_parent, v_state FROM pgflow_internal.run_traces t WHERE t.run_id = v_run.root_run_id;
    END IF;
    IF v_parent IS NOT NULL THEN
      INSERT INTO pgflow_internal.run_traces (run_id, traceparent, tracestate) VALUES (v_run.run_id, v_parent, v_state)
      ON CONFLICT ON CONSTRAINT run_traces_pkey DO NOTHING;
      SELECT t.traceparent, t.tracestate INTO v_parent, v_state FROM pgflow_internal.run_traces t WHERE t.run_id = v_run.run_id;
    END IF;
  END IF;
  IF v_parent IS NULL THEN
    RETURN QUERY SELECT NULL::text, NULL::text, '{}'::text[], v_run.started_at;
    RETURN;
  END IF;
  IF task_trace.attempt > 1 THEN
    SELECT array_agg(t.traceparent ORDER BY t.attempt) INTO v_earlier FROM pgflow_internal.task_traces t
    WHERE t.run_id = v_run.run_id AND t.step_slug = task_trace.step_slug AND t.task_index = task_trace.task_index
      AND t.attempt < task_trace.attempt;
  END IF;
  RETURN QUERY SELECT v_parent, v_state, coalesce(v_earlier, '{}'::text[]), v_run.started_at;
END;
$$;

--changeset pgflow:111-adopt-run-trace runOnChange:true splitStatements:false
--comment: adopt_run_trace(run_id, offered): give a run started without a trace context one, the first offer winning
-- A worker with tracing on that meets a run without a context (task_trace gave NULL) makes a span
-- for the run's start and offers its context here; the first offer stays (workers on several
-- servers can meet the run at once) and is returned, so every worker nests the run's tasks in the
-- same trace. A bad traceparent is refused (22023). No row for a run that does not exist.
CREATE OR REPLACE FUNCTION pgflow.adopt_run_trace(run_id uuid, offered text)
RETURNS TABLE (traceparent text, tracestate text)
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pgflow._require_traceparent(adopt_run_trace.offered);
  INSERT INTO pgflow_internal.run_traces (run_id, traceparent)
  SELECT r.run_id, adopt_run_trace.offered FROM pgflow.runs r WHERE r.run_id = adopt_run_trace.run_id
  ON CONFLICT ON CONSTRAINT run_traces_pkey DO NOTHING;
  RETURN QUERY SELECT t.traceparent, t.tracestate FROM pgflow_internal.run_traces t WHERE t.run_id = adopt_run_trace.run_id;
END;
$$;

--changeset pgflow:111-end-run-traces runOnChange:true splitStatements:false
--comment: end_run_traces(max_runs): the traced runs that ended since the last call, each handed to one caller
-- Called every few seconds by each server with tracing on: marks up to max_runs traced runs that
-- are no longer started as ended (ended_at = the time they ended) and returns them, with what a run
-- span needs (flow, status, start and end, the first error of a failed run, the trace context it
-- nests under). Rows another server is taking are skipped, so each run's span is made once, by
-- whichever server asks first; a server that stops before it exports leaves the span out.
CREATE OR REPLACE FUNCTION pgflow.end_run_traces(max_runs int DEFAULT 200)
RETURNS TABLE (run_id uuid, flow_slug text, status text, traceparent text, tracestate text, started_at timestamptz,
               ended_at timestamptz, parent_run_id uuid, error_message text)
LANGUAGE sql
AS $$
  WITH ended AS (
    SELECT t.run_id, r.flow_slug, r.status, t.traceparent, t.tracestate, r.started_at,
           coalesce(r.completed_at, r.failed_at, r.cancelled_at) AS ended_at, r.parent_run_id
    FROM pgflow_internal.run_traces t
    JOIN pgflow.runs r ON r.run_id = t.run_id
    WHERE t.ended_at IS NULL AND r.status <> 'started'
    ORDER BY t.run_id
    LIMIT greatest(coalesce(max_runs, 200), 1)
    FOR UPDATE OF t SKIP LOCKED
  ), marked AS (
    UPDATE pgflow_internal.run_traces t SET ended_at = coalesce(e.ended_at, now())
    FROM ended e WHERE t.run_id = e.run_id
    RETURNING t.run_id
  )
  SELECT e.run_id, e.flow_slug, e.status, e.traceparent, e.tracestate, e.started_at, coalesce(e.ended_at, now()), e.parent_run_id,
         CASE WHEN e.status = 'failed' THEN
           (SELECT s.error_message FROM pgflow.step_states s
            WHERE s.run_id = e.run_id AND s.status = 'failed' AND s.error_message IS NOT NULL
            ORDER BY s.failed_at NULLS LAST, s.step_slug LIMIT 1)
         END
  FROM ended e JOIN marked m ON m.run_id = e.run_id
  ORDER BY e.ended_at, e.run_id;
$$;

--changeset pgflow:111-grants runAlways:true runOnChange:true splitStatements:false
-- All four run as the owner; the workers' role records attempts, reads contexts and ends run
-- traces; operators too (a server's engine connection may be either); readers read the table.
-- After 095-roles, which revokes every function from PUBLIC on each migration.
DO $grants$
DECLARE
  v_role text;
BEGIN
  ALTER FUNCTION pgflow.set_task_trace(uuid, text, int, int, text) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  ALTER FUNCTION pgflow.task_trace(uuid, text, int, int) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  ALTER FUNCTION pgflow.end_run_traces(int) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  ALTER FUNCTION pgflow.adopt_run_trace(uuid, text) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  REVOKE ALL ON FUNCTION pgflow.set_task_trace(uuid, text, int, int, text) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.task_trace(uuid, text, int, int) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.end_run_traces(int) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.adopt_run_trace(uuid, text) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._require_traceparent(text) FROM PUBLIC; -- its callers run as the owner
  FOREACH v_role IN ARRAY ARRAY['pgflow_worker', 'pgflow_operator'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION pgflow.set_task_trace(uuid, text, int, int, text), pgflow.task_trace(uuid, text, int, int),'
                     ' pgflow.end_run_traces(int), pgflow.adopt_run_trace(uuid, text) TO %I', v_role);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT SELECT ON pgflow_internal.task_traces TO pgflow_reader;
  END IF;
END
$grants$;
