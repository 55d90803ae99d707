--liquibase formatted sql

--changeset pgflow:108-declared-schedules-schema
--comment: schedules declared by a flow's Java definition, and the runs of a schedule found by index
-- declared_as: the schedule comes from its flow's Java definition, and this is the declaration
-- ({"cron", "input", "time_zone", "catch_up"}) last applied by apply_flow_schedules (the flow's
-- compiled changelog calls it at every migration): a changed declaration updates the schedule, a
-- removed one deletes it, an unchanged one leaves what operators changed since. NULL: made by
-- create_schedule (psql, REST, console), which no flow definition touches.
ALTER TABLE pgflow_internal.schedules ADD COLUMN declared_as jsonb;
ALTER TYPE pgflow.schedules ADD ATTRIBUTE declared_as jsonb;
-- a schedule's runs (tick, trigger, backfill: key 'schedule:<name>:<instant>'), newest first, for
-- the console and /api/schedules; a name never contains ':'
CREATE INDEX idx_runs_schedule ON pgflow.runs (flow_slug, split_part(idempotency_key, ':', 2), started_at DESC)
  WHERE idempotency_key LIKE 'schedule:%';
--rollback DROP INDEX pgflow.idx_runs_schedule; ALTER TYPE pgflow.schedules DROP ATTRIBUTE declared_as; ALTER TABLE pgflow_internal.schedules DROP COLUMN declared_as;

--changeset pgflow:108-apply-flow-schedules runOnChange:true splitStatements:false
-- apply_flow_schedules(flow_slug, schedules) applies the schedules a flow's Java definition declares
-- and returns the flow's declared schedules by name. schedules: a JSON array of {"name", "cron",
-- "input" (default {}), "time_zone" (default UTC), "catch_up" (default latest)}. The flow's
-- compiled changelog calls it at every migration, so it acts on changes of the declaration only:
-- a missing schedule is created; one whose declaration differs from the one last applied
-- (declared_as) is updated to it (update_schedule: a new cron or zone moves next_fire_at, paused
-- stays paused); one whose declaration is unchanged is left as operators changed it since; a
-- declared schedule of the flow that the array no longer lists is deleted (its runs stay). A
-- schedule made by create_schedule that the array names becomes declared (and takes the
-- declaration); others are never touched. A name taken by another flow's schedule: 23505. A
-- malformed array or element: 22023 naming it; create_schedule's refusals otherwise.
CREATE OR REPLACE FUNCTION pgflow.apply_flow_schedules(flow_slug text, schedules jsonb)
RETURNS SETOF pgflow.schedules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow constant text := apply_flow_schedules.flow_slug;
  v_item jsonb;
  v_index int := 0;
  v_names text[] := '{}';
  v_name text;
  v_row pgflow.schedules;
  v_input jsonb;
  v_tz text;
  v_catch_up text;
  v_declared jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pgflow.flows f WHERE f.flow_slug = v_flow) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('Flow "%s" does not exist', v_flow);
  END IF;
  IF schedules IS NULL OR jsonb_typeof(schedules) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Flow "%s": schedules must be a JSON array, got %s', v_flow, coalesce(jsonb_typeof(schedules), 'NULL'));
  END IF;
  FOR v_item IN SELECT e FROM jsonb_array_elements(schedules) AS e LOOP
    v_index := v_index + 1;
    IF jsonb_typeof(v_item) <> 'object' OR jsonb_typeof(v_item -> 'name') IS DISTINCT FROM 'string'
       OR jsonb_typeof(v_item -> 'cron') IS DISTINCT FROM 'string' THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Flow "%s", schedule %s: needs a JSON object with text "name" and "cron", got %s', v_flow, v_index, v_item);
    END IF;
    v_name := v_item ->> 'name';
    IF v_name = ANY (v_names) THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Flow "%s": schedule "%s" is declared more than once', v_flow, v_name);
    END IF;
    v_names := v_names || v_name;
    v_input := coalesce(v_item -> 'input', '{}');
    v_tz := coalesce(v_item ->> 'time_zone', 'UTC');
    v_catch_up := coalesce(v_item ->> 'catch_up', 'latest');
    v_declared := jsonb_build_object('cron', v_item ->> 'cron', 'input', v_input, 'time_zone', v_tz, 'catch_up', v_catch_up);
    SELECT s.* INTO v_row FROM pgflow_internal.schedules s WHERE s.schedule_name = v_name FOR UPDATE;
    IF NOT FOUND THEN
      PERFORM pgflow.create_schedule(v_name, v_flow, v_item ->> 'cron', v_input, v_tz, v_catch_up);
    ELSIF v_row.flow_slug <> v_flow THEN
      RAISE EXCEPTION USING ERRCODE = 'unique_violation', CONSTRAINT = 'schedules_pkey',
        MESSAGE = format('Flow "%s" declares schedule "%s", but that name is taken by a schedule of flow "%s"', v_flow, v_name, v_row.flow_slug),
        HINT = 'Rename one of them; a schedule name is unique across flows.';
    ELSIF v_row.declared_as IS DISTINCT FROM v_declared
          AND (v_row.cron, v_row.input, v_row.time_zone, v_row.catch_up) IS DISTINCT FROM (v_item ->> 'cron', v_input, v_tz, v_catch_up) THEN
      PERFORM pgflow.update_schedule(v_name, v_item ->> 'cron', v_input, v_tz, v_catch_up);
    END IF;
    UPDATE pgflow_internal.schedules s SET declared_as = v_declared
    WHERE s.schedule_name = v_name AND s.declared_as IS DISTINCT FROM v_declared;
  END LOOP;
  DELETE FROM pgflow_internal.schedules s
  WHERE s.flow_slug = v_flow AND s.declared_as IS NOT NULL AND NOT (s.schedule_name = ANY (v_names));
  RETURN QUERY SELECT s.* FROM pgflow_internal.schedules s WHERE s.flow_slug = v_flow AND s.declared_as IS NOT NULL ORDER BY s.schedule_name;
END;
$$;

--changeset pgflow:108-schedule-firings runOnChange:true splitStatements:false
-- schedule_firings(schedule_name, count, after_at) returns the next count (1 to 1,000) firing
-- instants of the schedule after after_at (default now), earliest first, whether or not it is
-- paused. Unknown schedule: P0002; a count out of range: 22023.
CREATE OR REPLACE FUNCTION pgflow.schedule_firings(schedule_name text, count int DEFAULT 5, after_at timestamptz DEFAULT now())
RETURNS SETOF timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_row pgflow.schedules;
  v_at timestamptz := coalesce(schedule_firings.after_at, now());
  v_left int := schedule_firings.count;
BEGIN
  SELECT s.* INTO v_row FROM pgflow_internal.schedules s WHERE s.schedule_name = schedule_firings.schedule_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('Schedule "%s" does not exist', schedule_firings.schedule_name);
  END IF;
  IF v_left IS NULL OR v_left < 1 OR v_left > 1000 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule "%s": count must be 1 to 1000, got %s', v_row.schedule_name, coalesce(v_left::text, 'NULL'));
  END IF;
  LOOP
    v_at := pgflow._cron_next(v_row.cron, v_row.time_zone, v_at);
    EXIT WHEN v_at IS NULL;
    RETURN NEXT v_at;
    v_left := v_left - 1;
    EXIT WHEN v_left = 0;
  END LOOP;
END;
$$;

--changeset pgflow:108-schedule-grants runAlways:true runOnChange:true splitStatements:false
DO $grants$
DECLARE
  v_fn text;
BEGIN
  FOREACH v_fn IN ARRAY ARRAY['pgflow.apply_flow_schedules(text, jsonb)', 'pgflow.schedule_firings(text, int, timestamptz)']
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_fn);
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp', v_fn);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pgflow_operator', v_fn);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT EXECUTE ON FUNCTION pgflow.schedule_firings(text, int, timestamptz) TO pgflow_reader;
  END IF;
  -- servers compare the schedules a flow declares with these rows (FlowVerifier), whatever their role
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_worker') THEN
    GRANT SELECT ON pgflow_internal.schedules TO pgflow_worker;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
    GRANT SELECT ON pgflow_internal.schedules TO pgflow_operator;
  END IF;
END
$grants$;
