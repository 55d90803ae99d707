--liquibase formatted sql

--changeset pgflow:107-schedules-schema
--comment: schedules: cron runs fired by tick(), each firing started once through its idempotency key
-- One row per schedule. next_fire_at is the next firing instant (the cron expression read in
-- time_zone); tick() starts the due firings and moves it on. last_error: why the last firing could
-- not start (the flow refused its input), NULL after one that started. The table is in
-- pgflow_internal: the seed README's query lists exactly seven tables in schema pgflow, so pgflow
-- has only the row type pgflow.schedules, which the schedule functions return.
CREATE TABLE pgflow_internal.schedules (
  schedule_name text PRIMARY KEY CONSTRAINT schedules_name_text CHECK (schedule_name ~ '^[A-Za-z0-9_.-]{1,100}$'),
  flow_slug text NOT NULL REFERENCES pgflow.flows (flow_slug) ON DELETE CASCADE,
  cron text NOT NULL,
  input jsonb NOT NULL DEFAULT '{}',
  time_zone text NOT NULL DEFAULT 'UTC',
  catch_up text NOT NULL DEFAULT 'latest' CONSTRAINT schedules_catch_up_known CHECK (catch_up IN ('latest', 'all', 'none')),
  next_fire_at timestamptz,
  last_fired_at timestamptz,
  last_error text,
  paused_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_schedules_due ON pgflow_internal.schedules (next_fire_at) WHERE paused_at IS NULL;
CREATE INDEX idx_schedules_flow ON pgflow_internal.schedules (flow_slug);
CREATE TYPE pgflow.schedules AS (schedule_name text, flow_slug text, cron text, input jsonb, time_zone text, catch_up text,
                                 next_fire_at timestamptz, last_fired_at timestamptz, last_error text, paused_at timestamptz,
                                 created_at timestamptz, updated_at timestamptz);
--rollback DROP TYPE pgflow.schedules; DROP TABLE pgflow_internal.schedules;

--changeset pgflow:107-cron-field runOnChange:true splitStatements:false
-- _cron_field(cron, field_name, text, min, max, names): the sorted values of one cron field: '*',
-- lists 'a,b', ranges 'a-b', steps '*/s', 'a-b/s', 'a/s' (a to max), and names (names[1] is the
-- value min: JAN.. for months, SUN.. for days of the week). Raises 22023 naming the expression,
-- the field and what is wrong.
CREATE OR REPLACE FUNCTION pgflow._cron_field(p_cron text, p_field text, p_text text, p_min int, p_max int, p_names text[])
RETURNS int[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v_item text;
  v_range text;
  v_step int;
  v_from int;
  v_to int;
  v_values int[] := '{}';
  v_parts text[];
  v_where constant text := format('Cron "%s": %s field "%s"', p_cron, p_field, p_text);
BEGIN
  FOREACH v_item IN ARRAY string_to_array(p_text, ',') LOOP
    IF v_item = '' THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s has an empty list element', v_where);
    END IF;
    v_parts := string_to_array(v_item, '/');
    IF cardinality(v_parts) > 2 THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s: "%s" has more than one step', v_where, v_item);
    END IF;
    v_range := v_parts[1];
    v_step := 1;
    IF cardinality(v_parts) = 2 THEN
      IF v_parts[2] !~ '^[0-9]{1,4}$' OR v_parts[2]::int = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
          MESSAGE = format('%s: step "%s" is not a whole number of 1 or more', v_where, v_parts[2]);
      END IF;
      v_step := v_parts[2]::int;
    END IF;
    IF v_range = '*' THEN
      v_from := p_min;
      v_to := p_max;
    ELSE
      v_parts := string_to_array(v_range, '-');
      IF cardinality(v_parts) > 2 OR v_range = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = format('%s: "%s" is not a value or a range', v_where, v_range);
      END IF;
      v_from := pgflow._cron_value(v_where, v_parts[1], p_min, p_max, p_names);
      v_to := CASE WHEN cardinality(v_parts) = 2 THEN pgflow._cron_value(v_where, v_parts[2], p_min, p_max, p_names)
                   WHEN cardinality(string_to_array(v_item, '/')) = 2 THEN p_max
                   ELSE v_from END;
      IF v_to < v_from THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
          MESSAGE = format('%s: range "%s" ends before it starts', v_where, v_range);
      END IF;
    END IF;
    v_values := v_values || ARRAY(SELECT generate_series(v_from, v_to, v_step));
  END LOOP;
  RETURN ARRAY(SELECT DISTINCT v FROM unnest(v_values) AS v ORDER BY v);
END;
$$;

--changeset pgflow:107-cron-value runOnChange:true splitStatements:false
-- _cron_value(where, text, min, max, names): one value of a cron field, a number or a name; 22023 otherwise.
CREATE OR REPLACE FUNCTION pgflow._cron_value(p_where text, p_text text, p_min int, p_max int, p_names text[])
RETURNS int
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v_index int;
BEGIN
  IF p_text ~ '^[0-9]{1,4}$' THEN
    IF p_text::int < p_min OR p_text::int > p_max THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('%s: %s is out of range (%s-%s)', p_where, p_text, p_min, p_max);
    END IF;
    RETURN p_text::int;
  END IF;
  v_index := array_position(p_names, upper(p_text));
  IF v_index IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('%s: "%s" is not a number%s', p_where, p_text,
                       CASE WHEN p_names IS NOT NULL THEN format(' or a name (%s)', array_to_string(p_names, ', ')) ELSE '' END);
  END IF;
  RETURN p_min + v_index - 1;
END;
$$;

--changeset pgflow:107-cron-parse runOnChange:true splitStatements:false
-- _cron_parse(cron): the five standard fields (minute hour day-of-month month day-of-week) as
-- sorted value sets, or a shortcut (@hourly, @daily, @midnight, @weekly, @monthly, @yearly,
-- @annually); day of week 0-7 (0 and 7 are Sunday) or SUN-SAT, months 1-12 or JAN-DEC.
-- dom_any / dow_any: the field was '*' (a day matches when both are '*', when the other one
-- matches, or, both restricted, when either matches: cron's rule); hour_wild: the hour field is '*'
-- or a step of '*' (such schedules follow real time through a fall-back). 22023 for anything else,
-- naming the expression and what is wrong (6 fields: seconds are not supported).
CREATE OR REPLACE FUNCTION pgflow._cron_parse(p_cron text, OUT minutes int[], OUT hours int[], OUT doms int[], OUT months int[],
                                              OUT dows int[], OUT dom_any boolean, OUT dow_any boolean, OUT hour_wild boolean)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v_expr text := btrim(coalesce(p_cron, ''));
  v_fields text[];
BEGIN
  v_expr := CASE lower(v_expr) WHEN '@hourly' THEN '0 * * * *' WHEN '@daily' THEN '0 0 * * *' WHEN '@midnight' THEN '0 0 * * *'
                        WHEN '@weekly' THEN '0 0 * * 0' WHEN '@monthly' THEN '0 0 1 * *' WHEN '@yearly' THEN '0 0 1 1 *'
                        WHEN '@annually' THEN '0 0 1 1 *' ELSE v_expr END;
  IF v_expr LIKE '@%' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Cron "%s": unknown shortcut (use @hourly, @daily, @weekly, @monthly or @yearly, or five fields)', p_cron);
  END IF;
  v_fields := regexp_split_to_array(v_expr, '\s+');
  IF v_expr = '' OR cardinality(v_fields) <> 5 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Cron "%s": %s field%s; the five standard fields are expected (minute hour day-of-month month day-of-week)%s',
                       p_cron, CASE WHEN v_expr = '' THEN 0 ELSE cardinality(v_fields) END,
                       CASE WHEN cardinality(v_fields) = 1 AND v_expr <> '' THEN '' ELSE 's' END,
                       CASE WHEN cardinality(v_fields) = 6 THEN ': seconds are not supported' ELSE '' END);
  END IF;
  minutes := pgflow._cron_field(p_cron, 'minute', v_fields[1], 0, 59, NULL);
  hours := pgflow._cron_field(p_cron, 'hour', v_fields[2], 0, 23, NULL);
  doms := pgflow._cron_field(p_cron, 'day-of-month', v_fields[3], 1, 31, NULL);
  months := pgflow._cron_field(p_cron, 'month', v_fields[4], 1, 12,
                               ARRAY['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']);
  dows := ARRAY(SELECT DISTINCT d % 7 FROM unnest(pgflow._cron_field(p_cron, 'day-of-week', v_fields[5], 0, 7,
                                                  ARRAY['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'])) AS d ORDER BY 1);
  dom_any := v_fields[3] = '*';
  dow_any := v_fields[5] = '*';
  hour_wild := v_fields[2] = '*' OR v_fields[2] LIKE '*/%';
END;
$$;

--changeset pgflow:107-local-instants runOnChange:true splitStatements:false
-- _local_instants(local, time_zone): the instants whose wall clock in time_zone reads local,
-- earliest first: one, two in a fall-back (the time occurs twice), and for a time in a
-- spring-forward gap (it never occurs) the first instant after the gap.
CREATE OR REPLACE FUNCTION pgflow._local_instants(p_local timestamp, p_tz text)
RETURNS timestamptz[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_t timestamptz := p_local AT TIME ZONE p_tz;
  v_out timestamptz[] := '{}';
  v_shift interval;
BEGIN
  IF (v_t AT TIME ZONE p_tz) <> p_local THEN
    -- in a gap: the first instant whose wall clock reads p_local or later (the gap's end), whichever
    -- offset the conversion took
    WHILE (v_t AT TIME ZONE p_tz) < p_local LOOP
      v_t := v_t + interval '1 minute';
    END LOOP;
    WHILE ((v_t - interval '1 minute') AT TIME ZONE p_tz) >= p_local LOOP
      v_t := v_t - interval '1 minute';
    END LOOP;
    RETURN ARRAY[v_t];
  END IF;
  FOREACH v_shift IN ARRAY ARRAY[interval '-1 hour', interval '-30 minutes', interval '0', interval '30 minutes', interval '1 hour'] LOOP
    IF ((v_t + v_shift) AT TIME ZONE p_tz) = p_local THEN
      v_out := v_out || (v_t + v_shift);
    END IF;
  END LOOP;
  RETURN v_out;
END;
$$;

--changeset pgflow:107-cron-next runOnChange:true splitStatements:false
-- _cron_next(cron, time_zone, after): the first firing instant of the expression after the instant
-- after, on the wall clock of time_zone (NULL: it never fires within 30 years, as "0 0 30 2 *").
-- A local time that does not exist (spring forward) fires at the first instant after the gap, once;
-- one that occurs twice (fall back) fires at its first occurrence only, unless the hour field is
-- '*' or a step of '*': then at both (an hourly schedule fires every real hour).
CREATE OR REPLACE FUNCTION pgflow._cron_next(p_cron text, p_tz text, p_after timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_c record;
  v_start timestamp := date_trunc('minute', p_after AT TIME ZONE p_tz) - interval '2 hours';
  v_day date := v_start::date;
  v_last constant date := v_start::date + 366 * 30;
  v_best timestamptz;
  v_h int;
  v_m int;
  v_local timestamp;
  v_instants timestamptz[];
  v_t timestamptz;
  v_match boolean;
BEGIN
  SELECT * INTO v_c FROM pgflow._cron_parse(p_cron);
  WHILE v_day <= v_last LOOP
    IF NOT (extract(month FROM v_day)::int = ANY (v_c.months)) THEN
      v_day := (date_trunc('month', v_day) + interval '1 month')::date;
      CONTINUE;
    END IF;
    IF v_best IS NOT NULL AND v_day::timestamp > (v_best AT TIME ZONE p_tz) + interval '3 hours' THEN
      RETURN v_best;
    END IF;
    -- cron's day rule: both fields '*', or the restricted one matches, or (both restricted) either
    v_match := CASE WHEN v_c.dom_any AND v_c.dow_any THEN true
                    WHEN v_c.dom_any THEN extract(dow FROM v_day)::int = ANY (v_c.dows)
                    WHEN v_c.dow_any THEN extract(day FROM v_day)::int = ANY (v_c.doms)
                    ELSE extract(day FROM v_day)::int = ANY (v_c.doms) OR extract(dow FROM v_day)::int = ANY (v_c.dows) END;
    IF v_match THEN
      FOREACH v_h IN ARRAY v_c.hours LOOP
        FOREACH v_m IN ARRAY v_c.minutes LOOP
          v_local := v_day + make_interval(hours => v_h, mins => v_m);
          CONTINUE WHEN v_local < v_start;
          EXIT WHEN v_best IS NOT NULL AND v_local > (v_best AT TIME ZONE p_tz) + interval '3 hours';
          v_instants := pgflow._local_instants(v_local, p_tz);
          IF NOT v_c.hour_wild THEN
            v_instants := v_instants[1:1]; -- the first occurrence only
          END IF;
          FOREACH v_t IN ARRAY v_instants LOOP
            IF v_t > p_after AND (v_best IS NULL OR v_t < v_best) THEN
              v_best := v_t;
            END IF;
          END LOOP;
        END LOOP;
      END LOOP;
    END IF;
    v_day := v_day + 1;
  END LOOP;
  RETURN v_best;
END;
$$;

--changeset pgflow:107-schedule-instant runOnChange:true splitStatements:false
-- _schedule_instant(instant): a firing instant as its idempotency key ('schedule:<name>:<this>') and
-- the run input's scheduled_at write it: UTC, YYYY-MM-DDTHH24:MI:SSZ.
CREATE OR REPLACE FUNCTION pgflow._schedule_instant(p_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

--changeset pgflow:107-fire-schedule runOnChange:true splitStatements:false
-- _fire_schedule(schedule, instant): starts the firing's run (start_flow with the key
-- 'schedule:<name>:<instant>', the input plus "scheduled_at" unless it has one) and returns it; a
-- firing started before (the key) returns that run and starts nothing. The flow's refusal (an
-- input it does not take) is returned as the error text with no run, and changes nothing.
CREATE OR REPLACE FUNCTION pgflow._fire_schedule(p_schedule pgflow.schedules, p_at timestamptz, OUT run pgflow.runs, OUT error text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_at constant text := pgflow._schedule_instant(p_at);
  v_input jsonb := p_schedule.input;
BEGIN
  IF jsonb_typeof(v_input) = 'object' AND NOT v_input ? 'scheduled_at' THEN
    v_input := v_input || jsonb_build_object('scheduled_at', v_at);
  END IF;
  BEGIN
    SELECT r.* INTO run FROM pgflow.start_flow(p_schedule.flow_slug, v_input,
                                               idempotency_key => 'schedule:' || p_schedule.schedule_name || ':' || v_at) r;
  EXCEPTION WHEN invalid_parameter_value OR not_null_violation OR program_limit_exceeded OR raise_exception OR unique_violation THEN
    error := SQLERRM;
  END;
END;
$$;

--changeset pgflow:107-create-schedule runOnChange:true splitStatements:false
-- create_schedule(schedule_name, flow_slug, cron, input, time_zone, catch_up) returns the schedule,
-- next_fire_at set to its first firing after now. A schedule of that name with the same
-- definition is returned as it is; with another definition: unique_violation (use
-- update_schedule). 22023 for a bad name, an unknown flow, a bad cron expression (named), an
-- unknown time zone, an unknown catch_up ('latest', 'all', 'none'), an expression that never
-- fires, a NULL input.
CREATE OR REPLACE FUNCTION pgflow.create_schedule(schedule_name text, flow_slug text, cron text, input jsonb DEFAULT '{}',
                                                  time_zone text DEFAULT 'UTC', catch_up text DEFAULT 'latest')
RETURNS pgflow.schedules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules;
  v_next timestamptz;
BEGIN
  v_next := pgflow._check_schedule(create_schedule.schedule_name, create_schedule.flow_slug, create_schedule.cron,
                                   create_schedule.input, create_schedule.time_zone, create_schedule.catch_up);
  INSERT INTO pgflow_internal.schedules (schedule_name, flow_slug, cron, input, time_zone, catch_up, next_fire_at)
  VALUES (create_schedule.schedule_name, create_schedule.flow_slug, create_schedule.cron, create_schedule.input,
          create_schedule.time_zone, create_schedule.catch_up, v_next)
  ON CONFLICT ON CONSTRAINT schedules_pkey DO NOTHING
  RETURNING * INTO v_row;
  IF FOUND THEN
    RETURN v_row;
  END IF;
  SELECT s.* INTO v_row FROM pgflow_internal.schedules s WHERE s.schedule_name = create_schedule.schedule_name;
  IF (v_row.flow_slug, v_row.cron, v_row.input, v_row.time_zone, v_row.catch_up)
     IS DISTINCT FROM (create_schedule.flow_slug, create_schedule.cron, create_schedule.input, create_schedule.time_zone,
                       create_schedule.catch_up) THEN
    RAISE EXCEPTION USING ERRCODE = 'unique_violation', CONSTRAINT = 'schedules_pkey',
      MESSAGE = format('Schedule "%s" exists with another definition (flow %s, cron "%s", time zone %s, catch_up %s)',
                       v_row.schedule_name, v_row.flow_slug, v_row.cron, v_row.time_zone, v_row.catch_up),
      HINT = 'Change it with pgflow.update_schedule, or delete it first (pgflow.delete_schedule).';
  END IF;
  RETURN v_row;
END;
$$;

--changeset pgflow:107-check-schedule runOnChange:true splitStatements:false
-- _check_schedule(name, flow, cron, input, time_zone, catch_up): the refusals of create_schedule
-- and update_schedule; returns the first firing after now.
CREATE OR REPLACE FUNCTION pgflow._check_schedule(p_name text, p_flow text, p_cron text, p_input jsonb, p_tz text, p_catch_up text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_next timestamptz;
  v_zone_ok boolean;
BEGIN
  IF p_name IS NULL OR p_name !~ '^[A-Za-z0-9_.-]{1,100}$' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule name "%s" is not valid: 1 to 100 letters, digits, "_", "." or "-"', p_name);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pgflow.flows f WHERE f.flow_slug = p_flow) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule "%s": flow "%s" does not exist', p_name, p_flow);
  END IF;
  IF p_input IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule "%s": input must not be NULL (pass ''{}''::jsonb)', p_name);
  END IF;
  -- a region name (Europe/Berlin) the server converts with is a zone of the tz database: checked in
  -- 0.1 ms; anything else (EST5EDT, an abbreviation, a typo) against pg_timezone_names, which reads
  -- every zone file (13 ms), so abbreviations and POSIX rules stay refused
  v_zone_ok := p_tz = 'UTC';
  IF NOT v_zone_ok AND p_tz ~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)+$' THEN
    BEGIN
      PERFORM now() AT TIME ZONE p_tz;
      v_zone_ok := true;
    EXCEPTION WHEN invalid_parameter_value THEN
      v_zone_ok := false;
    END;
  END IF;
  IF p_tz IS NULL OR NOT (v_zone_ok OR EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = p_tz)) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule "%s": unknown time zone "%s" (a name of pg_timezone_names, as Europe/Berlin or UTC)', p_name, p_tz);
  END IF;
  IF p_catch_up IS NULL OR p_catch_up NOT IN ('latest', 'all', 'none') THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule "%s": catch_up "%s" is not one of latest, all, none', p_name, p_catch_up);
  END IF;
  v_next := pgflow._cron_next(p_cron, p_tz, now());
  IF v_next IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Cron "%s": never fires (no such date within 30 years)', p_cron);
  END IF;
  RETURN v_next;
END;
$$;

--changeset pgflow:107-schedule-row runOnChange:true splitStatements:false
-- _schedule_row(name, lock): the schedule (locked FOR UPDATE when asked); P0002 for an unknown one.
CREATE OR REPLACE FUNCTION pgflow._schedule_row(p_name text, p_lock boolean)
RETURNS pgflow.schedules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules;
BEGIN
  IF p_lock THEN
    SELECT s.* INTO v_row FROM pgflow_internal.schedules s WHERE s.schedule_name = p_name FOR UPDATE;
  ELSE
    SELECT s.* INTO v_row FROM pgflow_internal.schedules s WHERE s.schedule_name = p_name;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('Schedule "%s" does not exist', p_name),
      HINT = 'SELECT schedule_name FROM pgflow_internal.schedules lists them.';
  END IF;
  RETURN v_row;
END;
$$;

--changeset pgflow:107-update-schedule runOnChange:true splitStatements:false
-- update_schedule(schedule_name, cron, input, time_zone, catch_up) returns the schedule; a NULL
-- keeps that value. A new cron or time zone sets next_fire_at to the first firing after now.
-- create_schedule's refusals; an unknown schedule: P0002.
CREATE OR REPLACE FUNCTION pgflow.update_schedule(schedule_name text, cron text DEFAULT NULL, input jsonb DEFAULT NULL,
                                                  time_zone text DEFAULT NULL, catch_up text DEFAULT NULL)
RETURNS pgflow.schedules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules := pgflow._schedule_row(update_schedule.schedule_name, true);
  v_next timestamptz;
BEGIN
  v_next := pgflow._check_schedule(v_row.schedule_name, v_row.flow_slug, coalesce(update_schedule.cron, v_row.cron),
                                   coalesce(update_schedule.input, v_row.input), coalesce(update_schedule.time_zone, v_row.time_zone),
                                   coalesce(update_schedule.catch_up, v_row.catch_up));
  UPDATE pgflow_internal.schedules s
  SET cron = coalesce(update_schedule.cron, s.cron), input = coalesce(update_schedule.input, s.input),
      time_zone = coalesce(update_schedule.time_zone, s.time_zone), catch_up = coalesce(update_schedule.catch_up, s.catch_up),
      next_fire_at = CASE WHEN coalesce(update_schedule.cron, s.cron) <> s.cron
                               OR coalesce(update_schedule.time_zone, s.time_zone) <> s.time_zone THEN v_next
                          ELSE s.next_fire_at END,
      updated_at = now()
  WHERE s.schedule_name = v_row.schedule_name
  RETURNING s.* INTO v_row;
  RETURN v_row;
END;
$$;

--changeset pgflow:107-pause-resume-delete-schedule runOnChange:true splitStatements:false
-- pause_schedule(name) returns the schedule: tick() fires nothing of it until resume_schedule
-- (pausing a paused one changes nothing). resume_schedule(name): next_fire_at becomes the first
-- firing after now (nothing missed while paused is caught up). delete_schedule(name) returns the
-- deleted schedule; its runs stay. Unknown schedule: P0002.
CREATE OR REPLACE FUNCTION pgflow.pause_schedule(schedule_name text)
RETURNS pgflow.schedules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules := pgflow._schedule_row(pause_schedule.schedule_name, true);
BEGIN
  UPDATE pgflow_internal.schedules s SET paused_at = coalesce(s.paused_at, now()), updated_at = now()
  WHERE s.schedule_name = v_row.schedule_name RETURNING s.* INTO v_row;
  RETURN v_row;
END;
$$;

CREATE OR REPLACE FUNCTION pgflow.resume_schedule(schedule_name text)
RETURNS pgflow.schedules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules := pgflow._schedule_row(resume_schedule.schedule_name, true);
BEGIN
  IF v_row.paused_at IS NULL THEN
    RETURN v_row;
  END IF;
  UPDATE pgflow_internal.schedules s SET paused_at = NULL, next_fire_at = pgflow._cron_next(s.cron, s.time_zone, now()), updated_at = now()
  WHERE s.schedule_name = v_row.schedule_name RETURNING s.* INTO v_row;
  RETURN v_row;
END;
$$;

CREATE OR REPLACE FUNCTION pgflow.delete_schedule(schedule_name text)
RETURNS pgflow.schedules
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules := pgflow._schedule_row(delete_schedule.schedule_name, true);
BEGIN
  DELETE FROM pgflow_internal.schedules s WHERE s.schedule_name = v_row.schedule_name;
  RETURN v_row;
END;
$$;

--changeset pgflow:107-trigger-schedule runOnChange:true splitStatements:false
-- trigger_schedule(name) returns the run it starts now (the key carries this instant, to the
-- second: a second trigger within the same second returns the same run); next_fire_at does not
-- move. A paused schedule can be triggered. The flow's refusal: 22023 with its message. P0002.
CREATE OR REPLACE FUNCTION pgflow.trigger_schedule(schedule_name text)
RETURNS pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules := pgflow._schedule_row(trigger_schedule.schedule_name, false);
  v_fired record;
BEGIN
  SELECT * INTO v_fired FROM pgflow._fire_schedule(v_row, date_trunc('second', clock_timestamp()));
  IF v_fired.error IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule "%s": the run could not start: %s', v_row.schedule_name, v_fired.error);
  END IF;
  RETURN v_fired.run;
END;
$$;

--changeset pgflow:107-backfill-schedule runOnChange:true splitStatements:false
-- backfill_schedule(name, from_at, to_at) starts one run per firing instant of the schedule in
-- [from_at, to_at] (each with its firing's key, so one started before, by tick() or an earlier
-- backfill, is not started again) and returns how many it started. More than 10,000 firings in the
-- range: 22023 (split it). The flow's refusal: 22023, nothing started. Unknown schedule: P0002.
CREATE OR REPLACE FUNCTION pgflow.backfill_schedule(schedule_name text, from_at timestamptz, to_at timestamptz)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_row pgflow.schedules := pgflow._schedule_row(backfill_schedule.schedule_name, false);
  v_at timestamptz;
  v_firings timestamptz[] := '{}';
  v_fired record;
  v_started int := 0;
BEGIN
  IF from_at IS NULL OR to_at IS NULL OR to_at < from_at THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Schedule "%s": backfill needs from_at <= to_at, got %s and %s', v_row.schedule_name, from_at, to_at);
  END IF;
  v_at := pgflow._cron_next(v_row.cron, v_row.time_zone, from_at - interval '1 microsecond');
  WHILE v_at IS NOT NULL AND v_at <= to_at LOOP
    v_firings := v_firings || v_at;
    IF cardinality(v_firings) > 10000 THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Schedule "%s": more than 10,000 firings between %s and %s; backfill a shorter range at a time',
                         v_row.schedule_name, from_at, to_at);
    END IF;
    v_at := pgflow._cron_next(v_row.cron, v_row.time_zone, v_at);
  END LOOP;
  FOREACH v_at IN ARRAY v_firings LOOP
    SELECT * INTO v_fired FROM pgflow._fire_schedule(v_row, v_at);
    IF v_fired.error IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Schedule "%s", firing %s: the run could not start: %s', v_row.schedule_name,
                         pgflow._schedule_instant(v_at), v_fired.error);
    END IF;
    IF (v_fired.run).started_at = now() THEN
      v_started := v_started + 1;
    END IF;
  END LOOP;
  RETURN v_started;
END;
$$;

--changeset pgflow:107-fire-due-schedules runOnChange:true splitStatements:false
-- _fire_due_schedules(budget) fires what is due (tick() calls it): per schedule whose next_fire_at
-- has passed (not paused; SKIP LOCKED: concurrent ticks never fire a schedule twice nor wait), one
-- due firing starts its run; several due (the servers were down) follow catch_up: 'latest' the most
-- recent only, 'all' every one oldest first (within budget runs per call), 'none' none. Then
-- next_fire_at moves past what was handled, last_fired_at is the last firing started, last_error
-- the flow's refusal (NULL when it started). Returns (fired, errors, more).
CREATE OR REPLACE FUNCTION pgflow._fire_due_schedules(p_budget int, OUT fired int, OUT errors int, OUT more boolean)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_s pgflow.schedules;
  v_now timestamptz;
  v_firings timestamptz[];
  v_at timestamptz;
  v_next timestamptz;
  v_fired record;
  v_error text;
  v_last timestamptz;
  v_rows int := 0;
BEGIN
  fired := 0;
  errors := 0;
  more := false;
  -- at most p_budget schedules per call (each fires at least once); a full batch says "more": the
  -- caller calls again at once (5,000 schedules due together: 5 calls, not 50 ticks a second apart)
  FOR v_s IN
    SELECT s.* FROM pgflow_internal.schedules s
    WHERE s.paused_at IS NULL AND s.next_fire_at <= clock_timestamp()
    ORDER BY s.next_fire_at
    LIMIT p_budget
    FOR UPDATE SKIP LOCKED
  LOOP
    IF fired + errors >= p_budget THEN
      more := true;
      EXIT;
    END IF;
    v_rows := v_rows + 1;
    v_now := clock_timestamp();
    v_next := pgflow._cron_next(v_s.cron, v_s.time_zone, v_s.next_fire_at);
    IF v_next IS NULL OR v_next > v_now THEN
      v_firings := ARRAY[v_s.next_fire_at]; -- one firing due: it fires whatever catch_up says
    ELSIF v_s.catch_up = 'none' THEN
      v_firings := '{}';
      v_next := pgflow._cron_next(v_s.cron, v_s.time_zone, v_now);
    ELSIF v_s.catch_up = 'all' THEN
      v_firings := ARRAY[v_s.next_fire_at];
      WHILE v_next IS NOT NULL AND v_next <= v_now AND fired + errors + cardinality(v_firings) < p_budget LOOP
        v_firings := v_firings || v_next;
        v_next := pgflow._cron_next(v_s.cron, v_s.time_zone, v_next);
      END LOOP;
      more := more OR (v_next IS NOT NULL AND v_next <= v_now);
    ELSE -- latest: the last firing at or before now
      v_at := pgflow._cron_latest(v_s.cron, v_s.time_zone, v_s.next_fire_at, v_now);
      v_firings := ARRAY[v_at];
      v_next := pgflow._cron_next(v_s.cron, v_s.time_zone, v_at);
    END IF;
    v_error := NULL;
    v_last := v_s.last_fired_at;
    FOREACH v_at IN ARRAY v_firings LOOP
      SELECT * INTO v_fired FROM pgflow._fire_schedule(v_s, v_at);
      IF v_fired.error IS NULL THEN
        fired := fired + 1;
        v_last := v_at;
      ELSE
        errors := errors + 1;
        v_error := format('firing %s: %s', pgflow._schedule_instant(v_at), v_fired.error);
      END IF;
    END LOOP;
    UPDATE pgflow_internal.schedules s
    SET next_fire_at = v_next, -- every branch left it at the first firing after those it handled
        last_fired_at = v_last, last_error = CASE WHEN cardinality(v_firings) > 0 THEN v_error ELSE s.last_error END
    WHERE s.schedule_name = v_s.schedule_name;
  END LOOP;
  more := more OR v_rows >= p_budget;
END;
$$;

--changeset pgflow:107-cron-latest runOnChange:true splitStatements:false
-- _cron_latest(cron, time_zone, first, until): the last firing in [first, until] (first is one),
-- found by looking back from until over growing windows (an hour, a day, 32 days, 400 days, all)
-- and then forward, so a long downtime of a frequent schedule costs a few probes, not one per firing.
CREATE OR REPLACE FUNCTION pgflow._cron_latest(p_cron text, p_tz text, p_first timestamptz, p_until timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_window interval;
  v_at timestamptz;
  v_next timestamptz;
BEGIN
  FOREACH v_window IN ARRAY ARRAY[interval '1 hour', interval '1 day', interval '32 days', interval '400 days'] LOOP
    IF p_until - v_window > p_first THEN
      v_at := pgflow._cron_next(p_cron, p_tz, p_until - v_window);
      IF v_at IS NOT NULL AND v_at <= p_until THEN
        EXIT;
      END IF;
      v_at := NULL;
    END IF;
  END LOOP;
  v_at := coalesce(v_at, p_first);
  LOOP
    v_next := pgflow._cron_next(p_cron, p_tz, v_at);
    EXIT WHEN v_next IS NULL OR v_next > p_until;
    v_at := v_next;
  END LOOP;
  RETURN v_at;
END;
$$;

--changeset pgflow:107-schedule-grants runAlways:true runOnChange:true splitStatements:false
DO $grants$
DECLARE
  v_fn text;
BEGIN
  FOREACH v_fn IN ARRAY ARRAY['pgflow._cron_field(text, text, text, int, int, text[])', 'pgflow._cron_value(text, text, int, int, text[])',
                              'pgflow._cron_parse(text)', 'pgflow._local_instants(timestamp, text)', 'pgflow._cron_next(text, text, timestamptz)',
                              'pgflow._schedule_instant(timestamptz)', 'pgflow._fire_schedule(pgflow.schedules, timestamptz)',
                              'pgflow._check_schedule(text, text, text, jsonb, text, text)', 'pgflow._schedule_row(text, boolean)',
                              'pgflow._fire_due_schedules(int)', 'pgflow._cron_latest(text, text, timestamptz, timestamptz)']
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_fn);
  END LOOP;
  FOREACH v_fn IN ARRAY ARRAY['pgflow.create_schedule(text, text, text, jsonb, text, text)',
                              'pgflow.update_schedule(text, text, jsonb, text, text)', 'pgflow.pause_schedule(text)',
                              'pgflow.resume_schedule(text)', 'pgflow.delete_schedule(text)', 'pgflow.trigger_schedule(text)',
                              'pgflow.backfill_schedule(text, timestamptz, timestamptz)']
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_fn);
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp', v_fn);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pgflow_operator', v_fn);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT SELECT ON pgflow_internal.schedules TO pgflow_reader;
  END IF;
END
$grants$;
