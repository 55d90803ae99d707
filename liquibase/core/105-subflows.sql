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
-- has a timeout of its own, timeout_at = now + timeout (tick() fails it after that). A child the
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
  v_parent uuid;
  v_root uuid;
  v_depth int := 1;
  v_limit constant int := pgflow._max_subflow_depth();
  v_child constant uuid := pgflow._new_run_id();
  v_status text;
BEGIN
  SELECT s.subflow_slug, s.opt_timeout INTO v_subflow, v_timeout
  FROM pgflow.steps s WHERE s.flow_slug = p_flow_slug AND s.step_slug = p_step_slug;
  SELECT r.parent_run_id, coalesce(r.root_run_id, r.run_id) INTO v_parent, v_root FROM pgflow.runs r WHERE r.run_id = p_run_id;
  WHILE v_parent IS NOT NULL AND v_depth <= v_limit LOOP
    v_depth := v_depth + 1;
    SELECT r.parent_run_id INTO v_parent FROM pgflow.runs r WHERE r.run_id = v_parent;
  END LOOP;
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
    PERFORM 1 FROM pgflow.start_flow(v_subflow, p_input, v_child);
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
