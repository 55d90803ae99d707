--liquibase formatted sql

--changeset pgflow:097-step-durations runOnChange:true splitStatements:false
-- step_durations(flow_slug, since): how long a flow's steps take, from the tasks that ended at or
-- after `since` (default: the last 24 hours). One row per step of the flow, in step order: the
-- completed and failed tasks, and the median, 95th percentile and longest run time of the completed
-- ones in milliseconds (their last attempt: completed_at - started_at; null when none completed).
-- A step none of whose tasks ended since then has zero counts. An unknown flow: no rows. Read-only;
-- reads the flow's tasks that ended in the window (step_tasks by flow).
CREATE OR REPLACE FUNCTION pgflow.step_durations(flow_slug text, since timestamptz DEFAULT now() - interval '24 hours')
RETURNS TABLE (step_slug text, step_index int, completed bigint, failed bigint, p50_ms numeric, p95_ms numeric, max_ms numeric)
LANGUAGE sql STABLE
AS $$
  SELECT s.step_slug, s.step_index,
         count(t.*) FILTER (WHERE t.status = 'completed'),
         count(t.*) FILTER (WHERE t.status = 'failed'),
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.completed_at - t.started_at) * 1000)
                FILTER (WHERE t.status = 'completed'))::numeric, 1),
         round((percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM t.completed_at - t.started_at) * 1000)
                FILTER (WHERE t.status = 'completed'))::numeric, 1),
         round((max(extract(epoch FROM t.completed_at - t.started_at) * 1000) FILTER (WHERE t.status = 'completed'))::numeric, 1)
  FROM pgflow.steps s
  LEFT JOIN pgflow.step_tasks t
    ON t.flow_slug = s.flow_slug AND t.step_slug = s.step_slug
   AND t.status IN ('completed', 'failed') AND coalesce(t.completed_at, t.failed_at) >= step_durations.since
  WHERE s.flow_slug = step_durations.flow_slug
  GROUP BY s.step_slug, s.step_index
  ORDER BY s.step_index;
$$;

--changeset pgflow:097-step-durations-grants runAlways:true runOnChange:true splitStatements:false
-- readers may call it (it reads what they may read; it runs as its caller). After 095-roles, which
-- revokes every function from PUBLIC on each migration.
DO $grants$
BEGIN
  REVOKE ALL ON FUNCTION pgflow.step_durations(text, timestamptz) FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT EXECUTE ON FUNCTION pgflow.step_durations(text, timestamptz) TO pgflow_reader;
  END IF;
END
$grants$;
