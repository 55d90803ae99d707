--liquibase formatted sql

--changeset pgflow:040-orphan-tasks runOnChange:true splitStatements:false
-- _orphan_tasks(run_id, step_slug): queued and started tasks of a failed run (step_slug NULL) or of
-- a skipped step keep their status but can never be claimed again (visible_at = infinity).
CREATE OR REPLACE FUNCTION pgflow._orphan_tasks(p_run_id uuid, p_step_slug text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  UPDATE pgflow.step_tasks t SET visible_at = 'infinity'
  WHERE t.run_id = p_run_id AND (p_step_slug IS NULL OR t.step_slug = p_step_slug)
    AND t.status IN ('queued', 'started')
$$;

--changeset pgflow:040-fail-run runOnChange:true splitStatements:false
-- _fail_run(run_id, events): started run -> failed (failed_at now), its live tasks orphaned; a
-- child run then fails the task of its parent that waits for it (_child_ended). Its own children
-- keep running: what they complete is kept for a retry_run.
CREATE OR REPLACE FUNCTION pgflow._fail_run(p_run_id uuid, p_events boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow text;
  v_parent uuid;
BEGIN
  UPDATE pgflow.runs r SET status = 'failed', failed_at = now()
  WHERE r.run_id = p_run_id AND r.status = 'started'
  RETURNING r.flow_slug, r.parent_run_id INTO v_flow, v_parent;
  IF FOUND THEN
    PERFORM pgflow._orphan_tasks(p_run_id, NULL);
    IF p_events THEN
      PERFORM pgflow._emit_run(p_run_id, v_flow, 'failed');
    END IF;
    IF v_parent IS NOT NULL THEN
      PERFORM pgflow._child_ended(p_run_id, 'failed');
    END IF;
  END IF;
END;
$$;

--changeset pgflow:040-start-ready-steps-of runOnChange:true splitStatements:false
-- _start_ready_steps_of(run_ids) starts every ready step of the given runs (created, no remaining
-- deps, a known positive task count): step -> started, remaining_tasks = initial_tasks, one queued
-- task per index 0..n-1 visible after the step's start_delay, with the run's concurrency key ('' for
-- none) and priority. A signal step gets no task (it
-- waits: _start_ready_steps sets its deadline and delivers a signal that came early; flows with
-- signal steps are started and advanced run by run for that). Returns the steps it started, with
-- whether their tasks are claimable now (never for a signal step). Does not check the runs' status
-- and sends nothing (callers do). _release_and_start_children (114) queues tasks the same way in
-- its own statement (one statement, one write per row): a change to how tasks are queued goes to both.
CREATE OR REPLACE FUNCTION pgflow._start_ready_steps_of(p_run_ids uuid[])
RETURNS TABLE (run_id uuid, flow_slug text, step_slug text, visible_now boolean)
LANGUAGE plpgsql VOLATILE -- not sql: a SQL function's statements are planned again on every call
-- and one plan for all calls: with custom plans (chosen while the planner guesses the array's size)
-- the statement was planned anew on every call, which cost twice its execution when complete_task
-- starts one run's steps (SqlCoreBenchmark stats=on, docs/performance.md)
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH started AS (
    UPDATE pgflow.step_states ss
    SET status = 'started', started_at = now(), remaining_tasks = ss.initial_tasks
    WHERE ss.run_id = ANY (p_run_ids) AND ss.status = 'created' AND ss.remaining_deps = 0 AND ss.initial_tasks > 0
    RETURNING ss.flow_slug, ss.run_id, ss.step_slug, ss.initial_tasks
  ), planned AS (
    SELECT st.flow_slug, st.run_id, st.step_slug, st.initial_tasks, coalesce(s.opt_start_delay, 0) AS delay,
           s.step_type = 'signal' AS waits, coalesce(r.concurrency_key, '') AS concurrency_key, r.priority
    FROM started st
    JOIN pgflow.steps s ON s.flow_slug = st.flow_slug AND s.step_slug = st.step_slug
    JOIN pgflow.runs r ON r.run_id = st.run_id
  ), inserted AS (
    INSERT INTO pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, visible_at, concurrency_key, priority)
    SELECT p.flow_slug, p.run_id, p.step_slug, i,
           CASE WHEN p.delay > 0 THEN clock_timestamp() + make_interval(secs => p.delay) ELSE clock_timestamp() END,
           p.concurrency_key, p.priority
    FROM planned p CROSS JOIN LATERAL generate_series(0, p.initial_tasks - 1) AS i
    WHERE NOT p.waits
    ORDER BY p.run_id, p.step_slug, i
    RETURNING 1
  )
  SELECT p.run_id, p.flow_slug, p.step_slug, p.delay = 0 AND NOT p.waits FROM planned p;
END;
$$;

--changeset pgflow:040-start-ready-steps-internal runOnChange:true splitStatements:false
-- _start_ready_steps(run_id, events) starts every ready step of a run (_start_ready_steps_of) and
-- emits step:started for each, in step-slug order, when asked (a signal step then step:waiting; one
-- completed at once by a buffered signal: neither, only step:completed).
-- A signal step whose signal came before it waited (send_signal answered 'buffered') completes at
-- once with that payload (_complete_signal_step, which advances the run). Returns true when some
-- task is claimable now (the caller may wake idle workers). Does not check the run status (callers do).
CREATE OR REPLACE FUNCTION pgflow._start_ready_steps(p_run_id uuid, p_events boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_step record;
  v_visible_now boolean := false;
  v_idle text[];
BEGIN
  FOR v_step IN SELECT s.flow_slug, s.step_slug, s.visible_now FROM pgflow._start_ready_steps_of(ARRAY[p_run_id]) s ORDER BY s.step_slug
  LOOP
    v_visible_now := v_visible_now OR v_step.visible_now;
    IF NOT v_step.visible_now THEN
      v_idle := v_idle || v_step.step_slug; -- a start delay, or a signal step
    END IF;
    IF p_events THEN -- a plain variable: PL/pgSQL evaluates it without the executor (the hot path has no events)
      IF v_step.visible_now OR NOT EXISTS (SELECT 1 FROM pgflow.steps s WHERE s.flow_slug = v_step.flow_slug
                                           AND s.step_slug = v_step.step_slug AND s.step_type = 'signal') THEN
        PERFORM pgflow._emit_step(p_run_id, v_step.flow_slug, v_step.step_slug, 'started');
      END IF;
    END IF;
  END LOOP;
  IF v_idle IS NOT NULL THEN
    FOR v_step IN
      SELECT ss.flow_slug, ss.step_slug, ss.signal_at, ss.signal_payload, s.opt_timeout
      FROM pgflow.step_states ss
      JOIN pgflow.steps s ON s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
      WHERE ss.run_id = p_run_id AND ss.step_slug = ANY (v_idle) AND s.step_type = 'signal'
      ORDER BY ss.step_slug
    LOOP
      -- a signal step sends step:started and step:waiting, unless a buffered signal completes it in
      -- this transaction: then only step:completed (as a step without tasks, and as the replay reads it)
      IF p_events AND v_step.signal_at IS NULL THEN
        PERFORM pgflow._emit_step(p_run_id, v_step.flow_slug, v_step.step_slug, 'started');
        PERFORM pgflow._emit_step(p_run_id, v_step.flow_slug, v_step.step_slug, 'waiting');
      END IF;
      IF v_step.signal_at IS NOT NULL THEN
        PERFORM pgflow._complete_signal_step(p_run_id, v_step.flow_slug, v_step.step_slug, v_step.signal_payload, p_events);
      ELSIF v_step.opt_timeout IS NOT NULL THEN
        -- the longest wait: the signal step's own timeout (the flow's default does not apply)
        UPDATE pgflow.step_states ss SET wait_deadline = now() + make_interval(secs => v_step.opt_timeout)
        WHERE ss.run_id = p_run_id AND ss.step_slug = v_step.step_slug;
      END IF;
    END LOOP;
  END IF;
  RETURN v_visible_now;
END;
$$;

--changeset pgflow:040-start-ready-steps runOnChange:true splitStatements:false
-- start_ready_steps(run_id): public form of _start_ready_steps; does nothing for a run that is not
-- started; wakes idle workers of the flow when tasks became claimable.
CREATE OR REPLACE FUNCTION pgflow.start_ready_steps(run_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow text;
BEGIN
  SELECT r.flow_slug INTO v_flow FROM pgflow.runs r WHERE r.run_id = start_ready_steps.run_id AND r.status = 'started';
  IF FOUND AND pgflow._start_ready_steps(start_ready_steps.run_id, pgflow._events_wanted(start_ready_steps.run_id)) THEN
    PERFORM pgflow._notify_tasks(v_flow);
  END IF;
END;
$$;

--changeset pgflow:040-complete-finished-runs runOnChange:true splitStatements:false
-- _complete_finished_runs(run_ids): each started run with no remaining steps -> completed, output =
-- object of the completed leaf steps' outputs (NULL when none completed). Returns the runs it
-- completed, with their parent_run_id (callers hand a child's end to its parent: _child_ended);
-- sends nothing (callers do). The return type changed with subflows: dropped and created again.
DROP FUNCTION IF EXISTS pgflow._complete_finished_runs(uuid[]);
CREATE OR REPLACE FUNCTION pgflow._complete_finished_runs(p_run_ids uuid[])
RETURNS TABLE (run_id uuid, flow_slug text, parent_run_id uuid)
LANGUAGE plpgsql VOLATILE -- not sql: a SQL function's statements are planned again on every call
SET plan_cache_mode = force_generic_plan -- as _start_ready_steps_of
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  UPDATE pgflow.runs r
  SET status = 'completed', completed_at = now(),
      output = (SELECT jsonb_object_agg(ss.step_slug, ss.output)
                FROM pgflow.step_states ss
                WHERE ss.run_id = r.run_id AND ss.status = 'completed'
                  AND NOT EXISTS (SELECT 1 FROM pgflow.deps d
                                  WHERE d.flow_slug = ss.flow_slug AND d.dep_slug = ss.step_slug))
  WHERE r.run_id = ANY (p_run_ids) AND r.status = 'started' AND r.remaining_steps = 0
  RETURNING r.run_id, r.flow_slug, r.parent_run_id;
END;
$$;

--changeset pgflow:040-maybe-complete-run runOnChange:true splitStatements:false
-- maybe_complete_run(run_id): a started run with no remaining steps -> completed, output = object
-- of the completed leaf steps' outputs (NULL when none completed). Only a started run completes.
-- A child run that completes completes the task of its parent that waits for it (_child_ended).
CREATE OR REPLACE FUNCTION pgflow.maybe_complete_run(run_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow text;
  v_parent uuid;
BEGIN
  SELECT c.flow_slug, c.parent_run_id INTO v_flow, v_parent FROM pgflow._complete_finished_runs(ARRAY[maybe_complete_run.run_id]) c;
  IF FOUND AND pgflow._events_wanted(maybe_complete_run.run_id) THEN
    PERFORM pgflow._emit_run(maybe_complete_run.run_id, v_flow, 'completed');
  END IF;
  IF v_parent IS NOT NULL THEN
    PERFORM pgflow._child_ended(maybe_complete_run.run_id, 'completed'); -- a child: its parent task completes
  END IF;
END;
$$;

--changeset pgflow:040-cascade-force-skip-steps runOnChange:true splitStatements:false
-- _cascade_force_skip_steps(run_id, step_slug, skip_reason): skips the step and every transitive
-- dependent still created or started (the trigger with skip_reason, the others with
-- dependency_skipped), orphans their tasks, decrements remaining_steps by the number newly
-- skipped and returns it. Idempotent. Does not change the run status. Raises 'Run not found: <id>'.
CREATE OR REPLACE FUNCTION pgflow._cascade_force_skip_steps(run_id uuid, step_slug text, skip_reason text)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow text;
  v_slugs text[];
  v_slug text;
  v_events boolean;
BEGIN
  SELECT r.flow_slug INTO v_flow FROM pgflow.runs r WHERE r.run_id = _cascade_force_skip_steps.run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Run not found: %', _cascade_force_skip_steps.run_id;
  END IF;

  WITH RECURSIVE affected(step_slug) AS (
    SELECT _cascade_force_skip_steps.step_slug
    UNION
    SELECT d.step_slug FROM pgflow.deps d JOIN affected a ON d.dep_slug = a.step_slug
    WHERE d.flow_slug = v_flow
  ), skipped AS (
    UPDATE pgflow.step_states ss
    SET status = 'skipped', skipped_at = now(), remaining_tasks = NULL,
        skip_reason = CASE WHEN ss.step_slug = _cascade_force_skip_steps.step_slug
                           THEN _cascade_force_skip_steps.skip_reason ELSE 'dependency_skipped' END
    FROM affected a
    WHERE ss.run_id = _cascade_force_skip_steps.run_id AND ss.step_slug = a.step_slug
      AND ss.status IN ('created', 'started')
    RETURNING ss.step_slug
  )
  SELECT array_agg(sk.step_slug ORDER BY s.step_index) INTO v_slugs
  FROM skipped sk JOIN pgflow.steps s ON s.flow_slug = v_flow AND s.step_slug = sk.step_slug;

  IF v_slugs IS NULL THEN
    RETURN 0;
  END IF;
  UPDATE pgflow.step_tasks t SET visible_at = 'infinity'
  WHERE t.run_id = _cascade_force_skip_steps.run_id AND t.step_slug = ANY (v_slugs) AND t.status IN ('queued', 'started');
  UPDATE pgflow.runs r SET remaining_steps = r.remaining_steps - cardinality(v_slugs)
  WHERE r.run_id = _cascade_force_skip_steps.run_id;

  v_events := pgflow._events_wanted(_cascade_force_skip_steps.run_id);
  IF v_events THEN
    FOREACH v_slug IN ARRAY v_slugs LOOP
      PERFORM pgflow._emit_step(_cascade_force_skip_steps.run_id, v_flow, v_slug, 'skipped',
                                CASE WHEN v_slug = _cascade_force_skip_steps.step_slug
                                     THEN _cascade_force_skip_steps.skip_reason ELSE 'dependency_skipped' END);
    END LOOP;
  END IF;
  RETURN cardinality(v_slugs);
END;
$$;

--changeset pgflow:040-resolve-parents runOnChange:true splitStatements:false
-- _release_children(run_id, flow_slug, parents): each child of the given parent steps gets
-- remaining_deps decremented by its number of such parents; a dependent map whose task count is
-- still unknown gets 0 (its source completed empty or was skipped). Used for taskless completions
-- and plain skips, where a parent yields no array.
CREATE OR REPLACE FUNCTION pgflow._release_children(p_run_id uuid, p_flow_slug text, p_parents text[])
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  UPDATE pgflow.step_states c
  SET remaining_deps = c.remaining_deps - x.n,
      initial_tasks = CASE WHEN cs.step_type IN ('map', 'map_subflow') AND c.initial_tasks IS NULL THEN 0 ELSE c.initial_tasks END
  FROM (SELECT d.step_slug, count(*)::int AS n
        FROM pgflow.deps d
        WHERE d.flow_slug = p_flow_slug AND d.dep_slug = ANY (p_parents)
        GROUP BY d.step_slug) x,
       pgflow.steps cs
  WHERE c.run_id = p_run_id AND c.step_slug = x.step_slug
    AND cs.flow_slug = p_flow_slug AND cs.step_slug = x.step_slug
$$;

--changeset pgflow:040-cascade-resolve-conditions runOnChange:true splitStatements:false
-- cascade_resolve_conditions(run_id) evaluates if/ifNot of ready steps (created, no remaining deps)
-- that have a pattern, against the run input (root steps) or the object of completed dependency
-- outputs (dependent steps; skipped dependencies absent). Unmet: 'fail' fails the step ('Condition
-- not met') and the run and returns false; 'skip' skips the step (condition_unmet) and releases
-- its children; 'skip-cascade' skips it and all its dependents. Repeats while plain skips make
-- new steps ready (at most 50 rounds). Returns true when the run may continue.
CREATE OR REPLACE FUNCTION pgflow.cascade_resolve_conditions(run_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run pgflow.runs;
  v_events boolean;
  v_fail_slug text;
  v_skip text[];
  v_cascade text[];
  v_slug text;
BEGIN
  SELECT r.* INTO v_run FROM pgflow.runs r WHERE r.run_id = cascade_resolve_conditions.run_id;
  IF NOT FOUND OR v_run.status IN ('failed', 'cancelled') THEN
    RETURN false;
  ELSIF v_run.status = 'completed' THEN
    RETURN true;
  END IF;
  v_events := pgflow._events_wanted(v_run.run_id);

  FOR round IN 1 .. 51 LOOP
    IF round = 51 THEN
      RAISE EXCEPTION 'cascade_resolve_conditions exceeded safety limit of 50 iterations';
    END IF;

    WITH ready AS (
      SELECT s.step_slug, s.step_index, s.when_unmet, s.required_input_pattern AS req, s.forbidden_input_pattern AS forb,
             CASE WHEN s.deps_count = 0 THEN v_run.input
                  ELSE coalesce((SELECT jsonb_object_agg(d.dep_slug, ds.output)
                                 FROM pgflow.deps d
                                 JOIN pgflow.step_states ds ON ds.run_id = ss.run_id AND ds.step_slug = d.dep_slug
                                 WHERE d.flow_slug = s.flow_slug AND d.step_slug = s.step_slug
                                   AND ds.status = 'completed'), '{}'::jsonb) END AS doc
      FROM pgflow.step_states ss
      JOIN pgflow.steps s ON s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
      WHERE ss.run_id = v_run.run_id AND ss.status = 'created' AND ss.remaining_deps = 0
        AND (s.required_input_pattern IS NOT NULL OR s.forbidden_input_pattern IS NOT NULL)
    ), unmet AS (
      SELECT * FROM ready
      WHERE NOT ((req IS NULL OR doc @> req) AND (forb IS NULL OR NOT doc @> forb))
    )
    SELECT (SELECT u.step_slug FROM unmet u WHERE u.when_unmet = 'fail' ORDER BY u.step_index LIMIT 1),
           (SELECT array_agg(u.step_slug ORDER BY u.step_index) FROM unmet u WHERE u.when_unmet = 'skip'),
           (SELECT array_agg(u.step_slug ORDER BY u.step_index) FROM unmet u WHERE u.when_unmet = 'skip-cascade')
    INTO v_fail_slug, v_skip, v_cascade;

    IF v_fail_slug IS NOT NULL THEN
      UPDATE pgflow.step_states ss SET status = 'failed', failed_at = now(), error_message = 'Condition not met'
      WHERE ss.run_id = v_run.run_id AND ss.step_slug = v_fail_slug;
      IF v_events THEN
        PERFORM pgflow._emit_step(v_run.run_id, v_run.flow_slug, v_fail_slug, 'failed');
      END IF;
      PERFORM pgflow._fail_run(v_run.run_id, v_events);
      RETURN false;
    END IF;

    IF v_skip IS NOT NULL THEN
      UPDATE pgflow.step_states ss SET status = 'skipped', skip_reason = 'condition_unmet', skipped_at = now()
      WHERE ss.run_id = v_run.run_id AND ss.step_slug = ANY (v_skip);
      PERFORM pgflow._release_children(v_run.run_id, v_run.flow_slug, v_skip);
      UPDATE pgflow.runs r SET remaining_steps = r.remaining_steps - cardinality(v_skip) WHERE r.run_id = v_run.run_id;
      IF v_events THEN
        FOREACH v_slug IN ARRAY v_skip LOOP
          PERFORM pgflow._emit_step(v_run.run_id, v_run.flow_slug, v_slug, 'skipped', 'condition_unmet');
        END LOOP;
      END IF;
    END IF;

    IF v_cascade IS NOT NULL THEN
      FOREACH v_slug IN ARRAY v_cascade LOOP
        PERFORM pgflow._cascade_force_skip_steps(v_run.run_id, v_slug, 'condition_unmet');
      END LOOP;
    END IF;

    EXIT WHEN v_skip IS NULL;
  END LOOP;
  RETURN true;
END;
$$;

--changeset pgflow:040-cascade-complete-taskless-steps runOnChange:true splitStatements:false
-- cascade_complete_taskless_steps(run_id) completes ready steps with zero tasks (maps over an
-- empty array) in waves: output [] (NULL for a single step), started_at = completed_at = now,
-- children released, remaining_steps decremented. At most 50 waves ('Cascade loop exceeded safety
-- limit of 50 iterations'). Returns the number of steps completed.
CREATE OR REPLACE FUNCTION pgflow.cascade_complete_taskless_steps(run_id uuid)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow text;
  v_total int := 0;
  v_slugs text[];
  v_slug text;
  v_events boolean := pgflow._events_wanted(cascade_complete_taskless_steps.run_id);
BEGIN
  SELECT r.flow_slug INTO v_flow FROM pgflow.runs r
  WHERE r.run_id = cascade_complete_taskless_steps.run_id AND r.status = 'started';
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  FOR wave IN 1 .. 50 LOOP
    WITH done AS (
      UPDATE pgflow.step_states ss
      SET status = 'completed', started_at = now(), completed_at = now(), remaining_tasks = 0,
          output = CASE WHEN s.step_type IN ('map', 'map_subflow') THEN '[]'::jsonb END
      FROM pgflow.steps s
      WHERE ss.run_id = cascade_complete_taskless_steps.run_id AND ss.status = 'created'
        AND ss.remaining_deps = 0 AND ss.initial_tasks = 0
        AND s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
      RETURNING ss.step_slug, s.step_index
    )
    SELECT array_agg(done.step_slug ORDER BY done.step_index) INTO v_slugs FROM done;
    EXIT WHEN v_slugs IS NULL;
    IF wave = 50 THEN
      RAISE EXCEPTION 'Cascade loop exceeded safety limit of 50 iterations';
    END IF;
    PERFORM pgflow._release_children(cascade_complete_taskless_steps.run_id, v_flow, v_slugs);
    UPDATE pgflow.runs r SET remaining_steps = r.remaining_steps - cardinality(v_slugs)
    WHERE r.run_id = cascade_complete_taskless_steps.run_id;
    v_total := v_total + cardinality(v_slugs);
    IF v_events THEN
      FOREACH v_slug IN ARRAY v_slugs LOOP
        PERFORM pgflow._emit_step(cascade_complete_taskless_steps.run_id, v_flow, v_slug, 'completed');
      END LOOP;
    END IF;
  END LOOP;
  RETURN v_total;
END;
$$;

--changeset pgflow:040-advance-run runOnChange:true splitStatements:false
-- _advance_run(run_id, flow_slug, events, conditions): after steps were released, resolves
-- conditions of newly ready steps (when asked), completes taskless steps, starts ready steps,
-- completes the run when nothing remains, and wakes idle workers when tasks became claimable.
CREATE OR REPLACE FUNCTION pgflow._advance_run(p_run_id uuid, p_flow_slug text, p_events boolean, p_conditions boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF p_conditions AND NOT pgflow.cascade_resolve_conditions(p_run_id) THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM pgflow.step_states ss
             WHERE ss.run_id = p_run_id AND ss.status = 'created' AND ss.remaining_deps = 0 AND ss.initial_tasks = 0) THEN
    PERFORM pgflow.cascade_complete_taskless_steps(p_run_id);
  END IF;
  IF pgflow._start_ready_steps(p_run_id, p_events) THEN
    PERFORM pgflow._notify_tasks(p_flow_slug);
  END IF;
  IF EXISTS (SELECT 1 FROM pgflow.runs r WHERE r.run_id = p_run_id AND r.status = 'started' AND r.remaining_steps = 0) THEN
    PERFORM pgflow.maybe_complete_run(p_run_id);
  END IF;
END;
$$;

--changeset pgflow:040-new-run-id runOnChange:true splitStatements:false
-- _new_run_id(): a version 7 UUID (RFC 9562): the first 48 bits are the Unix time in milliseconds,
-- the rest gen_random_uuid()'s random bits. Run ids made this way grow with time, so new runs,
-- step states and tasks land at the right edge of their primary keys (run_id first) instead of on
-- random pages of indexes that hold every run ever kept: inserts touch a few hot pages, not the whole
-- index. The first 12 hex digits of a run id are its start's millisecond. Callers may still pass any uuid.
CREATE OR REPLACE FUNCTION pgflow._new_run_id()
RETURNS uuid
LANGUAGE sql VOLATILE
AS $$
  SELECT (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
          || '7' || substr(r.hex, 14, 3) || substr(r.hex, 17, 16))::uuid
  FROM (SELECT replace(gen_random_uuid()::text, '-', '') AS hex) r
$$;

--changeset pgflow:040-run-exists runOnChange:true splitStatements:false
-- _run_exists(run_id): the error of a start whose caller-chosen run_id is taken (unique_violation on
-- runs_pkey), raised by both of start_flow's inserts (with and without an idempotency key).
CREATE OR REPLACE FUNCTION pgflow._run_exists(p_run_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'unique_violation', CONSTRAINT = 'runs_pkey',
    MESSAGE = format('Run %s already exists; start_flow needs a new run_id (or none)', p_run_id);
END;
$$;

--changeset pgflow:040-idempotent-repeat runOnChange:true splitStatements:false
-- _idempotent_repeat(existing, input): the existing run of a repeated idempotent start, or
-- unique_violation when the repeat carries another input than the run it names.
CREATE OR REPLACE FUNCTION pgflow._idempotent_repeat(p_existing pgflow.runs, p_input jsonb)
RETURNS pgflow.runs
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  IF p_existing.input IS DISTINCT FROM p_input THEN
    RAISE EXCEPTION USING ERRCODE = 'unique_violation', CONSTRAINT = 'idx_runs_idempotency_key',
      MESSAGE = format('Idempotency key "%s" of flow "%s" was already used by run %s with a different input',
                       p_existing.idempotency_key, p_existing.flow_slug, p_existing.run_id),
      HINT = 'Use a new key for a new input, or repeat the original input to get the existing run back.';
  END IF;
  RETURN p_existing;
END;
$$;

--changeset pgflow:040-flow-to-start runOnChange:true splitStatements:false
-- _flow_to_start(flow_slug): what starting a run of the flow needs to know (its number of steps,
-- whether a root step is a map, whether a root step has a condition, whether a step waits for a
-- signal), or the error of a start of a flow that does not exist (foreign_key_violation on
-- runs_flow_slug_fkey, with a hint).
DROP FUNCTION IF EXISTS pgflow._flow_to_start(text);
CREATE OR REPLACE FUNCTION pgflow._flow_to_start(p_flow_slug text, OUT steps int, OUT root_map boolean, OUT root_conditions boolean,
                                                 OUT signals boolean)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  SELECT count(s.step_slug), coalesce(bool_or(s.step_type IN ('map', 'map_subflow') AND s.deps_count = 0), false),
         coalesce(bool_or(s.deps_count = 0 AND (s.required_input_pattern IS NOT NULL OR s.forbidden_input_pattern IS NOT NULL)), false),
         coalesce(bool_or(s.step_type = 'signal'), false)
  INTO steps, root_map, root_conditions, signals
  FROM pgflow.flows f LEFT JOIN pgflow.steps s ON s.flow_slug = f.flow_slug
  WHERE f.flow_slug = p_flow_slug
  GROUP BY f.flow_slug;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING
      ERRCODE = 'foreign_key_violation',
      CONSTRAINT = 'runs_flow_slug_fkey',
      MESSAGE = format('Flow "%s" does not exist', p_flow_slug),
      HINT = 'Apply the flow''s changelog (liquibase/flows/) or call pgflow.create_flow and pgflow.add_step first; SELECT flow_slug FROM pgflow.flows lists the known flows.';
  END IF;
END;
$$;

--changeset pgflow:040-input-limit runOnChange:true splitStatements:false
-- _require_input_size(flow_slug, input, item): a run input larger than pgflow.max_input_bytes
-- (a setting: ALTER DATABASE ... SET pgflow.max_input_bytes = ..., or per session; default 16 MiB,
-- measured as JSON text in UTF-8, as a REST body or a handler's output is) is refused where it enters, with SQLSTATE 54000
-- (program_limit_exceeded) naming the flow, the size, the limit and how to change it. item names
-- the element of a start_flows call (NULL for start_flow).
CREATE OR REPLACE FUNCTION pgflow._require_input_size(p_flow_slug text, p_input jsonb, p_item int)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_limit bigint := coalesce(nullif(current_setting('pgflow.max_input_bytes', true), '')::bigint, 16777216);
  v_size bigint := octet_length(p_input::text);
BEGIN
  IF v_size > v_limit THEN
    RAISE EXCEPTION USING ERRCODE = 'program_limit_exceeded',
      MESSAGE = format('Flow "%s": the run input%s is %s bytes of JSON, over the limit of %s bytes (pgflow.max_input_bytes)',
                       p_flow_slug, CASE WHEN p_item IS NULL THEN '' ELSE format(' of item %s', p_item) END, v_size, v_limit),
      HINT = 'Keep large data outside the run and pass a reference to it (a file, an object store, a table), or raise the'
             ' limit: ALTER DATABASE <database> SET pgflow.max_input_bytes = <bytes>';
  END IF;
END;
$$;

--changeset pgflow:040-map-width-limit runOnChange:true splitStatements:false
-- _max_map_width(): the most tasks one map step may have in a run: the setting pgflow.max_map_width
-- (ALTER DATABASE ... SET pgflow.max_map_width = ..., or per session), default 100,000. Each element
-- is a task row, and the step's output aggregates them all, so a runaway array (a bug that returns
-- a million ids) is refused where it enters: start_flow / start_flows for a root map (SQLSTATE
-- 54000, nothing started), complete_task for the step that feeds a map (fails the task, the step
-- and the run, as a non-array output does).
CREATE OR REPLACE FUNCTION pgflow._max_map_width()
RETURNS int
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(nullif(current_setting('pgflow.max_map_width', true), '')::int, 100000)
$$;

-- _require_map_width(flow_slug, input, item): a root map's input array longer than _max_map_width()
-- is refused with SQLSTATE 54000 naming the flow, the length, the limit and how to change it.
CREATE OR REPLACE FUNCTION pgflow._require_map_width(p_flow_slug text, p_input jsonb, p_item int)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_limit int := pgflow._max_map_width();
  v_width int;
BEGIN
  IF jsonb_typeof(p_input) = 'array' THEN
    v_width := jsonb_array_length(p_input);
    IF v_width > v_limit THEN
      RAISE EXCEPTION USING ERRCODE = 'program_limit_exceeded',
        MESSAGE = format('Flow "%s": the run input%s is an array of %s elements, but a map step takes at most %s (pgflow.max_map_width)',
                         p_flow_slug, CASE WHEN p_item IS NULL THEN '' ELSE format(' of item %s', p_item) END, v_width, v_limit),
        HINT = 'Split the work into several runs, or raise the limit: ALTER DATABASE <database> SET pgflow.max_map_width = <elements>';
    END IF;
  END IF;
END;
$$;

--changeset pgflow:040-start-flow runOnChange:true splitStatements:false
-- start_flow(flow_slug, input, run_id, idempotency_key, concurrency_key, priority) returns the run
-- (one row). concurrency_key (NULL: none) and priority (-100..100, default 0, higher first) are
-- stored on the run and copied onto its tasks (set_key_concurrency, set_rate_limit, claim_tasks).
-- In one
-- transaction: checks the flow exists and that a flow with root map steps gets an array, inserts
-- the run (remaining_steps = number of steps) and one step state per step, resolves root
-- conditions, completes empty root maps, queues the root tasks and wakes idle workers.
-- With an idempotency_key already used for this flow nothing is started and the existing run is
-- returned (its started_at is then earlier than now(), which is how a caller tells a repeat from a
-- new start); concurrent starts with one key serialise on the primary key of pgflow_internal.run_keys
-- (flow_slug, idempotency_key), so exactly one run is created. A key is free again once its run is pruned.
-- Errors: unknown flow (foreign_key_violation), NULL input, root map input not an array
-- (P0001, pgflow's texts), empty key or one over 200 characters (invalid_parameter_value), duplicate run_id or a key reused
-- with another input (unique_violation, naming the key and the existing run); an empty concurrency
-- key, one over 200 characters, a priority outside -100..100 (invalid_parameter_value).
DROP FUNCTION IF EXISTS pgflow.start_flow(text, jsonb, uuid);
DROP FUNCTION IF EXISTS pgflow.start_flow(text, jsonb, uuid, text);
CREATE OR REPLACE FUNCTION pgflow.start_flow(flow_slug text, input jsonb, run_id uuid DEFAULT NULL,
                                             idempotency_key text DEFAULT NULL, concurrency_key text DEFAULT NULL,
                                             priority int DEFAULT 0)
RETURNS SETOF pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_flow constant text := start_flow.flow_slug;
  v_input constant jsonb := start_flow.input;
  v_key constant text := start_flow.idempotency_key;
  v_run_id uuid := coalesce(start_flow.run_id, pgflow._new_run_id());
  v_steps int;
  v_root_map boolean;
  v_conditions boolean;
  v_signals boolean;
  v_events boolean;
  v_input_length int;
  v_existing pgflow.runs;
BEGIN
  SELECT f.steps, f.root_map, f.root_conditions, f.signals INTO v_steps, v_root_map, v_conditions, v_signals
  FROM pgflow._flow_to_start(v_flow) f;
  PERFORM pgflow._require_input_size(v_flow, v_input, NULL);
  IF start_flow.concurrency_key IS NOT NULL OR start_flow.priority IS DISTINCT FROM 0 THEN
    PERFORM pgflow._check_run_key(v_flow, start_flow.concurrency_key, coalesce(start_flow.priority, 0), NULL);
  END IF;

  IF v_key IS NOT NULL THEN
    IF v_key = '' THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Flow "%s": idempotency_key must not be empty (pass NULL for a start without a key)', v_flow);
    ELSIF length(v_key) > 200 THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Flow "%s": idempotency_key is %s characters long; at most 200 are allowed', v_flow, length(v_key));
    END IF;
    SELECT r.* INTO v_existing FROM pgflow_internal.run_keys k JOIN pgflow.runs r ON r.run_id = k.run_id
    WHERE k.flow_slug = v_flow AND k.idempotency_key = v_key;
    IF FOUND THEN
      RETURN QUERY SELECT (pgflow._idempotent_repeat(v_existing, v_input)).*;
      RETURN;
    END IF;
  END IF;

  IF v_root_map THEN
    IF v_input IS NULL THEN
      RAISE EXCEPTION 'Flow % has root map steps but input is NULL', v_flow;
    ELSIF jsonb_typeof(v_input) <> 'array' THEN
      RAISE EXCEPTION 'Flow % has root map steps but input is not an array (got %)', v_flow, jsonb_typeof(v_input);
    END IF;
    PERFORM pgflow._require_map_width(v_flow, v_input, NULL);
  END IF;
  IF v_input IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'not_null_violation',
      MESSAGE = format('Flow "%s": input must not be NULL (pass ''{}''::jsonb for a flow without input)', v_flow);
  END IF;

  IF v_key IS NULL THEN
    -- no EXCEPTION block on the common path: one would make every start a subtransaction (a
    -- savepoint and a subtransaction id for the insert)
    INSERT INTO pgflow.runs (run_id, flow_slug, input, remaining_steps, concurrency_key, priority)
    VALUES (v_run_id, v_flow, v_input, v_steps, start_flow.concurrency_key, coalesce(start_flow.priority, 0))
    ON CONFLICT (run_id) DO NOTHING;
    IF NOT FOUND THEN
      PERFORM pgflow._run_exists(v_run_id);
    END IF;
  ELSE
    -- the key first: concurrent starts with one key serialise on run_keys' primary key
    INSERT INTO pgflow_internal.run_keys (flow_slug, idempotency_key, run_id) VALUES (v_flow, v_key, v_run_id)
    ON CONFLICT (flow_slug, idempotency_key) DO NOTHING;
    IF NOT FOUND THEN
      -- a concurrent start with the same key committed first (ON CONFLICT waited for it; this
      -- statement's snapshot sees its run), or the key's run was deleted by hand: taken over
      UPDATE pgflow_internal.run_keys k SET run_id = v_run_id
      WHERE k.flow_slug = v_flow AND k.idempotency_key = v_key AND NOT EXISTS (SELECT 1 FROM pgflow.runs r WHERE r.run_id = k.run_id);
      IF NOT FOUND THEN
        SELECT r.* INTO STRICT v_existing FROM pgflow_internal.run_keys k JOIN pgflow.runs r ON r.run_id = k.run_id
        WHERE k.flow_slug = v_flow AND k.idempotency_key = v_key;
        RETURN QUERY SELECT (pgflow._idempotent_repeat(v_existing, v_input)).*;
        RETURN;
      END IF;
    END IF;
    INSERT INTO pgflow.runs (run_id, flow_slug, input, remaining_steps, idempotency_key, concurrency_key, priority)
    VALUES (v_run_id, v_flow, v_input, v_steps, v_key, start_flow.concurrency_key, coalesce(start_flow.priority, 0))
    ON CONFLICT (run_id) DO NOTHING;
    IF NOT FOUND THEN
      PERFORM pgflow._run_exists(v_run_id);
    END IF;
  END IF;

  -- computed here, not inside a statement: the planner folds functions of constants early
  IF jsonb_typeof(v_input) = 'array' THEN
    v_input_length := jsonb_array_length(v_input);
  END IF;
  v_events := pgflow._events_wanted(v_run_id);
  IF NOT (v_conditions OR v_steps = 0 OR v_events OR v_signals OR (v_root_map AND v_input_length = 0)) THEN
    -- no conditions, no empty root map, no signal step, nobody watching: the root steps are
    -- inserted started, with their tasks (as start_flows does), each row written once (114)
    IF pgflow._insert_started_runs(v_flow, ARRAY[v_run_id], ARRAY[v_input], ARRAY[coalesce(start_flow.concurrency_key, '')],
                                   ARRAY[coalesce(start_flow.priority, 0)]) THEN
      PERFORM pgflow._notify_tasks(v_flow);
    END IF;
    RETURN QUERY SELECT r.* FROM pgflow.runs r WHERE r.run_id = v_run_id;
    RETURN;
  END IF;

  INSERT INTO pgflow.step_states (flow_slug, run_id, step_slug, remaining_deps, initial_tasks)
  SELECT s.flow_slug, v_run_id, s.step_slug, s.deps_count,
         CASE WHEN s.step_type NOT IN ('map', 'map_subflow') THEN 1
              WHEN s.deps_count = 0 THEN v_input_length
              END
  FROM pgflow.steps s WHERE s.flow_slug = v_flow;

  IF v_events THEN
    PERFORM pgflow._emit_run(v_run_id, v_flow, 'started');
  END IF;

  PERFORM pgflow._advance_run(v_run_id, v_flow, v_events, v_conditions);

  RETURN QUERY SELECT r.* FROM pgflow.runs r WHERE r.run_id = v_run_id;
END;
$$;

--changeset pgflow:040-get-run-with-states runOnChange:true splitStatements:false
-- get_run_with_states(run_id) returns {"run": <runs row>, "steps": [<step_states rows in step order>]}
-- or NULL for an unknown run. A subflow or map_subflow step's row also has "child_run_ids": per
-- task in task order, the child run it waits for or last waited for (null before its first child).
-- plpgsql, not sql: its body reads step_tasks.child_run_id, which a later changeset adds.
CREATE OR REPLACE FUNCTION pgflow.get_run_with_states(run_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN (
  SELECT jsonb_build_object(
           'run', to_jsonb(r),
           'steps', coalesce((SELECT jsonb_agg(to_jsonb(ss)
                                               || CASE WHEN s.step_type IN ('subflow', 'map_subflow') THEN
                                                    jsonb_build_object('child_run_ids',
                                                      (SELECT jsonb_agg(t.child_run_id ORDER BY t.task_index)
                                                       FROM pgflow.step_tasks t
                                                       WHERE t.run_id = ss.run_id AND t.step_slug = ss.step_slug))
                                                  ELSE '{}'::jsonb END
                                               ORDER BY s.step_index)
                              FROM pgflow.step_states ss
                              JOIN pgflow.steps s ON s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
                              WHERE ss.run_id = r.run_id), '[]'::jsonb))
  FROM pgflow.runs r
  WHERE r.run_id = get_run_with_states.run_id);
END;
$$;

--changeset pgflow:040-start-flow-with-states runOnChange:true splitStatements:false
-- start_flow_with_states(flow_slug, input, run_id, idempotency_key): start_flow, then
-- get_run_with_states (of the existing run when the key was used before).
DROP FUNCTION IF EXISTS pgflow.start_flow_with_states(text, jsonb, uuid);
CREATE OR REPLACE FUNCTION pgflow.start_flow_with_states(flow_slug text, input jsonb, run_id uuid DEFAULT NULL,
                                                         idempotency_key text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run_id uuid;
BEGIN
  SELECT r.run_id INTO v_run_id FROM pgflow.start_flow(start_flow_with_states.flow_slug,
                                                       start_flow_with_states.input,
                                                       start_flow_with_states.run_id,
                                                       start_flow_with_states.idempotency_key) r;
  RETURN pgflow.get_run_with_states(v_run_id);
END;
$$;

--changeset pgflow:040-start-flows runOnChange:true splitStatements:false
-- start_flows(flow_slug, inputs, idempotency_keys) starts one run per input in one call and returns
-- (item, run_id, created) per input, in input order (item counts from 1). Each item gets what
-- start_flow(flow_slug, inputs[i], NULL, idempotency_keys[i]) called item by item would give: a key
-- that names an existing run of the flow returns that run (created false; another input is a
-- unique_violation naming the key and the run), a key repeated within the call returns the first
-- item's run. idempotency_keys is NULL (no keys) or one key or NULL per input.
-- The work is set-based: one INSERT of the runs, one of their step states (root steps inserted
-- started), one of the root tasks, at most one wake-up of idle workers; start_flow's statements per
-- run are taken only for runs whose roots have conditions or empty maps, or while someone
-- subscribed to all runs' events. Errors are start_flow's, prefixed with the refused item
-- ('Flow "f", item 3: ...'): first the inputs and keys themselves, then keys used before with
-- another input. Nothing is started when an item is refused.
-- concurrency_keys and priorities (each NULL, or one element per input) give each run start_flow's
-- concurrency_key and priority (a NULL priority element: 0).
DROP FUNCTION IF EXISTS pgflow.start_flows(text, jsonb[], text[]);
CREATE OR REPLACE FUNCTION pgflow.start_flows(flow_slug text, inputs jsonb[], idempotency_keys text[] DEFAULT NULL,
                                              concurrency_keys text[] DEFAULT NULL, priorities int[] DEFAULT NULL)
RETURNS TABLE (item int, run_id uuid, created boolean)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_flow constant text := start_flows.flow_slug;
  v_steps int;
  v_root_map boolean;
  v_conditions boolean;
  v_signals boolean;
  v_bad record;
  v_bad_item int;
  v_bad_code text;
  v_bad_message text;
  v_ids uuid[];
  v_new uuid[];
  v_new_inputs jsonb[];
  v_new_keys text[];
  v_new_priorities int[];
  v_array record;
  v_step_by_step boolean;
  v_events boolean;
  v_run uuid;
  v_asked int;
  v_claimed uuid[];
BEGIN
  SELECT f.steps, f.root_map, f.root_conditions, f.signals INTO v_steps, v_root_map, v_conditions, v_signals
  FROM pgflow._flow_to_start(v_flow) f;
  IF start_flows.inputs IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'not_null_violation',
      MESSAGE = format('Flow "%s": inputs must not be NULL (pass an array with one input per run)', v_flow);
  END IF;
  IF start_flows.idempotency_keys IS NOT NULL
     AND coalesce(cardinality(start_flows.idempotency_keys), 0) <> coalesce(cardinality(start_flows.inputs), 0) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Flow "%s": idempotency_keys has %s elements but inputs has %s; give one key (or NULL) per input',
                       v_flow, coalesce(cardinality(start_flows.idempotency_keys), 0), coalesce(cardinality(start_flows.inputs), 0));
  END IF;
  FOR v_array IN SELECT * FROM (VALUES ('concurrency_keys', cardinality(start_flows.concurrency_keys)),
                                       ('priorities', cardinality(start_flows.priorities))) a(name, n)
  LOOP
    IF v_array.n IS NOT NULL AND v_array.n <> coalesce(cardinality(start_flows.inputs), 0) THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Flow "%s": %s has %s elements but inputs has %s; give one (or NULL) per input',
                         v_flow, v_array.name, v_array.n, coalesce(cardinality(start_flows.inputs), 0));
    END IF;
  END LOOP;
  IF coalesce(cardinality(start_flows.inputs), 0) = 0 THEN
    RETURN;
  END IF;
  IF start_flows.concurrency_keys IS NOT NULL OR start_flows.priorities IS NOT NULL THEN
    PERFORM pgflow._check_run_key(v_flow, start_flows.concurrency_keys[i.ord], coalesce(start_flows.priorities[i.ord], 0), i.ord::int)
    FROM unnest(start_flows.inputs) WITH ORDINALITY AS i(input, ord);
  END IF;
  PERFORM pgflow._require_input_size(v_flow, i.input, i.ord::int)
  FROM unnest(start_flows.inputs) WITH ORDINALITY AS i(input, ord);
  IF v_root_map THEN
    PERFORM pgflow._require_map_width(v_flow, i.input, i.ord::int)
    FROM unnest(start_flows.inputs) WITH ORDINALITY AS i(input, ord);
  END IF;

  -- the inputs and keys themselves, in start_flow's order; the first refused item names the error
  WITH items AS (
    SELECT i.ord::int AS item, i.input, start_flows.idempotency_keys[i.ord] AS key
    FROM unnest(start_flows.inputs) WITH ORDINALITY AS i(input, ord)
  ), seen AS (
    SELECT it.*,
           CASE WHEN it.key IS NOT NULL THEN first_value(it.item) OVER w END AS first_item,
           CASE WHEN it.key IS NOT NULL THEN first_value(it.input) OVER w END AS first_input
    FROM items it
    WINDOW w AS (PARTITION BY it.key ORDER BY it.item)
  ), judged AS (
    SELECT s.item,
           CASE WHEN s.key = '' OR length(s.key) > 200 THEN '22023'
                WHEN s.first_item < s.item AND s.first_input IS DISTINCT FROM s.input THEN '23505'
                WHEN s.first_item < s.item THEN NULL
                WHEN v_root_map AND (s.input IS NULL OR jsonb_typeof(s.input) <> 'array') THEN 'P0001'
                WHEN s.input IS NULL THEN '23502'
           END AS code,
           CASE WHEN s.key = '' THEN 'idempotency_key must not be empty (pass NULL for a start without a key)'
                WHEN length(s.key) > 200 THEN format('idempotency_key is %s characters long; at most 200 are allowed', length(s.key))
                WHEN s.first_item < s.item AND s.first_input IS DISTINCT FROM s.input THEN
                  format('Idempotency key "%s" of flow "%s" was already used by item %s with a different input', s.key, v_flow, s.first_item)
                WHEN s.first_item < s.item THEN NULL
                WHEN v_root_map AND s.input IS NULL THEN format('Flow %s has root map steps but input is NULL', v_flow)
                WHEN v_root_map AND jsonb_typeof(s.input) <> 'array' THEN
                  format('Flow %s has root map steps but input is not an array (got %s)', v_flow, jsonb_typeof(s.input))
                WHEN s.input IS NULL THEN 'input must not be NULL (pass ''{}''::jsonb for a flow without input)'
           END AS message,
           s.key IS NULL OR s.first_item = s.item AS fresh
    FROM seen s
  )
  SELECT (array_agg(j.item ORDER BY j.item) FILTER (WHERE j.code IS NOT NULL))[1],
         (array_agg(j.code ORDER BY j.item) FILTER (WHERE j.code IS NOT NULL))[1],
         (array_agg(j.message ORDER BY j.item) FILTER (WHERE j.code IS NOT NULL))[1],
         array_agg(CASE WHEN j.fresh THEN pgflow._new_run_id() END ORDER BY j.item)
  INTO v_bad_item, v_bad_code, v_bad_message, v_ids
  FROM judged j;
  IF v_bad_item IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = v_bad_code, MESSAGE = format('Flow "%s", item %s: %s', v_flow, v_bad_item, v_bad_message);
  END IF;

  -- a key of the flow used before (or by a concurrent start that committed first) inserts nothing:
  -- the keys are claimed first (run_keys' primary key); a key whose run was deleted by hand is
  -- taken over (a later statement: its snapshot sees the runs of concurrent starts that won a key)
  v_asked := cardinality(array_remove(v_ids, NULL));
  IF start_flows.idempotency_keys IS NOT NULL THEN
    WITH claimed AS (
      INSERT INTO pgflow_internal.run_keys AS k (flow_slug, idempotency_key, run_id)
      SELECT v_flow, start_flows.idempotency_keys[i.ord], v_ids[i.ord]
      FROM generate_subscripts(start_flows.inputs, 1) AS i(ord)
      WHERE v_ids[i.ord] IS NOT NULL AND start_flows.idempotency_keys[i.ord] IS NOT NULL
      ORDER BY i.ord
      ON CONFLICT (flow_slug, idempotency_key) DO NOTHING
      RETURNING k.run_id
    )
    SELECT coalesce(array_agg(c.run_id), '{}') INTO v_claimed FROM claimed c;
    IF cardinality(v_claimed) < cardinality(array_remove(start_flows.idempotency_keys, NULL)) THEN
      WITH taken AS (
        UPDATE pgflow_internal.run_keys k SET run_id = v_ids[i.ord]
        FROM generate_subscripts(start_flows.inputs, 1) AS i(ord)
        WHERE k.flow_slug = v_flow AND k.idempotency_key = start_flows.idempotency_keys[i.ord] AND v_ids[i.ord] IS NOT NULL
          AND NOT (v_ids[i.ord] = ANY (v_claimed)) AND NOT EXISTS (SELECT 1 FROM pgflow.runs r WHERE r.run_id = k.run_id)
        RETURNING k.run_id
      )
      SELECT v_claimed || coalesce(array_agg(t.run_id), '{}') INTO v_claimed FROM taken t;
    END IF;
    SELECT array_agg(CASE WHEN start_flows.idempotency_keys[i.ord] IS NULL OR v_ids[i.ord] = ANY (v_claimed)
                          THEN v_ids[i.ord] END ORDER BY i.ord)
    INTO v_ids FROM generate_subscripts(start_flows.inputs, 1) AS i(ord);
  END IF;
  WITH inserted AS (
    INSERT INTO pgflow.runs (run_id, flow_slug, input, remaining_steps, idempotency_key, concurrency_key, priority)
    SELECT v_ids[i.ord], v_flow, i.input, v_steps, start_flows.idempotency_keys[i.ord], start_flows.concurrency_keys[i.ord],
           coalesce(start_flows.priorities[i.ord], 0)
    FROM unnest(start_flows.inputs) WITH ORDINALITY AS i(input, ord)
    WHERE v_ids[i.ord] IS NOT NULL
    ORDER BY i.ord
    RETURNING run_id, input, concurrency_key, priority
  )
  SELECT coalesce(array_agg(ins.run_id), '{}'), coalesce(array_agg(ins.input), '{}'),
         coalesce(array_agg(coalesce(ins.concurrency_key, '')), '{}'), coalesce(array_agg(ins.priority), '{}')
  INTO v_new, v_new_inputs, v_new_keys, v_new_priorities FROM inserted ins;

  IF cardinality(v_new) < v_asked THEN
    -- the run a used key names must carry the same input
    SELECT i.ord::int AS item, r.run_id AS run, r.idempotency_key AS key INTO v_bad
    FROM unnest(start_flows.inputs) WITH ORDINALITY AS i(input, ord)
    JOIN pgflow_internal.run_keys k ON k.flow_slug = v_flow AND k.idempotency_key = start_flows.idempotency_keys[i.ord]
    JOIN pgflow.runs r ON r.run_id = k.run_id
    WHERE r.input IS DISTINCT FROM i.input AND NOT (r.run_id = ANY (v_new))
    ORDER BY i.ord LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'unique_violation', CONSTRAINT = 'idx_runs_idempotency_key',
        MESSAGE = format('Flow "%s", item %s: Idempotency key "%s" of flow "%s" was already used by run %s with a different input',
                         v_flow, v_bad.item, v_bad.key, v_flow, v_bad.run),
        HINT = 'Use a new key for a new input, or repeat the original input to get the existing run back.';
    END IF;
  END IF;

  IF cardinality(v_new) > 0 THEN
    v_step_by_step := v_conditions OR v_steps = 0
      OR v_signals
      OR EXISTS (SELECT 1 FROM pgflow_internal.event_subscriptions es
                 WHERE es.expires_at > clock_timestamp() AND (es.run_id IS NULL OR es.run_id = ANY (v_new)))
      OR (v_root_map AND EXISTS (SELECT 1 FROM unnest(v_new_inputs) AS n(input) WHERE jsonb_array_length(n.input) = 0));
    IF v_step_by_step THEN
      -- run by run, exactly as start_flow starts a run
      INSERT INTO pgflow.step_states (flow_slug, run_id, step_slug, remaining_deps, initial_tasks)
      SELECT s.flow_slug, n.run_id, s.step_slug, s.deps_count,
             CASE WHEN s.step_type NOT IN ('map', 'map_subflow') THEN 1
                  WHEN s.deps_count = 0 AND jsonb_typeof(n.input) = 'array' THEN jsonb_array_length(n.input)
                  END
      FROM unnest(v_new, v_new_inputs) WITH ORDINALITY AS n(run_id, input, ord)
      JOIN pgflow.steps s ON s.flow_slug = v_flow
      ORDER BY n.ord, s.step_index;
      FOREACH v_run IN ARRAY v_new LOOP
        v_events := pgflow._events_wanted(v_run);
        IF v_events THEN
          PERFORM pgflow._emit_run(v_run, v_flow, 'started');
        END IF;
        PERFORM pgflow._advance_run(v_run, v_flow, v_events, v_conditions);
      END LOOP;
    ELSE
      -- no conditions, no empty maps, nobody watching: the root steps are inserted started, with
      -- their tasks, which is where start_flow's _advance_run would take them (114)
      IF pgflow._insert_started_runs(v_flow, v_new, v_new_inputs, v_new_keys, v_new_priorities) THEN
        PERFORM pgflow._notify_tasks(v_flow);
      END IF;
    END IF;
  END IF;

  RETURN QUERY
  SELECT i.ord::int, coalesce(n.run_id, r.run_id), n.run_id IS NOT NULL
  FROM unnest(start_flows.inputs) WITH ORDINALITY AS i(input, ord)
  LEFT JOIN unnest(v_new) AS n(run_id) ON n.run_id = v_ids[i.ord]
  LEFT JOIN pgflow_internal.run_keys r ON n.run_id IS NULL AND r.flow_slug = v_flow AND r.idempotency_key = start_flows.idempotency_keys[i.ord]
  ORDER BY i.ord;
END;
$$;
