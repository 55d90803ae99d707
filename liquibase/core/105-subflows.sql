--liquibase formatted sql

--changeset pgflow:105-subflows-schema
--comment: subflow steps: a step whose task starts a child run of another flow (one per element for map_subflow)
ALTER TABLE pgflow.steps ADD COLUMN subflow_slug text;
ALTER TABLE pgflow.steps DROP CONSTRAINT steps_step_type_check;
ALTER TABLE pgflow.steps ADD CONSTRAINT steps_step_type_check
  CHECK (step_type IN ('single', 'map', 'signal', 'subflow', 'map_subflow'));
ALTER TABLE pgflow.steps ADD CONSTRAINT subflow_slug_iff_subflow_step
  CHECK ((step_type IN ('subflow', 'map_subflow')) = (subflow_slug IS NOT NULL));
COMMENT ON COLUMN pgflow.steps.subflow_slug IS
  'a subflow or map_subflow step: the flow its tasks start a child run of (no foreign key: a flow may call itself, and recompiling the child flow keeps the parent)';
ALTER TABLE pgflow.runs
  ADD COLUMN parent_run_id     uuid,
  ADD COLUMN parent_step_slug  text,
  ADD COLUMN parent_task_index int,
  ADD COLUMN root_run_id       uuid,
  ADD COLUMN timeout_at        timestamptz;
ALTER TABLE pgflow.runs ADD CONSTRAINT parent_is_whole CHECK (
  (parent_run_id IS NULL) = (parent_step_slug IS NULL) AND (parent_run_id IS NULL) = (parent_task_index IS NULL)
  AND (parent_run_id IS NULL) = (root_run_id IS NULL));
COMMENT ON COLUMN pgflow.runs.parent_run_id IS
  'a child run: the run whose subflow step task (parent_step_slug, parent_task_index) started it (no foreign key: families are pruned whole)';
COMMENT ON COLUMN pgflow.runs.root_run_id IS 'a child run: the run at the top of its family (NULL for a run nobody started)';
COMMENT ON COLUMN pgflow.runs.timeout_at IS
  'a child run of a subflow step with a timeout: when tick() fails it for running too long (NULL: no bound)';
CREATE INDEX idx_runs_parent ON pgflow.runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX idx_runs_root ON pgflow.runs (root_run_id) WHERE root_run_id IS NOT NULL;
CREATE INDEX idx_runs_timeout ON pgflow.runs (timeout_at) WHERE status = 'started' AND timeout_at IS NOT NULL;
ALTER TABLE pgflow.step_tasks ADD COLUMN child_run_id uuid;
COMMENT ON COLUMN pgflow.step_tasks.child_run_id IS
  'a subflow step task: the child run it waits for (the task stays started, visible_at infinity, until the child ends)';
--rollback ALTER TABLE pgflow.step_tasks DROP COLUMN child_run_id; DROP INDEX pgflow.idx_runs_timeout; DROP INDEX pgflow.idx_runs_root; DROP INDEX pgflow.idx_runs_parent; ALTER TABLE pgflow.runs DROP CONSTRAINT parent_is_whole, DROP COLUMN timeout_at, DROP COLUMN root_run_id, DROP COLUMN parent_task_index, DROP COLUMN parent_step_slug, DROP COLUMN parent_run_id; ALTER TABLE pgflow.steps DROP CONSTRAINT subflow_slug_iff_subflow_step, DROP CONSTRAINT steps_step_type_check, DROP COLUMN subflow_slug; ALTER TABLE pgflow.steps ADD CONSTRAINT steps_step_type_check CHECK (step_type IN ('single', 'map', 'signal'));

--changeset pgflow:105-max-subflow-depth runOnChange:true splitStatements:false
-- _max_subflow_depth(): how deep a family of runs may nest: the setting pgflow.max_subflow_depth
-- (ALTER DATABASE ... SET pgflow.max_subflow_depth = ..., or per session), default 10. A run
-- nobody started is at depth 0, its children at 1; a subflow task whose child would be deeper fails.
CREATE OR REPLACE FUNCTION pgflow._max_subflow_depth()
RETURNS int
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(nullif(current_setting('pgflow.max_subflow_depth', true), '')::int, 10)
$$;

--changeset pgflow:105-finishing-child runOnChange:true splitStatements:false
-- _finishing_child(): the child run whose end this transaction is reporting to its parent task
-- (_child_ended sets it around its complete_task / fail_task call), else NULL. complete_task and
-- fail_task change nothing of a task that waits for another child: only its child ends it.
CREATE OR REPLACE FUNCTION pgflow._finishing_child()
RETURNS uuid
LANGUAGE sql STABLE
AS $$
  SELECT nullif(current_setting('pgflow.finishing_child', true), '')::uuid
$$;

--changeset pgflow:105-fail-task-for-good runOnChange:true splitStatements:false
-- _fail_task_for_good(run_id, flow_slug, step_slug, task_index, message, events): a started task
-- fails without a retry (what a retry would do fails again: a child too deep, a child input its
-- flow refuses) and its step follows its when_exhausted (_fail_step). Callers lock the task and its
-- step state and check that both and the run are started.
CREATE OR REPLACE FUNCTION pgflow._fail_task_for_good(p_run_id uuid, p_flow_slug text, p_step_slug text, p_task_index int,
                                                      p_message text, p_events boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_when text;
  v_task pgflow.step_tasks;
BEGIN
  UPDATE pgflow.step_tasks t
  SET status = 'failed', failed_at = greatest(now(), t.started_at), error_message = p_message, visible_at = 'infinity'
  WHERE t.run_id = p_run_id AND t.step_slug = p_step_slug AND t.task_index = p_task_index
  RETURNING t.* INTO v_task;
  INSERT INTO pgflow_internal.task_attempts (run_id, step_slug, task_index, attempt, worker_id, outcome, error_message, started_at, ended_at)
  VALUES (p_run_id, p_step_slug, p_task_index, v_task.attempts_count, v_task.last_worker_id, 'failed', p_message, v_task.started_at,
          v_task.failed_at);
  SELECT s.when_exhausted INTO v_when FROM pgflow.steps s WHERE s.flow_slug = p_flow_slug AND s.step_slug = p_step_slug;
  PERFORM pgflow._fail_step(p_run_id, p_flow_slug, p_step_slug, v_when, p_message, p_events);
END;
$$;

--changeset pgflow:105-start-child runOnChange:true splitStatements:false
-- _start_child(run_id, flow_slug, step_slug, task_index, input, events): complete_task of a
-- subflow step's task: its output is the input of a child run of the step's subflow, started here,
-- in the same transaction. The task records child_run_id and stays started with visible_at
-- infinity (nobody claims it and no lease expires) until the child ends (_child_ended). The child
-- gets parent_run_id, parent_step_slug, parent_task_index, root_run_id and, when the subflow step
-- has a timeout of its own, timeout_at = now + timeout (tick() fails it after that), and the
-- parent's concurrency key and priority. A child the
-- family cannot hold (depth over pgflow.max_subflow_depth: [SUBFLOW_DEPTH]) or that its flow refuses
-- (unknown flow, NULL input, a root map without an array, an input over pgflow.max_input_bytes or
-- pgflow.max_map_width: [SUBFLOW_START]) fails the task for good, naming why. Emits
-- run:child_started for the parent. Callers lock the task and its step state.
CREATE OR REPLACE FUNCTION pgflow._start_child(p_run_id uuid, p_flow_slug text, p_step_slug text, p_task_index int, p_input jsonb,
                                               p_events boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_subflow text;
  v_timeout int;
  v_root uuid;
  v_depth int := 1;
  v_limit constant int := pgflow._max_subflow_depth();
  v_child constant uuid := pgflow._new_run_id();
  v_status text;
  v_key text;
  v_priority int;
BEGIN
  SELECT s.subflow_slug, s.opt_timeout INTO v_subflow, v_timeout
  FROM pgflow.steps s WHERE s.flow_slug = p_flow_slug AND s.step_slug = p_step_slug;
  SELECT coalesce(r.root_run_id, r.run_id), r.concurrency_key, r.priority INTO v_root, v_key, v_priority
  FROM pgflow.runs r WHERE r.run_id = p_run_id;
  v_depth := pgflow._run_depth(p_run_id) + 1;
  IF v_depth > v_limit THEN
    PERFORM pgflow._fail_task_for_good(p_run_id, p_flow_slug, p_step_slug, p_task_index,
      format('[SUBFLOW_DEPTH] Step "%s" would start a run of flow "%s" at subflow depth %s, over the limit of %s'
             ' (pgflow.max_subflow_depth: a flow that calls itself needs a condition that ends the recursion,'
             ' or ALTER DATABASE <database> SET pgflow.max_subflow_depth = <levels>)',
             p_step_slug, v_subflow, v_depth, v_limit), p_events);
    RETURN;
  END IF;

  BEGIN
    UPDATE pgflow.step_tasks t SET child_run_id = v_child, visible_at = 'infinity'
    WHERE t.run_id = p_run_id AND t.step_slug = p_step_slug AND t.task_index = p_task_index;
    PERFORM 1 FROM pgflow.start_flow(v_subflow, p_input, v_child, NULL, v_key, v_priority);
    UPDATE pgflow.runs r
    SET parent_run_id = p_run_id, parent_step_slug = p_step_slug, parent_task_index = p_task_index, root_run_id = v_root,
        timeout_at = CASE WHEN v_timeout IS NOT NULL THEN r.started_at + make_interval(secs => v_timeout) END
    WHERE r.run_id = v_child
    RETURNING r.status INTO v_status;
  EXCEPTION WHEN invalid_parameter_value OR not_null_violation OR program_limit_exceeded OR foreign_key_violation
                 OR raise_exception OR invalid_text_representation THEN
    PERFORM pgflow._fail_task_for_good(p_run_id, p_flow_slug, p_step_slug, p_task_index,
      format('[SUBFLOW_START] Step "%s" could not start a run of flow "%s": %s', p_step_slug, v_subflow, SQLERRM), p_events);
    RETURN;
  END;
  IF p_events THEN
    PERFORM pgflow._emit(jsonb_build_object('event_type', 'run:child_started', 'run_id', p_run_id, 'flow_slug', p_flow_slug,
                                            'step_slug', p_step_slug, 'task_index', p_task_index, 'child_run_id', v_child,
                                            'child_flow_slug', v_subflow, 'status', 'started'));
  END IF;
  IF v_status <> 'started' THEN
    -- the child ended as it started (no steps, every step skipped by a condition, a condition that failed it)
    PERFORM pgflow._child_ended(v_child, v_status);
  END IF;
END;
$$;

--changeset pgflow:105-run-depth runOnChange:true splitStatements:false
-- _run_depth(run_id): how deep the run is in its family (0 for a run nobody started), counted up its
-- parents; stops counting past pgflow.max_subflow_depth + 1 (deeper cannot start anyway).
CREATE OR REPLACE FUNCTION pgflow._run_depth(p_run_id uuid)
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_parent uuid;
  v_depth int := 0;
  v_limit constant int := pgflow._max_subflow_depth();
BEGIN
  SELECT r.parent_run_id INTO v_parent FROM pgflow.runs r WHERE r.run_id = p_run_id;
  WHILE v_parent IS NOT NULL AND v_depth <= v_limit LOOP
    v_depth := v_depth + 1;
    SELECT r.parent_run_id INTO v_parent FROM pgflow.runs r WHERE r.run_id = v_parent;
  END LOOP;
  RETURN v_depth;
END;
$$;

--changeset pgflow:105-start-children runOnChange:true splitStatements:false
-- _start_children(run_ids, step_slugs, task_indexes, inputs): _start_child for many subflow tasks
-- at once (complete_tasks: a worker's batch of a map subflow's tasks), set-based: per child flow one
-- start_flows of every child whose input the flow takes, one update linking the children to their
-- parents (parent_run_id, parent_step_slug, parent_task_index, root_run_id, timeout_at) and one of
-- the tasks (child_run_id, visible_at infinity). A task whose child cannot start (too deep, an input
-- its flow refuses, an unknown flow) goes through _start_child, which fails it for good and says why.
-- Emits run:child_started when the parent is watched; a child that ended as it started (no steps,
-- every step skipped) reports to its parent at once. Callers lock the tasks and their step states
-- and pass only started subflow tasks without a child, of started runs.
CREATE OR REPLACE FUNCTION pgflow._start_children(p_runs uuid[], p_steps text[], p_idx int[], p_inputs jsonb[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET join_collapse_limit = 1 -- as _children_completed: the joins in the order written, by key
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
  v_limit constant int := pgflow._max_subflow_depth();
  v_width constant int := pgflow._max_map_width();
  v_bytes constant bigint := coalesce(nullif(current_setting('pgflow.max_input_bytes', true), '')::bigint, 16777216);
  v_child_flow text;
  v_root_map boolean;
  v_item record;
  v_ok record;
  v_ids uuid[];
BEGIN
  -- a task given twice starts one child
  SELECT array_agg(d.r ORDER BY d.n), array_agg(d.s ORDER BY d.n), array_agg(d.i ORDER BY d.n), array_agg(d.o ORDER BY d.n)
  INTO p_runs, p_steps, p_idx, p_inputs
  FROM (SELECT DISTINCT ON (u.r, u.s, u.i) u.r, u.s, u.i, u.o, u.n
        FROM unnest(p_runs, p_steps, p_idx, p_inputs) WITH ORDINALITY AS u(r, s, i, o, n)
        ORDER BY u.r, u.s, u.i, u.n) d;
  FOR v_child_flow IN
    SELECT DISTINCT st.subflow_slug
    FROM unnest(p_runs, p_steps) AS u(r, s)
    JOIN pgflow.runs pr ON pr.run_id = u.r
    JOIN pgflow.steps st ON st.flow_slug = pr.flow_slug AND st.step_slug = u.s
  LOOP
    v_root_map := NULL; -- stays NULL for a flow that does not exist: its children go through _start_child
    SELECT coalesce(bool_or(s.step_type IN ('map', 'map_subflow') AND s.deps_count = 0), false) INTO v_root_map
    FROM pgflow.flows f LEFT JOIN pgflow.steps s ON s.flow_slug = f.flow_slug
    WHERE f.flow_slug = v_child_flow
    HAVING count(f.flow_slug) > 0;
    -- the items of this child flow, with whether their child can start set-based
    SELECT array_agg(x.r ORDER BY x.ord) FILTER (WHERE x.ok) AS r, array_agg(x.s ORDER BY x.ord) FILTER (WHERE x.ok) AS s,
           array_agg(x.i ORDER BY x.ord) FILTER (WHERE x.ok) AS i, array_agg(x.o ORDER BY x.ord) FILTER (WHERE x.ok) AS o,
           array_agg(x.root ORDER BY x.ord) FILTER (WHERE x.ok) AS root,
           array_agg(x.timeout ORDER BY x.ord) FILTER (WHERE x.ok) AS timeout,
           array_agg(x.pflow ORDER BY x.ord) FILTER (WHERE x.ok) AS pflow,
           array_agg(x.ckey ORDER BY x.ord) FILTER (WHERE x.ok) AS ckey,
           array_agg(x.prio ORDER BY x.ord) FILTER (WHERE x.ok) AS prio,
           array_agg(x.ord ORDER BY x.ord) FILTER (WHERE NOT x.ok) AS refused
    INTO v_ok
    FROM (
      SELECT u.r, u.s, u.i, u.o, u.ord, coalesce(pr.root_run_id, pr.run_id) AS root, st.opt_timeout AS timeout, pr.flow_slug AS pflow,
             pr.concurrency_key AS ckey, pr.priority AS prio,
             v_root_map IS NOT NULL AND u.o IS NOT NULL AND jsonb_typeof(u.o) <> 'null'
             AND (NOT v_root_map OR (jsonb_typeof(u.o) = 'array' AND jsonb_array_length(u.o) <= v_width))
             AND octet_length(u.o::text) <= v_bytes
             AND d.depth + 1 <= v_limit AS ok
      FROM unnest(p_runs, p_steps, p_idx, p_inputs) WITH ORDINALITY AS u(r, s, i, o, ord)
      JOIN pgflow.runs pr ON pr.run_id = u.r
      JOIN pgflow.steps st ON st.flow_slug = pr.flow_slug AND st.step_slug = u.s
      JOIN (SELECT DISTINCT ON (p.run) p.run, pgflow._run_depth(p.run) AS depth FROM unnest(p_runs) AS p(run)) d ON d.run = u.r
      WHERE st.subflow_slug = v_child_flow
    ) x;

    IF v_ok.r IS NOT NULL THEN
      SELECT array_agg(f.run_id ORDER BY f.item) INTO v_ids FROM pgflow.start_flows(v_child_flow, v_ok.o, NULL, v_ok.ckey, v_ok.prio) f;
      UPDATE pgflow.runs c
      SET parent_run_id = x.r, parent_step_slug = x.s, parent_task_index = x.i, root_run_id = x.root,
          timeout_at = CASE WHEN x.timeout IS NOT NULL THEN c.started_at + make_interval(secs => x.timeout) END
      FROM unnest(v_ids, v_ok.r, v_ok.s, v_ok.i, v_ok.root, v_ok.timeout) AS x(id, r, s, i, root, timeout)
      WHERE c.run_id = x.id;
      UPDATE pgflow.step_tasks t SET child_run_id = x.id, visible_at = 'infinity'
      FROM unnest(v_ids, v_ok.r, v_ok.s, v_ok.i) AS x(id, r, s, i)
      WHERE t.run_id = x.r AND t.step_slug = x.s AND t.task_index = x.i;
      FOR v_item IN
        SELECT x.id, x.r, x.s, x.i, x.pflow FROM unnest(v_ids, v_ok.r, v_ok.s, v_ok.i, v_ok.pflow) WITH ORDINALITY AS x(id, r, s, i, pflow, ord)
        WHERE pgflow._events_wanted(x.r)
        ORDER BY x.ord
      LOOP
        PERFORM pgflow._emit(jsonb_build_object('event_type', 'run:child_started', 'run_id', v_item.r, 'flow_slug', v_item.pflow,
                                                'step_slug', v_item.s, 'task_index', v_item.i, 'child_run_id', v_item.id,
                                                'child_flow_slug', v_child_flow, 'status', 'started'));
      END LOOP;
      -- a child that ended as it started (no steps, every step skipped by a condition) reports at once
      FOR v_item IN SELECT c.run_id, c.status FROM pgflow.runs c WHERE c.run_id = ANY (v_ids) AND c.status <> 'started' LOOP
        PERFORM pgflow._child_ended(v_item.run_id, v_item.status);
      END LOOP;
    END IF;
    IF v_ok.refused IS NOT NULL THEN
      FOR v_item IN
        SELECT u.r, u.s, u.i, u.o, pr.flow_slug AS pflow
        FROM unnest(p_runs, p_steps, p_idx, p_inputs) WITH ORDINALITY AS u(r, s, i, o, ord)
        JOIN pgflow.runs pr ON pr.run_id = u.r
        WHERE u.ord = ANY (v_ok.refused)
        ORDER BY u.ord
      LOOP
        PERFORM pgflow._start_child(v_item.r, v_item.pflow, v_item.s, v_item.i, v_item.o, pgflow._events_wanted(v_item.r));
      END LOOP;
    END IF;
  END LOOP;
END;
$$;

--changeset pgflow:105-child-ended runOnChange:true splitStatements:false
-- _child_ended(child_run_id, status): a run ended (completed, failed, cancelled); when it is the
-- child its parent task waits for, the task learns it in this transaction: completed -> the task
-- completes with output = the child's output and the parent run continues as after any
-- completion (complete_task; a map_subflow step's output is then the array of its children's
-- outputs in element order); failed or cancelled -> the task fails with
-- 'Child run <id> of flow "<flow>" failed: step "<step>": <its error>' (or 'was cancelled: <reason>')
-- as a handler failure would (fail_task: with attempts left the task is queued again, its handler
-- runs again and starts a new child; the old child stays, detached). A child that completes while
-- its parent run is failed still completes its task (its output is kept: retry_run(parent) does
-- not run it again). A detached child (its task moved on to another child, was cancelled or
-- deleted) changes nothing. Emits run:child_finished for the parent. Locks the parent task and its
-- step state (after the child's: children before parents, the order cancel_run takes too).
CREATE OR REPLACE FUNCTION pgflow._child_ended(p_child uuid, p_status text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_child pgflow.runs;
  v_ctx record;
  v_error text;
BEGIN
  SELECT r.* INTO v_child FROM pgflow.runs r WHERE r.run_id = p_child;
  IF v_child.parent_run_id IS NULL THEN
    RETURN;
  END IF;
  SELECT t.status AS task_status, t.child_run_id, t.flow_slug, pr.status AS run_status
  INTO v_ctx
  FROM pgflow.step_tasks t
  JOIN pgflow.runs pr ON pr.run_id = t.run_id
  JOIN pgflow.step_states ss ON ss.run_id = t.run_id AND ss.step_slug = t.step_slug
  WHERE t.run_id = v_child.parent_run_id AND t.step_slug = v_child.parent_step_slug AND t.task_index = v_child.parent_task_index
  FOR UPDATE OF t, ss;
  IF NOT FOUND OR v_ctx.child_run_id IS DISTINCT FROM p_child OR v_ctx.task_status <> 'started' THEN
    RETURN;
  END IF;
  IF pgflow._events_wanted(v_child.parent_run_id) THEN
    PERFORM pgflow._emit(jsonb_build_object('event_type', 'run:child_finished', 'run_id', v_child.parent_run_id,
                                            'flow_slug', v_ctx.flow_slug, 'step_slug', v_child.parent_step_slug,
                                            'task_index', v_child.parent_task_index, 'child_run_id', p_child,
                                            'child_flow_slug', v_child.flow_slug, 'status', p_status));
  END IF;

  PERFORM set_config('pgflow.finishing_child', p_child::text, true);
  IF p_status = 'completed' AND v_ctx.run_status = 'failed' THEN
    UPDATE pgflow.step_tasks t SET status = 'completed', completed_at = greatest(now(), t.started_at), output = v_child.output
    WHERE t.run_id = v_child.parent_run_id AND t.step_slug = v_child.parent_step_slug AND t.task_index = v_child.parent_task_index;
  ELSIF p_status = 'completed' THEN
    PERFORM count(*) FROM pgflow.complete_task(v_child.parent_run_id, v_child.parent_step_slug, v_child.parent_task_index,
                                               v_child.output);
  ELSE
    IF p_status = 'cancelled' THEN
      v_error := format('Child run %s of flow "%s" was cancelled: %s', p_child, v_child.flow_slug,
                        coalesce(v_child.cancel_reason, 'no reason given'));
    ELSE
      SELECT format('Child run %s of flow "%s" failed: step "%s": %s', p_child, v_child.flow_slug, ss.step_slug,
                    coalesce(ss.error_message, 'no error message'))
      INTO v_error
      FROM pgflow.step_states ss WHERE ss.run_id = p_child AND ss.status = 'failed'
      ORDER BY ss.failed_at, ss.step_slug LIMIT 1;
      v_error := coalesce(v_error, format('Child run %s of flow "%s" failed', p_child, v_child.flow_slug));
    END IF;
    PERFORM count(*) FROM pgflow.fail_task(v_child.parent_run_id, v_child.parent_step_slug, v_child.parent_task_index, v_error);
  END IF;
  PERFORM set_config('pgflow.finishing_child', '', true);
END;
$$;

--changeset pgflow:105-children-completed runOnChange:true splitStatements:false
-- _children_completed(child_run_ids): _child_ended(child, 'completed') for runs that just completed
-- (complete_tasks: a worker's batch that finished many children of one map subflow), set-based where
-- it can: the waiting tasks of map_subflow steps of started, unwatched parents complete in one update,
-- their step states lose their completed tasks in one more, and each step that completed goes on
-- (_finish_step: output the array of the children's outputs in element order). Every other child
-- (a single subflow step, a parent run that failed or is watched, a detached child) goes through
-- _child_ended. Locks the parents' tasks and step states in key order.
CREATE OR REPLACE FUNCTION pgflow._children_completed(p_children uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
-- the joins in the order written, each a lookup by key: planned on estimates, the parents' tasks were
-- joined by (run, step) before their task index and read 1.5 million rows for a batch of 1,000
-- children, 1.3 s instead of a few ms (measured 2026-12-03)
SET join_collapse_limit = 1
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
  v_batch uuid[];
  v_child uuid;
  v_done record;
BEGIN
  WITH waiting AS (
    SELECT c.run_id AS child,
           st.step_type = 'map_subflow' AND t.child_run_id = c.run_id AND t.status = 'started' AND ss.status = 'started'
           AND pr.status = 'started' AND NOT pgflow._events_wanted(pr.run_id) AS batch
    FROM unnest(p_children) AS u(id)
    JOIN pgflow.runs c ON c.run_id = u.id
    JOIN pgflow.step_tasks t ON t.run_id = c.parent_run_id AND t.step_slug = c.parent_step_slug AND t.task_index = c.parent_task_index
    JOIN pgflow.step_states ss ON ss.run_id = t.run_id AND ss.step_slug = t.step_slug
    JOIN pgflow.runs pr ON pr.run_id = t.run_id
    JOIN pgflow.steps st ON st.flow_slug = t.flow_slug AND st.step_slug = t.step_slug
    ORDER BY t.run_id, t.step_slug, t.task_index
    FOR UPDATE OF t, ss
  )
  SELECT array_agg(w.child) FILTER (WHERE w.batch) INTO v_batch FROM waiting w;

  IF v_batch IS NOT NULL THEN
    UPDATE pgflow.step_tasks t SET status = 'completed', completed_at = greatest(now(), t.started_at), output = c.output
    FROM pgflow.runs c
    WHERE c.run_id = ANY (v_batch)
      AND t.run_id = c.parent_run_id AND t.step_slug = c.parent_step_slug AND t.task_index = c.parent_task_index;
    FOR v_done IN
      WITH per_step AS (
        SELECT c.parent_run_id AS run_id, c.parent_step_slug AS step_slug, count(*)::int AS n
        FROM pgflow.runs c WHERE c.run_id = ANY (v_batch)
        GROUP BY 1, 2
      )
      UPDATE pgflow.step_states ss
      SET remaining_tasks = ss.remaining_tasks - p.n,
          status = CASE WHEN ss.remaining_tasks = p.n THEN 'completed' ELSE ss.status END,
          completed_at = CASE WHEN ss.remaining_tasks = p.n THEN now() END,
          output = CASE WHEN ss.remaining_tasks = p.n
                        THEN (SELECT jsonb_agg(t.output ORDER BY t.task_index) FROM pgflow.step_tasks t
                              WHERE t.run_id = ss.run_id AND t.step_slug = ss.step_slug) END
      FROM per_step p
      WHERE ss.run_id = p.run_id AND ss.step_slug = p.step_slug
      RETURNING ss.run_id, ss.flow_slug, ss.step_slug, ss.initial_tasks, ss.remaining_tasks = 0 AS done
    LOOP
      IF v_done.done THEN
        PERFORM pgflow._finish_step(v_done.run_id, v_done.flow_slug, v_done.step_slug, v_done.initial_tasks, false);
      END IF;
    END LOOP;
  END IF;

  FOREACH v_child IN ARRAY p_children LOOP
    IF v_batch IS NULL OR NOT v_child = ANY (v_batch) THEN
      PERFORM pgflow._child_ended(v_child, 'completed');
    END IF;
  END LOOP;
END;
$$;

--changeset pgflow:105-lock-descendants runOnChange:true splitStatements:false
-- _lock_descendants(run_id): locks the run trees (_lock_run_tree) of every started descendant of
-- the run, deepest first, and returns their ids top down (children before grandchildren). Taken
-- before the run's own tree: a child's end locks the child, then its parent task, so families are
-- always locked children first.
CREATE OR REPLACE FUNCTION pgflow._lock_descendants(p_run_id uuid)
RETURNS uuid[]
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_ids uuid[];
  v_id uuid;
BEGIN
  WITH RECURSIVE family(run_id, depth, status) AS (
    SELECT r.run_id, 1, r.status FROM pgflow.runs r WHERE r.parent_run_id = p_run_id
    UNION ALL
    SELECT r.run_id, f.depth + 1, r.status FROM pgflow.runs r JOIN family f ON r.parent_run_id = f.run_id WHERE f.depth < 1000
  )
  SELECT array_agg(f.run_id ORDER BY f.depth DESC, f.run_id) INTO v_ids FROM family f WHERE f.status = 'started';
  FOREACH v_id IN ARRAY coalesce(v_ids, '{}') LOOP
    PERFORM pgflow._lock_run_tree(v_id);
  END LOOP;
  RETURN ARRAY(SELECT u FROM unnest(v_ids) WITH ORDINALITY AS x(u, o) ORDER BY x.o DESC);
END;
$$;

--changeset pgflow:105-subflow-grants runAlways:true runOnChange:true splitStatements:false
REVOKE ALL ON FUNCTION pgflow._max_subflow_depth() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._finishing_child() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._fail_task_for_good(uuid, text, text, int, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._start_child(uuid, text, text, int, jsonb, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._child_ended(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._lock_descendants(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._run_depth(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._children_completed(uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._start_children(uuid[], text[], int[], jsonb[]) FROM PUBLIC;
