--liquibase formatted sql

--changeset pgflow:112-run-id-floor runOnChange:true splitStatements:false
-- _run_id_floor(at): the smallest version 7 run id of the millisecond `at` (its 48 time bits, the
-- rest zero). Run ids made by _new_run_id grow with their start time, so [_run_id_floor(a),
-- _run_id_floor(b)) holds exactly the generated ids of the runs started in [a, b): the bounds of
-- the run partitions.
CREATE OR REPLACE FUNCTION pgflow._run_id_floor(p_at timestamptz)
RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT
AS $$
  SELECT (lpad(to_hex(floor(extract(epoch FROM p_at) * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid
$$;

--changeset pgflow:112-partition-tables splitStatements:false
--comment: the registry of run partitions, their width, and the idempotency keys (a partitioned table's unique index must hold its partition key)
-- run_keys: one row per (flow, idempotency key), naming the run the key started. It replaces the
-- unique index idx_runs_idempotency_key, which cannot exist on runs partitioned by run_id; start_flow
-- and start_flows claim a key here first. A key whose run is gone (pruned) is free again.
CREATE SCHEMA IF NOT EXISTS pgflow_partitions;
COMMENT ON SCHEMA pgflow_partitions IS
  'The partitions of pgflow.runs and of every table keyed by run_id; read and write the parents, never these';
CREATE TABLE pgflow_internal.run_keys (
  flow_slug       text NOT NULL,
  idempotency_key text NOT NULL,
  run_id          uuid NOT NULL,
  PRIMARY KEY (flow_slug, idempotency_key)
);
CREATE INDEX idx_run_keys_run ON pgflow_internal.run_keys (run_id);
COMMENT ON TABLE pgflow_internal.run_keys IS
  'The run each idempotency key of a flow started (start_flow(..., idempotency_key)); pruned with the runs';
INSERT INTO pgflow_internal.run_keys (flow_slug, idempotency_key, run_id)
SELECT r.flow_slug, r.idempotency_key, r.run_id FROM pgflow.runs r WHERE r.idempotency_key IS NOT NULL;
-- run_partitioning: the one row of settings (set_run_partitioning): each new partition covers `width`
-- of start times (aligned to Monday 2001-01-01 00:00 UTC), created until `ahead` from now is covered.
CREATE TABLE pgflow_internal.run_partitioning (
  singleton boolean  PRIMARY KEY DEFAULT true CHECK (singleton),
  width     interval NOT NULL DEFAULT interval '7 days',
  ahead     interval NOT NULL DEFAULT interval '14 days'
);
INSERT INTO pgflow_internal.run_partitioning DEFAULT VALUES;
-- run_partitions: the time ranges, one partition of each run table per row (suffix: runs_<suffix>,
-- step_states_<suffix>, ...). 'legacy' holds the runs started before this changeset (its from_id is
-- the nil uuid); the fixed partitions 'ids' (caller-chosen random run ids) and 'other' (the default
-- partition) are not time ranges and are not listed. status 'skipped': the range could not be made
-- because the default partition already holds runs of it (they stay there, pruned by rows).
CREATE TABLE pgflow_internal.run_partitions (
  suffix     text        PRIMARY KEY,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  from_id    uuid        NOT NULL,
  to_id      uuid        NOT NULL,
  status     text        NOT NULL DEFAULT 'attached' CHECK (status IN ('attached', 'skipped')),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (starts_at < ends_at AND from_id < to_id)
);
CREATE INDEX idx_run_partitions_ends ON pgflow_internal.run_partitions (ends_at);
COMMENT ON TABLE pgflow_internal.run_partitions IS
  'The time ranges of the run partitions (pgflow_partitions.<table>_<suffix>); created ahead by tick(), dropped by prune_data_older_than';
--rollback DROP TABLE pgflow_internal.run_partitions; DROP TABLE pgflow_internal.run_partitioning; DROP TABLE pgflow_internal.run_keys;

--changeset pgflow:112-partition-lock-timeout runOnChange:true splitStatements:false
-- _partition_lock_timeout(): the lock_timeout of one try of the partition DDL (an attach by
-- create_run_partitions, a drop by drop_run_partitions and prune_data_older_than): the setting
-- pgflow.partition_lock_timeout (ALTER DATABASE ... SET, ALTER ROLE ... SET or SET), 50ms when unset.
-- While the DDL waits, every statement on the run tables queues behind it: a short wait caps that
-- stall; a busy table is tried again (a drop: 10 tries 100 ms apart; an attach: the next tick).
-- invalid_parameter_value naming the setting when it is not a duration of 1 ms to 10 s.
CREATE OR REPLACE FUNCTION pgflow._partition_lock_timeout()
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_set constant text := nullif(current_setting('pgflow.partition_lock_timeout', true), '');
  v_interval interval;
BEGIN
  IF v_set IS NULL THEN
    RETURN '50ms';
  END IF;
  BEGIN
    v_interval := CASE WHEN v_set ~ '^\s*[0-9]+\s*$' THEN (v_set || ' ms')::interval ELSE v_set::interval END;
  EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
    v_interval := NULL;
  END;
  IF v_interval IS NULL OR v_interval < interval '1 ms' OR v_interval > interval '10 s' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('pgflow.partition_lock_timeout = %L is not a duration from 1ms to 10s (for example 50ms)', v_set);
  END IF;
  RETURN round(extract(epoch FROM v_interval) * 1000)::int || 'ms';
END;
$$;

--changeset pgflow:112-create-run-partition runOnChange:true splitStatements:false
-- _create_run_partition(suffix, from_id, to_id): one partition of each run table for the run ids
-- [from_id, to_id) (to_id NULL: up to MAXVALUE; both NULL: the default partition), made as plain
-- tables, tied to each other by the foreign keys of the run tables (step_states to runs, step_tasks
-- to step_states, task_attempts to step_tasks, run_retries/run_traces/task_traces to runs: partition
-- to partition, so a range drops whole without checks across partitions), then attached (which
-- locks the parents only SHARE UPDATE EXCLUSIVE; the default partition is scanned for rows of the
-- range, check_violation if it has some). Storage settings are the newest partition's of each table.
CREATE OR REPLACE FUNCTION pgflow._create_run_partition(p_suffix text, p_from uuid, p_to uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_t record;
  v_name text;
  v_options text;
  v_bounds text := CASE WHEN p_from IS NULL THEN 'DEFAULT'
                        ELSE format('FOR VALUES FROM (%L) TO (%s)', p_from, coalesce(quote_literal(p_to), 'MAXVALUE')) END;
BEGIN
  FOR v_t IN
    SELECT * FROM (VALUES
      (1, 'pgflow', 'runs', NULL, NULL, NULL),
      (2, 'pgflow', 'step_states', 'runs', '(run_id)', ''),
      (3, 'pgflow', 'step_tasks', 'step_states', '(run_id, step_slug)', ''),
      (4, 'pgflow_internal', 'task_attempts', 'step_tasks', '(run_id, step_slug, task_index)', ' ON DELETE CASCADE'),
      (5, 'pgflow_internal', 'run_retries', 'runs', '(run_id)', ' ON DELETE CASCADE'),
      (6, 'pgflow_internal', 'run_traces', 'runs', '(run_id)', ' ON DELETE CASCADE'),
      (7, 'pgflow_internal', 'task_traces', 'runs', '(run_id)', ' ON DELETE CASCADE')) t(ord, nsp, tab, ref, cols, action)
    ORDER BY ord
  LOOP
    v_name := v_t.tab || '_' || p_suffix;
    SELECT array_to_string(c.reloptions, ', ') INTO v_options
    FROM pg_class c
    WHERE c.reloptions IS NOT NULL
      AND (c.oid IN (SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = format('%I.%I', v_t.nsp, v_t.tab)::regclass)
           OR c.oid = to_regclass(format('pgflow_partitions.%I', v_t.tab || '_legacy')))
    ORDER BY c.oid DESC LIMIT 1;
    EXECUTE format('CREATE TABLE pgflow_partitions.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)%s',
                   v_name, v_t.nsp, v_t.tab, CASE WHEN v_options IS NOT NULL THEN ' WITH (' || v_options || ')' ELSE '' END);
    IF v_t.ref IS NOT NULL THEN
      EXECUTE format('ALTER TABLE pgflow_partitions.%I ADD FOREIGN KEY %s REFERENCES pgflow_partitions.%I %s%s',
                     v_name, v_t.cols, v_t.ref || '_' || p_suffix, v_t.cols, v_t.action);
    END IF;
    EXECUTE format('ALTER TABLE %I.%I ATTACH PARTITION pgflow_partitions.%I %s', v_t.nsp, v_t.tab, v_name, v_bounds);
  END LOOP;
END;
$$;

--changeset pgflow:112-delete-runs runOnChange:true splitStatements:false
-- _delete_runs(run_ids): deletes the runs with their step states, tasks, attempts, retries, traces
-- and idempotency keys (the callers chose them: finished, whole families).
CREATE OR REPLACE FUNCTION pgflow._delete_runs(p_run_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  DELETE FROM pgflow.step_tasks t WHERE t.run_id = ANY (p_run_ids);
  DELETE FROM pgflow.step_states s WHERE s.run_id = ANY (p_run_ids);
  DELETE FROM pgflow_internal.run_keys k WHERE k.run_id = ANY (p_run_ids);
  DELETE FROM pgflow.runs r WHERE r.run_id = ANY (p_run_ids);
END;
$$;

--changeset pgflow:112-create-run-partitions runOnChange:true splitStatements:false
-- create_run_partitions(): makes the run partitions of the coming time ranges until `ahead` from
-- now is covered (run_partitioning: a range is `width` long, aligned to Monday 2001-01-01 00:00 UTC),
-- and returns how many it made (0 while the tables are not partitioned: partition_run_tables). tick() calls it, so every server's scheduler keeps ranges ahead;
-- cheap when nothing is due (one read of a small table). One caller at a time (an advisory lock;
-- the others return 0). Each range is made in a subtransaction with a short lock_timeout
-- (_partition_lock_timeout: 50 ms unless pgflow.partition_lock_timeout says otherwise; the attach
-- locks the default partition ACCESS EXCLUSIVE, and every statement on the run tables queues behind
-- it while it waits): a range whose attach waits longer is left for a call 10 s later
-- (attach_retry_at, changeset 113: calls before it return 0 at once, so a busy installation is not
-- held up at every tick; set_run_partitioning clears it). Ranges that already passed are not
-- made (their runs are in the default partition 'other'); a range whose runs the default partition
-- already holds (create_run_partitions not called for longer than `ahead`) is recorded 'skipped':
-- its runs stay there, pruned by rows.
CREATE OR REPLACE FUNCTION pgflow.create_run_partitions()
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_origin constant timestamptz := timestamptz '2001-01-01 00:00:00+00';
  v_set pgflow_internal.run_partitioning;
  v_end timestamptz;
  v_next timestamptz;
  v_suffix text;
  v_made int := 0;
  v_timeout text;
  v_refused boolean := false;
BEGIN
  SELECT * INTO v_set FROM pgflow_internal.run_partitioning;
  SELECT max(p.ends_at) INTO v_end FROM pgflow_internal.run_partitions p;
  -- no range at all: the tables are not partitioned (partition_run_tables makes the first)
  IF v_end IS NULL OR v_end >= now() + v_set.ahead OR clock_timestamp() < v_set.attach_retry_at
     OR NOT pg_try_advisory_xact_lock(hashtext('pgflow.create_run_partitions')) THEN
    RETURN 0;
  END IF;
  v_end := greatest(v_end, date_bin(v_set.width, now(), v_origin));
  v_timeout := current_setting('lock_timeout');
  PERFORM set_config('lock_timeout', pgflow._partition_lock_timeout(), true);
  WHILE v_end < now() + v_set.ahead LOOP
    v_next := date_bin(v_set.width, v_end, v_origin) + v_set.width;
    v_suffix := to_char(v_end AT TIME ZONE 'UTC', 'YYYYMMDD_HH24MI');
    BEGIN
      PERFORM pgflow._create_run_partition(v_suffix, pgflow._run_id_floor(v_end), pgflow._run_id_floor(v_next));
      INSERT INTO pgflow_internal.run_partitions (suffix, starts_at, ends_at, from_id, to_id)
      VALUES (v_suffix, v_end, v_next, pgflow._run_id_floor(v_end), pgflow._run_id_floor(v_next));
      v_made := v_made + 1;
    EXCEPTION
      WHEN lock_not_available THEN
        -- each try holds up the run tables while it waits: the next one in 10 s, not at the next tick
        UPDATE pgflow_internal.run_partitioning p SET attach_retry_at = clock_timestamp() + interval '10 seconds';
        v_refused := true;
        EXIT;
      WHEN check_violation THEN
        INSERT INTO pgflow_internal.run_partitions (suffix, starts_at, ends_at, from_id, to_id, status)
        VALUES (v_suffix, v_end, v_next, pgflow._run_id_floor(v_end), pgflow._run_id_floor(v_next), 'skipped');
    END;
    v_end := v_next;
  END LOOP;
  PERFORM set_config('lock_timeout', v_timeout, true);
  IF NOT v_refused AND v_set.attach_retry_at IS NOT NULL THEN
    UPDATE pgflow_internal.run_partitioning p SET attach_retry_at = NULL;
  END IF;
  RETURN v_made;
END;
$$;

--changeset pgflow:112-droppable-run-partitions runOnChange:true splitStatements:false
-- _droppable_run_partitions(before, only_empty): the run partitions drop_run_partitions may drop,
-- oldest first, with their runs and the runs of their families outside them; it reads and takes no
-- lock beyond reading, so the drops (which lock the parents) can come last in their transaction.
CREATE OR REPLACE FUNCTION pgflow._droppable_run_partitions(p_before timestamptz, p_only_empty boolean)
RETURNS TABLE (suffix text, from_id uuid, to_id uuid, runs bigint, outside uuid[])
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_p pgflow_internal.run_partitions;
  v_runs bigint;
  v_open bigint;
  v_outside uuid[];
  v_outside_open boolean;
BEGIN
  IF p_before IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'drop_run_partitions: before must not be NULL';
  END IF;
  FOR v_p IN SELECT * FROM pgflow_internal.run_partitions p
             WHERE p.status = 'attached' AND p.ends_at <= p_before ORDER BY p.starts_at LOOP
    EXECUTE format('SELECT count(*), count(*) FILTER (WHERE NOT (r.status IN (''completed'', ''failed'', ''cancelled'')'
                   ' AND greatest(r.completed_at, r.failed_at, r.cancelled_at) < $1)) FROM pgflow_partitions.%I r', 'runs_' || v_p.suffix)
      INTO v_runs, v_open USING p_before;
    CONTINUE WHEN v_open > 0 OR (p_only_empty AND v_runs > 0);
    WITH families AS (
      SELECT r.root_run_id AS root FROM pgflow.runs r
      WHERE r.run_id >= v_p.from_id AND r.run_id < v_p.to_id AND r.root_run_id IS NOT NULL
      UNION
      SELECT m.root_run_id FROM pgflow.runs m
      WHERE m.root_run_id >= v_p.from_id AND m.root_run_id < v_p.to_id
    ), members AS (
      SELECT m.* FROM families f JOIN pgflow.runs m ON m.run_id = f.root
      UNION
      SELECT m.* FROM families f JOIN pgflow.runs m ON m.root_run_id = f.root
    )
    SELECT array_agg(o.run_id), coalesce(bool_or(NOT (o.status IN ('completed', 'failed', 'cancelled')
                                                     AND greatest(o.completed_at, o.failed_at, o.cancelled_at) < p_before)), false)
    INTO v_outside, v_outside_open
    FROM members o WHERE o.run_id < v_p.from_id OR o.run_id >= v_p.to_id;
    CONTINUE WHEN v_outside_open;
    suffix := v_p.suffix;
    from_id := v_p.from_id;
    to_id := v_p.to_id;
    runs := v_runs;
    outside := v_outside;
    RETURN NEXT;
  END LOOP;
END;
$$;

--changeset pgflow:112-drop-run-partition runOnChange:true splitStatements:false
-- _drop_run_partition(suffix, from_id, to_id, outside): deletes the runs `outside` (the family
-- members elsewhere) and the range's idempotency keys, then drops the range's seven partitions, in a
-- subtransaction. The drop locks the parents ACCESS EXCLUSIVE, and every statement on the run tables
-- queues behind it while it waits: each try waits at most _partition_lock_timeout() (50 ms unless
-- pgflow.partition_lock_timeout says otherwise), 10 tries 100 ms apart; false (NOTICE, nothing
-- changed) when all were refused. The locks are held until the caller's transaction ends: call it last.
CREATE OR REPLACE FUNCTION pgflow._drop_run_partition(p_suffix text, p_from uuid, p_to uuid, p_outside uuid[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_timeout constant text := current_setting('lock_timeout');
  v_wait constant text := pgflow._partition_lock_timeout();
  v_tries constant int := 10;
BEGIN
  FOR v_try IN 1..v_tries LOOP
    BEGIN
      IF p_outside IS NOT NULL THEN
        PERFORM pgflow._delete_runs(p_outside);
      END IF;
      DELETE FROM pgflow_internal.run_keys k WHERE k.run_id >= p_from AND k.run_id < p_to;
      PERFORM set_config('lock_timeout', v_wait, true);
      EXECUTE format('DROP TABLE pgflow_partitions.%I, pgflow_partitions.%I, pgflow_partitions.%I, pgflow_partitions.%I,'
                     ' pgflow_partitions.%I, pgflow_partitions.%I, pgflow_partitions.%I',
                     'task_traces_' || p_suffix, 'run_traces_' || p_suffix, 'run_retries_' || p_suffix,
                     'task_attempts_' || p_suffix, 'step_tasks_' || p_suffix, 'step_states_' || p_suffix, 'runs_' || p_suffix);
      PERFORM set_config('lock_timeout', v_timeout, true);
      DELETE FROM pgflow_internal.run_partitions p WHERE p.suffix = p_suffix;
      RETURN true;
    EXCEPTION WHEN lock_not_available THEN
      -- the subtransaction's deletes and locks are undone: nothing is held while it sleeps
      PERFORM set_config('lock_timeout', v_timeout, true);
    END;
    IF v_try < v_tries THEN
      PERFORM pg_sleep(0.1);
    END IF;
  END LOOP;
  RAISE NOTICE 'run partition % not dropped: its tables were busy (% tries of %); the next prune tries again', p_suffix, v_tries, v_wait;
  RETURN false;
END;
$$;

--changeset pgflow:112-drop-run-partitions runOnChange:true splitStatements:false
-- drop_run_partitions(before, only_empty): drops, oldest first, each run partition (the same range
-- of all seven run tables) whose time range ended by `before` and whose runs all finished
-- (completed, failed, cancelled) before `before`, with the families they belong to: a run of the
-- partition whose family (root and every descendant) has a run elsewhere that is still open or
-- finished later keeps the partition. The family's runs outside the partition are deleted by rows,
-- its idempotency keys with it. only_empty: drop only partitions without any run (the prune job,
-- which exports and deletes by rows first). Every partition is judged first, then the drops are
-- made (they lock the seven parent tables ACCESS EXCLUSIVE until the transaction ends: call it in a
-- transaction of its own). A partition whose drop cannot get its locks (10 tries, each waiting at
-- most pgflow.partition_lock_timeout, 50 ms by default) is left (NOTICE) for the next call. Returns the partitions dropped and how many runs each held. The
-- default partition 'other' and the caller-chosen ids' partition 'ids' are never dropped.
CREATE OR REPLACE FUNCTION pgflow.drop_run_partitions(before timestamptz, only_empty boolean DEFAULT false)
RETURNS TABLE (partition text, runs bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_c record;
BEGIN
  FOR v_c IN SELECT * FROM pgflow._droppable_run_partitions(drop_run_partitions.before, drop_run_partitions.only_empty) LOOP
    IF pgflow._drop_run_partition(v_c.suffix, v_c.from_id, v_c.to_id, v_c.outside) THEN
      partition := v_c.suffix;
      runs := v_c.runs;
      RETURN NEXT;
    END IF;
  END LOOP;
END;
$$;

--changeset pgflow:112-run-partitions runOnChange:true splitStatements:false
-- run_partitions(): the partitions of the run tables, oldest first: the time ranges (legacy: the runs
-- from before partitioning), then 'ids' (caller-chosen random run ids; absent when the tables were
-- partitioned without it) and 'other' (the default partition), each with its runs (the planner's
-- estimate, exact after ANALYZE) and the bytes of its seven tables with their indexes. No rows while
-- the tables are not partitioned.
CREATE OR REPLACE FUNCTION pgflow.run_partitions()
RETURNS TABLE (partition text, starts_at timestamptz, ends_at timestamptz, status text, runs bigint, bytes bigint)
LANGUAGE sql STABLE
AS $$
  SELECT p.suffix, p.starts_at, p.ends_at, p.status,
         (SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c WHERE c.oid = to_regclass('pgflow_partitions.runs_' || p.suffix)),
         (SELECT sum(pg_total_relation_size(to_regclass(format('pgflow_partitions.%I', t.tab || '_' || p.suffix))))::bigint
          FROM unnest(ARRAY['runs', 'step_states', 'step_tasks', 'task_attempts', 'run_retries', 'run_traces', 'task_traces']) t(tab))
  FROM (SELECT q.suffix, q.starts_at, q.ends_at, q.status, 0 AS ord FROM pgflow_internal.run_partitions q
        UNION ALL VALUES ('ids', NULL::timestamptz, NULL::timestamptz, 'attached', 1), ('other', NULL, NULL, 'attached', 2)) p
  WHERE (SELECT c.relkind FROM pg_class c WHERE c.oid = 'pgflow.runs'::regclass) = 'p'
    AND (p.suffix <> 'ids' OR to_regclass('pgflow_partitions.runs_ids') IS NOT NULL)
  ORDER BY p.ord, p.starts_at
$$;

--changeset pgflow:112-set-run-partitioning runOnChange:true splitStatements:false
-- set_run_partitioning(width, ahead): the time range of each new run partition (from 1 minute to 90
-- days, no months: ranges are binned from Monday 2001-01-01 00:00 UTC) and how far ahead of now they
-- are made (from 1 minute to 366 days; shorter than the width, the next range is made only once the
-- range of now + ahead begins to be due: every partition costs each claim and completion on
-- PostgreSQL 17, docs/performance.md); a NULL keeps the setting. Widths under an hour
-- are for tests and benchmarks: every partition is seven tables and their indexes, and a claim looks
-- into each partition holding queued tasks. Partitions already made
-- keep their ranges. Makes the partitions now due and returns the settings as
-- {"width": "...", "ahead": "...", "created": n}. invalid_parameter_value naming the setting otherwise.
CREATE OR REPLACE FUNCTION pgflow.set_run_partitioning(width interval, ahead interval DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_set pgflow_internal.run_partitioning;
BEGIN
  SELECT * INTO v_set FROM pgflow_internal.run_partitioning FOR UPDATE;
  v_set.width := coalesce(set_run_partitioning.width, v_set.width);
  v_set.ahead := coalesce(set_run_partitioning.ahead, v_set.ahead);
  IF extract(year FROM v_set.width) <> 0 OR extract(month FROM v_set.width) <> 0
     OR v_set.width < interval '1 minute' OR v_set.width > interval '90 days' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('set_run_partitioning: width %s is not between 1 minute and 90 days (in days, hours, minutes; no months)', v_set.width);
  END IF;
  IF extract(year FROM v_set.ahead) <> 0 OR extract(month FROM v_set.ahead) <> 0
     OR v_set.ahead < interval '1 minute' OR v_set.ahead > interval '366 days' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('set_run_partitioning: ahead %s is not between 1 minute and 366 days (in days, hours, minutes; no months)',
                       v_set.ahead);
  END IF;
  UPDATE pgflow_internal.run_partitioning p SET width = v_set.width, ahead = v_set.ahead, attach_retry_at = NULL;
  RETURN jsonb_build_object('width', v_set.width::text, 'ahead', v_set.ahead::text, 'created', pgflow.create_run_partitions());
END;
$$;

--changeset pgflow:112-partition-run-tables runOnChange:true splitStatements:false
-- partition_run_tables(): partitions runs, step_states, step_tasks, task_attempts, run_retries,
-- run_traces and task_traces by range of run_id, in this one transaction, and returns what it made
-- ({"legacy_runs": n, "moved_runs": n, "partitions": [...], "ms": n}). Opt-in, for the schema's owner
-- (docs/operations.md, "Time partitions"): partitioned tables cost the hot path about a tenth on
-- PostgreSQL 17 (docs/performance.md) and buy pruning by dropping whole weeks. The tables keep their
-- names, columns, defaults, checks, indexes, triggers, grants and comments; each becomes a
-- partitioned table of the same name whose first partition is the table as it was (renamed
-- <table>_legacy into pgflow_partitions: no row is copied, no index rebuilt, the foreign keys
-- between them kept), holding the run ids below this call's time (dropped at once when empty). Two
-- fixed partitions: 'ids' for caller-chosen random run ids (a version 4 uuid is almost always >=
-- 03c0..., where version 7 ids of this century never reach) and 'other', the default partition (any
-- id no range holds). ids_partition => false leaves 'ids' out (one partition fewer for every
-- statement of the hot path; caller-chosen ids then land in 'other', which every attach of a new
-- range scans while it holds it: for installations whose callers do not choose run ids). Then
-- ranges of `width` up to `ahead` from now. Run ids of the legacy table at or above the bound
-- (caller-chosen ones) are moved into the new partitions first. Functions whose
-- signature names one of these tables' row types (start_flow, complete_task, ...) are made again
-- from their own definitions, with their settings, grants and comments: their types must be the new
-- tables'. Takes ACCESS EXCLUSIVE locks on the seven tables and the tables they reference (waiting
-- at most 10 s for them: lock_not_available, nothing changed; a deadlock while locking is tried
-- again, 5 times) and scans each once: runs in flight continue
-- afterwards, but the servers wait meanwhile. Refuses (object_not_in_prerequisite_state) when the
-- tables are partitioned already.
DROP FUNCTION IF EXISTS pgflow.partition_run_tables();
CREATE OR REPLACE FUNCTION pgflow.partition_run_tables(ids_partition boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $partition$
DECLARE
  v_at constant timestamptz := clock_timestamp();
  v_bound constant uuid := pgflow._run_id_floor(v_at);
  v_tables constant text[] := ARRAY['pgflow.runs', 'pgflow.step_states', 'pgflow.step_tasks', 'pgflow_internal.task_attempts',
                                    'pgflow_internal.run_retries', 'pgflow_internal.run_traces', 'pgflow_internal.task_traces'];
  v_table text;
  v_nsp text;
  v_tab text;
  v_sql text;
  v_fn record;
  v_grant record;
  v_first_end timestamptz;
  v_width interval;
  v_path constant text := current_setting('search_path');
  v_timeout constant text := current_setting('lock_timeout');
  v_legacy_runs bigint;
  v_moved bigint;
  v_locked boolean := false;
BEGIN
  IF ids_partition IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
      MESSAGE = 'partition_run_tables: ids_partition must be true or false, not null';
  END IF;
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = 'pgflow.runs'::regclass) = 'p' THEN
    RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
      MESSAGE = 'partition_run_tables: pgflow.runs is partitioned already',
      HINT = 'SELECT * FROM pgflow.run_partitions() lists its partitions.';
  END IF;
  -- the tables their foreign keys reference too (flows, steps, workers): attaching a legacy table
  -- re-ties its foreign keys to the parent's, which locks the referenced table ACCESS EXCLUSIVE; taken
  -- later, a worker holding workers and waiting for step_tasks would deadlock with it. A deadlock
  -- while locking (a transaction holding one of them and waiting for another) is tried again: nothing
  -- is held or changed until all are locked.
  SELECT string_agg(x.t, ', ' ORDER BY x.t) INTO v_sql
  FROM (SELECT DISTINCT k.confrelid::regclass::text AS t FROM pg_constraint k
        WHERE k.contype = 'f' AND k.conrelid = ANY (v_tables::regclass[]) AND NOT (k.confrelid = ANY (v_tables::regclass[]))) x;
  FOR v_try IN 1..5 LOOP
    BEGIN
      PERFORM set_config('lock_timeout', '10s', true);
      EXECUTE 'LOCK TABLE ' || coalesce(v_sql || ', ', '') || array_to_string(v_tables, ', ') || ' IN ACCESS EXCLUSIVE MODE';
      v_locked := true;
      EXIT;
    EXCEPTION WHEN deadlock_detected THEN
      PERFORM set_config('lock_timeout', v_timeout, true);
      PERFORM pg_sleep(0.1 * v_try);
    END;
  END LOOP;
  IF NOT v_locked THEN
    RAISE EXCEPTION USING ERRCODE = 'lock_not_available',
      MESSAGE = 'partition_run_tables: the run tables could not be locked (5 deadlocks with running transactions); nothing changed',
      HINT = 'Call it again, or when fewer servers are running.';
  END IF;
  PERFORM set_config('lock_timeout', v_timeout, true);
  PERFORM set_config('search_path', 'pg_catalog, pg_temp', true); -- every name saved below schema-qualified
  -- what is made again later: functions naming the row types, indexes, triggers, foreign keys to
  -- other tables, grants, comments
  CREATE TEMP TABLE pgflow_saved_functions ON COMMIT DROP AS
  SELECT DISTINCT p.oid AS old_oid, p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS def,
         p.proacl, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_depend d
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_type t ON d.refclassid = 'pg_type'::regclass AND d.refobjid = t.oid
  JOIN pg_class c ON c.reltype = t.oid OR c.reltype = t.typelem
  WHERE c.oid = ANY (v_tables::regclass[]) AND t.typtype IN ('c', 'b');
  CREATE TEMP TABLE pgflow_saved_ddl ON COMMIT DROP AS
  SELECT 1 AS phase, c.oid::regclass::text AS tab, pg_get_indexdef(i.indexrelid) AS ddl
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
  WHERE c.oid = ANY (v_tables::regclass[])
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u'))
    AND i.indexrelid <> 'pgflow.idx_runs_idempotency_key'::regclass
  UNION ALL
  SELECT 0, k.conrelid::regclass::text, format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k
  WHERE k.conrelid = ANY (v_tables::regclass[]) AND k.contype = 'p'
  UNION ALL
  SELECT 0, k.conrelid::regclass::text, format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k
  WHERE k.conrelid = ANY (v_tables::regclass[]) AND k.contype = 'f' AND NOT (k.confrelid = ANY (v_tables::regclass[]))
  UNION ALL
  SELECT 3, g.tgrelid::regclass::text, pg_get_triggerdef(g.oid)
  FROM pg_trigger g WHERE g.tgrelid = ANY (v_tables::regclass[]) AND NOT g.tgisinternal
  UNION ALL
  SELECT 2, c.oid::regclass::text, format('GRANT %s ON %s TO %s', a.privilege_type, c.oid::regclass,
                                          CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(a.grantee::regrole::text) END)
  FROM pg_class c, aclexplode(c.relacl) a
  WHERE c.oid = ANY (v_tables::regclass[]) AND a.grantee <> c.relowner
  UNION ALL
  SELECT 2, c.oid::regclass::text, format('COMMENT ON TABLE %s IS %L', c.oid::regclass, obj_description(c.oid, 'pg_class'))
  FROM pg_class c WHERE c.oid = ANY (v_tables::regclass[]) AND obj_description(c.oid, 'pg_class') IS NOT NULL;

  FOR v_fn IN SELECT * FROM pgflow_saved_functions LOOP
    EXECUTE 'DROP FUNCTION ' || v_fn.signature;
  END LOOP;
  DROP INDEX pgflow.idx_runs_idempotency_key;
  DROP TRIGGER IF EXISTS step_tasks_key_queued_insert ON pgflow.step_tasks;
  DROP TRIGGER IF EXISTS step_tasks_key_queued_update ON pgflow.step_tasks;

  FOREACH v_table IN ARRAY v_tables LOOP
    v_nsp := split_part(v_table, '.', 1);
    v_tab := split_part(v_table, '.', 2);
    EXECUTE format('ALTER TABLE %s SET SCHEMA pgflow_partitions', v_table);
    EXECUTE format('ALTER TABLE pgflow_partitions.%I RENAME TO %I', v_tab, v_tab || '_legacy');
    EXECUTE format('CREATE TABLE %s (LIKE pgflow_partitions.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS'
                   ' INCLUDING STATISTICS) PARTITION BY RANGE (run_id)', v_table, v_tab || '_legacy');
    FOR v_sql IN SELECT s.ddl FROM pgflow_saved_ddl s WHERE s.tab = v_table AND s.phase IN (0, 1) ORDER BY s.phase, s.ddl LOOP
      EXECUTE v_sql;
    END LOOP;
  END LOOP;

  SELECT p.width INTO v_width FROM pgflow_internal.run_partitioning p;
  v_first_end := date_bin(v_width, v_at, timestamptz '2001-01-01 00:00:00+00') + v_width;
  IF ids_partition THEN
    PERFORM pgflow._create_run_partition('ids', '03c00000-0000-0000-0000-000000000000', NULL);
  END IF;
  PERFORM pgflow._create_run_partition('other', NULL, NULL);
  PERFORM pgflow._create_run_partition(to_char(v_at AT TIME ZONE 'UTC', 'YYYYMMDD_HH24MI'), v_bound, pgflow._run_id_floor(v_first_end));
  INSERT INTO pgflow_internal.run_partitions (suffix, starts_at, ends_at, from_id, to_id) VALUES
    ('legacy', '-infinity', v_at, '00000000-0000-0000-0000-000000000000', v_bound),
    (to_char(v_at AT TIME ZONE 'UTC', 'YYYYMMDD_HH24MI'), v_at, v_first_end, v_bound, pgflow._run_id_floor(v_first_end));

  -- rows of the legacy tables outside its range (caller-chosen run ids) into the new partitions
  SELECT count(*) INTO v_moved FROM pgflow_partitions.runs_legacy r WHERE r.run_id >= v_bound;
  SELECT count(*) - v_moved INTO v_legacy_runs FROM pgflow_partitions.runs_legacy;
  FOREACH v_table IN ARRAY v_tables LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM pgflow_partitions.%I WHERE run_id >= %L', v_table,
                   split_part(v_table, '.', 2) || '_legacy', v_bound);
  END LOOP;
  FOREACH v_table IN ARRAY ARRAY['pgflow_internal.task_traces', 'pgflow_internal.run_traces', 'pgflow_internal.run_retries',
                                 'pgflow_internal.task_attempts', 'pgflow.step_tasks', 'pgflow.step_states', 'pgflow.runs'] LOOP
    EXECUTE format('DELETE FROM pgflow_partitions.%I WHERE run_id >= %L', split_part(v_table, '.', 2) || '_legacy', v_bound);
  END LOOP;
  FOREACH v_table IN ARRAY v_tables LOOP
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION pgflow_partitions.%I FOR VALUES FROM (MINVALUE) TO (%L)', v_table,
                   split_part(v_table, '.', 2) || '_legacy', v_bound);
  END LOOP;

  FOR v_sql IN SELECT s.ddl FROM pgflow_saved_ddl s WHERE s.phase IN (2, 3) ORDER BY s.phase, s.tab, s.ddl LOOP
    EXECUTE v_sql;
  END LOOP;
  FOR v_fn IN SELECT * FROM pgflow_saved_functions LOOP
    EXECUTE v_fn.def;
    IF v_fn.proacl IS NOT NULL THEN
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_fn.signature);
      FOR v_grant IN SELECT a.grantee FROM aclexplode(v_fn.proacl) a WHERE a.privilege_type = 'EXECUTE' LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_fn.signature,
                       CASE WHEN v_grant.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(v_grant.grantee::regrole::text) END);
      END LOOP;
    END IF;
    IF v_fn.comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON FUNCTION %s IS %L', v_fn.signature, v_fn.comment);
    END IF;
  END LOOP;
  -- a new installation: nothing to keep, one partition less for every statement to pass
  IF NOT EXISTS (SELECT 1 FROM pgflow_partitions.runs_legacy) THEN
    DROP TABLE pgflow_partitions.task_traces_legacy, pgflow_partitions.run_traces_legacy, pgflow_partitions.run_retries_legacy,
               pgflow_partitions.task_attempts_legacy, pgflow_partitions.step_tasks_legacy, pgflow_partitions.step_states_legacy,
               pgflow_partitions.runs_legacy;
    DELETE FROM pgflow_internal.run_partitions p WHERE p.suffix = 'legacy';
  END IF;
  ANALYZE pgflow.runs, pgflow.step_states, pgflow.step_tasks;
  PERFORM set_config('search_path', v_path, true);
  PERFORM pgflow.create_run_partitions();
  RETURN jsonb_build_object('legacy_runs', v_legacy_runs, 'moved_runs', v_moved,
                            'partitions', (SELECT jsonb_agg(p.partition) FROM pgflow.run_partitions() p),
                            'ms', round(extract(epoch FROM clock_timestamp() - v_at) * 1000));
END
$partition$;

--changeset pgflow:112-generic-plans runAlways:true splitStatements:false
--comment: the public functions run their statements with generic plans (plan_cache_mode force_generic_plan)
-- On partitioned tables a cached generic plan prunes at execution (one partition per run_id), but
-- its estimated cost counts every partition, so PL/pgSQL's plan cache, comparing it with a custom
-- plan planned for the values at hand, chose custom plans: every statement of every call planned
-- again. Measured 2026-12-03 (SqlCoreBenchmark, 4 workers, 3 alternating pairs): fan-out 6,849 to
-- 7,423 tasks/s with generic plans against 5,315 to 6,388 without, database time per task 0.39-0.42
-- ms against 0.46-0.58 ms. The setting holds while the function runs, for the functions it calls
-- too. runAlways and after every other changeset of functions: a CREATE OR REPLACE resets it.
DO $generic$
DECLARE
  v_fn regprocedure;
BEGIN
  FOR v_fn IN
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'pgflow'::regnamespace AND p.prokind = 'f' AND p.proname !~ '^_'
      AND NOT coalesce(p.proconfig @> ARRAY['plan_cache_mode=force_generic_plan'], false)
  LOOP
    EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = force_generic_plan', v_fn);
  END LOOP;
END
$generic$;

--changeset pgflow:112-grants runAlways:true runOnChange:true splitStatements:false
-- the servers' scheduler makes partitions ahead (tick, as pgflow_worker or pgflow_operator);
-- operators drop them and set the width; readers list them. Helpers run only inside these.
DO $grants$
DECLARE
  v_role text;
BEGIN
  ALTER FUNCTION pgflow.create_run_partitions() SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  ALTER FUNCTION pgflow.drop_run_partitions(timestamptz, boolean) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  ALTER FUNCTION pgflow.set_run_partitioning(interval, interval) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  ALTER FUNCTION pgflow.run_partitions() SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  REVOKE ALL ON FUNCTION pgflow.create_run_partitions() FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.drop_run_partitions(timestamptz, boolean) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.set_run_partitioning(interval, interval) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.run_partitions() FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._run_id_floor(timestamptz) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._partition_lock_timeout() FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._create_run_partition(text, uuid, uuid) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._delete_runs(uuid[]) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._droppable_run_partitions(timestamptz, boolean) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._drop_run_partition(text, uuid, uuid, uuid[]) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow.partition_run_tables(boolean) FROM PUBLIC; -- the schema's owner's
  FOREACH v_role IN ARRAY ARRAY['pgflow_worker', 'pgflow_operator'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION pgflow.create_run_partitions() TO %I', v_role);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
    GRANT EXECUTE ON FUNCTION pgflow.drop_run_partitions(timestamptz, boolean), pgflow.set_run_partitioning(interval, interval)
      TO pgflow_operator;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT EXECUTE ON FUNCTION pgflow.run_partitions() TO pgflow_reader;
    GRANT SELECT ON pgflow_internal.run_keys, pgflow_internal.run_partitions, pgflow_internal.run_partitioning TO pgflow_reader;
  END IF;
END
$grants$;
