--liquibase formatted sql

--changeset pgflow:110-run-traces
--comment: the W3C trace context a run was started in, so its tasks join the starter's trace on any server
-- A run started by a traced caller (a REST request carrying traceparent, a bean inside a span)
-- keeps the context of the span that started it; each task's span is a child of it, whichever
-- server runs the task and however much later. One row per traced run, none for the others (the
-- start path writes nothing when tracing is off). Deleted with its run.
CREATE TABLE pgflow_internal.run_traces (
  run_id      uuid        NOT NULL PRIMARY KEY REFERENCES pgflow.runs (run_id) ON DELETE CASCADE,
  traceparent text        NOT NULL,
  tracestate  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT traceparent_format CHECK (traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
                                       AND traceparent !~ '^00-0{32}-' AND traceparent !~ '^00-[0-9a-f]{32}-0{16}-')
);
COMMENT ON TABLE pgflow_internal.run_traces IS 'The W3C trace context (traceparent, tracestate) each traced run was started in';
--rollback DROP TABLE pgflow_internal.run_traces;

--changeset pgflow:110-set-run-trace runOnChange:true splitStatements:false
--comment: set_run_trace(run_ids, traceparent, tracestate): record the trace context the runs were started in
-- Called by the server right after start_flow / start_flows when tracing is on, in the same
-- transaction. The first context of a run stays (an idempotent repeat of a start does not move its
-- run to the repeating caller's trace). A traceparent that is not W3C version 00 with a non-zero
-- trace and parent id is refused (22023), naming it. Returns how many runs got a context.
CREATE OR REPLACE FUNCTION pgflow.set_run_trace(run_ids uuid[], traceparent text, tracestate text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  v_count integer;
BEGIN
  PERFORM pgflow._require_traceparent(set_run_trace.traceparent); -- 111-require-traceparent (resolved when called)
  INSERT INTO pgflow_internal.run_traces (run_id, traceparent, tracestate)
  SELECT r.run_id, set_run_trace.traceparent, set_run_trace.tracestate
  FROM pgflow.runs r WHERE r.run_id = ANY (run_ids)
  ON CONFLICT (run_id) DO NOTHING;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END;
$$;

--changeset pgflow:110-run-traceparents runOnChange:true splitStatements:false
--comment: run_traceparents(run_ids): the trace context of each traced run among them, for the workers' task spans
-- A run with no context of its own that is a child (a subflow's run, started by SQL in its parent's
-- report) has its family root's: its tasks join the trace the family started in.
CREATE OR REPLACE FUNCTION pgflow.run_traceparents(run_ids uuid[])
RETURNS TABLE (run_id uuid, traceparent text, tracestate text)
LANGUAGE sql STABLE
AS $$
  SELECT r.run_id, coalesce(own.traceparent, root.traceparent),
         CASE WHEN own.run_id IS NOT NULL THEN own.tracestate ELSE root.tracestate END
  FROM unnest(run_ids) AS u(id)
  JOIN pgflow.runs r ON r.run_id = u.id
  LEFT JOIN pgflow_internal.run_traces own ON own.run_id = r.run_id
  LEFT JOIN pgflow_internal.run_traces root ON root.run_id = r.root_run_id AND r.root_run_id <> r.run_id
  WHERE own.run_id IS NOT NULL OR root.run_id IS NOT NULL;
$$;

--changeset pgflow:110-grants runAlways:true runOnChange:true splitStatements:false
-- set_run_trace runs as the owner for operators (who start runs); run_traceparents for workers,
-- which read it for their task spans, and readers. After 095-roles, which revokes every function
-- from PUBLIC on each migration.
DO $grants$
BEGIN
  ALTER FUNCTION pgflow.set_run_trace(uuid[], text, text) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  ALTER FUNCTION pgflow.run_traceparents(uuid[]) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  REVOKE ALL ON FUNCTION pgflow.set_run_trace(uuid[], text, text) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.run_traceparents(uuid[]) FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
    GRANT EXECUTE ON FUNCTION pgflow.set_run_trace(uuid[], text, text) TO pgflow_operator;
    GRANT EXECUTE ON FUNCTION pgflow.run_traceparents(uuid[]) TO pgflow_operator;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_worker') THEN
    GRANT EXECUTE ON FUNCTION pgflow.run_traceparents(uuid[]) TO pgflow_worker;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT EXECUTE ON FUNCTION pgflow.run_traceparents(uuid[]) TO pgflow_reader;
    GRANT SELECT ON pgflow_internal.run_traces TO pgflow_reader;
  END IF;
END
$grants$;
