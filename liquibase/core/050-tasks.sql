--liquibase formatted sql

--changeset pgflow:050-fail-task runOnChange:true splitStatements:false
-- fail_task(run_id, step_slug, task_index, error_message) returns the task row (none for an unknown
-- task). Locks the task and its step state. On a failed run a started task is marked failed (no
-- retry); on a cancelled run nothing changes. A task that is not started, or whose step is no longer started, is left unchanged. With
-- attempts left the task is queued again, visible after floor(base_delay * 2^attempts_count) s;
-- otherwise it fails and the step follows when_exhausted: 'fail' fails the step and the run,
-- 'skip' skips the step (handler_failed) and lets its dependents run without its output,
-- 'skip-cascade' skips the step and all its dependents.
-- A subflow step's task that waits for its child run changes only when that child ends
-- (_child_ended); queued again, it forgets the child (its handler runs again and starts a new one).
CREATE OR REPLACE FUNCTION pgflow.fail_task(run_id uuid, step_slug text, task_index int, error_message text)
RETURNS SETOF pgflow.step_tasks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run_id constant uuid := fail_task.run_id;
  v_step constant text := fail_task.step_slug;
  v_idx constant int := fail_task.task_index;
  v_msg constant text := fail_task.error_message;
  v_task pgflow.step_tasks;
  v_ctx record;
BEGIN
  SELECT r.status AS run_status, ss.status AS state_status, s.when_exhausted,
         coalesce(s.opt_max_attempts, f.opt_max_attempts) AS max_attempts,
         coalesce(s.opt_base_delay, f.opt_base_delay) AS base_delay
  INTO v_ctx
  FROM pgflow.step_tasks t
  JOIN pgflow.runs r ON r.run_id = t.run_id
  JOIN pgflow.step_states ss ON ss.run_id = t.run_id AND ss.step_slug = t.step_slug
  JOIN pgflow.steps s ON s.flow_slug = t.flow_slug AND s.step_slug = t.step_slug
  JOIN pgflow.flows f ON f.flow_slug = t.flow_slug
  WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
  FOR UPDATE OF t, ss;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT t.* INTO v_task FROM pgflow.step_tasks t
  WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx;

  IF v_ctx.run_status = 'cancelled'
     OR v_task.child_run_id IS NOT NULL AND v_task.child_run_id IS DISTINCT FROM pgflow._finishing_child() THEN
    RETURN NEXT v_task; -- a late report for a cancelled run (its task is already cancelled), or one while a child runs
    RETURN;
  END IF;
  IF v_task.status = 'started' AND (v_ctx.run_status = 'failed' OR v_ctx.state_status = 'started') THEN
    INSERT INTO pgflow_internal.task_attempts (run_id, step_slug, task_index, attempt, worker_id, outcome, error_message, started_at, ended_at)
    VALUES (v_run_id, v_step, v_idx, v_task.attempts_count, v_task.last_worker_id, 'failed', v_msg, v_task.started_at,
            greatest(now(), v_task.started_at));
  END IF;
  IF v_ctx.run_status = 'failed' THEN
    IF v_task.status = 'started' THEN
      UPDATE pgflow.step_tasks t SET status = 'failed', failed_at = greatest(now(), t.started_at), error_message = v_msg,
             visible_at = 'infinity'
      WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
      RETURNING t.* INTO v_task;
    END IF;
    RETURN NEXT v_task;
    RETURN;
  END IF;
  IF v_ctx.state_status <> 'started' OR v_task.status <> 'started' THEN
    RETURN NEXT v_task;
    RETURN;
  END IF;

  IF v_task.attempts_count < v_ctx.max_attempts THEN
    UPDATE pgflow.step_tasks t
    SET status = 'queued', started_at = NULL, failed_at = NULL, error_message = v_msg, child_run_id = NULL,
        visible_at = clock_timestamp() + make_interval(secs => pgflow.calculate_retry_delay(v_ctx.base_delay, t.attempts_count))
    WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
    RETURNING t.* INTO v_task;
    RETURN NEXT v_task;
    RETURN;
  END IF;

  UPDATE pgflow.step_tasks t SET status = 'failed', failed_at = greatest(now(), t.started_at), error_message = v_msg
  WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
  RETURNING t.* INTO v_task;
  PERFORM pgflow._fail_step(v_run_id, v_task.flow_slug, v_step, v_ctx.when_exhausted, v_msg, pgflow._events_wanted(v_run_id));
  RETURN NEXT v_task;
END;
$$;

--changeset pgflow:050-require-batch-lengths runOnChange:true splitStatements:false
-- _require_batch_lengths(function, last_name, lengths): the batch functions' (complete_tasks,
-- fail_tasks) check that their four arrays have one element per task; raises naming each length.
CREATE OR REPLACE FUNCTION pgflow._require_batch_lengths(p_function text, p_last_name text, p_lengths int[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
  IF p_lengths[1] IS DISTINCT FROM p_lengths[2] OR p_lengths[1] IS DISTINCT FROM p_lengths[3]
     OR p_lengths[1] IS DISTINCT FROM p_lengths[4] THEN
    RAISE EXCEPTION '%: run_ids (%), step_slugs (%), task_indexes (%) and % (%) must have the same length',
      p_function, p_lengths[1], p_lengths[2], p_lengths[3], p_last_name, p_lengths[4];
  END IF;
END;
$$;

--changeset pgflow:050-fail-tasks runOnChange:true splitStatements:false
-- fail_tasks(run_ids, step_slugs, task_indexes, error_messages): what fail_task does for each
-- element, in one transaction and one round trip (a worker's failures of a few milliseconds go
-- together, as its completions do with complete_tasks). The tasks and their step states are locked
-- first in (run_id, step_slug, task_index) order, the order complete_tasks locks in, so that
-- concurrent batches cannot deadlock; then each element goes through fail_task in that order
-- (failures are rare and each can fail a run or skip steps: no set-based path). Returns the task
-- rows in that order; unknown tasks return nothing, as with fail_task.
CREATE OR REPLACE FUNCTION pgflow.fail_tasks(run_ids uuid[], step_slugs text[], task_indexes int[], error_messages text[])
RETURNS SETOF pgflow.step_tasks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_item record;
BEGIN
  PERFORM pgflow._require_batch_lengths('fail_tasks', 'error_messages',
    ARRAY[cardinality(run_ids), cardinality(step_slugs), cardinality(task_indexes), cardinality(error_messages)]);

  PERFORM 1
  FROM unnest(fail_tasks.run_ids, fail_tasks.step_slugs, fail_tasks.task_indexes) AS u(r, s, i)
  JOIN pgflow.step_tasks t ON t.run_id = u.r AND t.step_slug = u.s AND t.task_index = u.i
  JOIN pgflow.step_states ss ON ss.run_id = t.run_id AND ss.step_slug = t.step_slug
  ORDER BY u.r, u.s, u.i
  FOR UPDATE OF t, ss;

  FOR v_item IN
    SELECT u.r, u.s, u.i, u.e FROM unnest(run_ids, step_slugs, task_indexes, error_messages) AS u(r, s, i, e) ORDER BY 1, 2, 3
  LOOP
    RETURN QUERY SELECT * FROM pgflow.fail_task(v_item.r, v_item.s, v_item.i, v_item.e);
  END LOOP;
END;
$$;

--changeset pgflow:050-complete-task runOnChange:true splitStatements:false
-- complete_task(run_id, step_slug, task_index, output) returns the task row (none for an unknown
-- task). Locks the task and its step state (not the run: map siblings of one step serialise on
-- the step state only). Changes nothing when the run failed or was cancelled, the task is not started, or the step
-- is no longer started (late or replayed calls). A single step whose map child still waits for
-- its task count must produce an array, else TYPE_VIOLATION fails task, step and run; an array
-- longer than pgflow.max_map_width (_max_map_width) fails them likewise with MAP_WIDTH. Otherwise
-- the task completes; the last task completes the step (output = the task output, or for a map
-- the array of task outputs by task_index), releases its children (a dependent map learns its
-- task count), and advances the run: conditions, taskless steps, new tasks, run completion.
-- A subflow or map_subflow step's task is different: its output is the input of a child run of
-- the step's subflow, started now (_start_child); the task stays started until the child ends
-- (_child_ended completes it with the child's output, through this function). A report for a task
-- that waits for its child changes nothing.
CREATE OR REPLACE FUNCTION pgflow.complete_task(run_id uuid, step_slug text, task_index int, output jsonb)
RETURNS SETOF pgflow.step_tasks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run_id constant uuid := complete_task.run_id;
  v_step constant text := complete_task.step_slug;
  v_idx constant int := complete_task.task_index;
  v_output constant jsonb := complete_task.output;
  v_task pgflow.step_tasks;
  v_ctx record;
  v_map_child text;
  v_remaining int;
  v_events boolean;
  v_output_length int;
BEGIN
  SELECT t.status AS task_status, t.flow_slug, r.status AS run_status, ss.status AS state_status,
         ss.initial_tasks, s.step_type, t.child_run_id
  INTO v_ctx
  FROM pgflow.step_tasks t
  JOIN pgflow.runs r ON r.run_id = t.run_id
  JOIN pgflow.step_states ss ON ss.run_id = t.run_id AND ss.step_slug = t.step_slug
  JOIN pgflow.steps s ON s.flow_slug = t.flow_slug AND s.step_slug = t.step_slug
  WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
  FOR UPDATE OF t, ss;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  IF v_ctx.run_status IN ('failed', 'cancelled') OR v_ctx.task_status <> 'started' OR v_ctx.state_status <> 'started' THEN
    RETURN QUERY SELECT t.* FROM pgflow.step_tasks t
                 WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx;
    RETURN;
  END IF;

  IF v_ctx.step_type IN ('subflow', 'map_subflow')
     AND (v_ctx.child_run_id IS NULL OR v_ctx.child_run_id IS DISTINCT FROM pgflow._finishing_child()) THEN
    IF v_ctx.child_run_id IS NULL THEN
      PERFORM pgflow._start_child(v_run_id, v_ctx.flow_slug, v_step, v_idx, v_output, pgflow._events_wanted(v_run_id));
    END IF;
    RETURN QUERY SELECT t.* FROM pgflow.step_tasks t
                 WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx;
    RETURN;
  END IF;

  IF v_ctx.step_type IN ('single', 'subflow') AND (v_output IS NULL OR jsonb_typeof(v_output) <> 'array'
                                     OR CASE WHEN jsonb_typeof(v_output) = 'array'
                                             THEN jsonb_array_length(v_output) > pgflow._max_map_width() ELSE false END) THEN
    SELECT d.step_slug INTO v_map_child
    FROM pgflow.deps d
    JOIN pgflow.steps c ON c.flow_slug = d.flow_slug AND c.step_slug = d.step_slug
    JOIN pgflow.step_states cs ON cs.run_id = v_run_id AND cs.step_slug = d.step_slug
    WHERE d.flow_slug = v_ctx.flow_slug AND d.dep_slug = v_step AND c.step_type IN ('map', 'map_subflow') AND cs.initial_tasks IS NULL
    ORDER BY c.step_index LIMIT 1;
    IF FOUND THEN
      IF jsonb_typeof(v_output) = 'array' THEN
        -- an array too long for the map (pgflow.max_map_width): refused before a task row is made;
        -- the output is not kept (it may be huge), its length is in the message
        UPDATE pgflow.step_tasks t
        SET status = 'failed', failed_at = greatest(now(), t.started_at),
            error_message = format('[MAP_WIDTH] Produced an array of %s elements; map step %s takes at most %s (pgflow.max_map_width)',
                                   jsonb_array_length(v_output), v_map_child, pgflow._max_map_width())
        WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
        RETURNING t.* INTO v_task;
        UPDATE pgflow.step_states ss
        SET status = 'failed', failed_at = now(),
            error_message = format('[MAP_WIDTH] Map step %s would get %s tasks from dependency %s, over the limit of %s'
                                   ' (pgflow.max_map_width: split the work, or ALTER DATABASE <database> SET pgflow.max_map_width = <elements>)',
                                   v_map_child, jsonb_array_length(v_output), v_step, pgflow._max_map_width())
        WHERE ss.run_id = v_run_id AND ss.step_slug = v_step;
      ELSE
        UPDATE pgflow.step_tasks t
        SET status = 'failed', failed_at = greatest(now(), t.started_at), output = v_output,
            error_message = format('[TYPE_VIOLATION] Produced %s instead of array', coalesce(jsonb_typeof(v_output), 'null'))
        WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
        RETURNING t.* INTO v_task;
        UPDATE pgflow.step_states ss
        SET status = 'failed', failed_at = now(),
            error_message = format('[TYPE_VIOLATION] Map step %s expects array input but dependency %s produced %s',
                                   v_map_child, v_step, coalesce(jsonb_typeof(v_output), 'null'))
        WHERE ss.run_id = v_run_id AND ss.step_slug = v_step;
      END IF;
      v_events := pgflow._events_wanted(v_run_id);
      IF v_events THEN
        PERFORM pgflow._emit_step(v_run_id, v_ctx.flow_slug, v_step, 'failed');
      END IF;
      PERFORM pgflow._fail_run(v_run_id, v_events);
      RETURN NEXT v_task;
      RETURN;
    END IF;
  END IF;

  UPDATE pgflow.step_tasks t SET status = 'completed', completed_at = greatest(now(), t.started_at), output = v_output
  WHERE t.run_id = v_run_id AND t.step_slug = v_step AND t.task_index = v_idx
  RETURNING t.* INTO v_task;

  UPDATE pgflow.step_states ss
  SET remaining_tasks = ss.remaining_tasks - 1,
      status = CASE WHEN ss.remaining_tasks = 1 THEN 'completed' ELSE ss.status END,
      completed_at = CASE WHEN ss.remaining_tasks = 1 THEN now() END,
      output = CASE WHEN ss.remaining_tasks > 1 THEN NULL
                    WHEN v_ctx.step_type IN ('map', 'map_subflow') THEN (SELECT jsonb_agg(t.output ORDER BY t.task_index)
                                                       FROM pgflow.step_tasks t
                                                       WHERE t.run_id = v_run_id AND t.step_slug = v_step)
                    ELSE v_output END
  WHERE ss.run_id = v_run_id AND ss.step_slug = v_step
  RETURNING ss.remaining_tasks INTO v_remaining;

  IF v_remaining = 0 THEN
    -- computed here, not inside the UPDATE's CASE: the planner folds functions of constants early
    IF jsonb_typeof(v_output) = 'array' THEN
      v_output_length := jsonb_array_length(v_output);
    END IF;
    PERFORM pgflow._finish_step(v_run_id, v_ctx.flow_slug, v_step,
                                CASE WHEN v_ctx.step_type IN ('map', 'map_subflow') THEN v_ctx.initial_tasks ELSE v_output_length END,
                                pgflow._events_wanted(v_run_id));
  END IF;
  RETURN NEXT v_task;
END;
$$;

--changeset pgflow:050-complete-tasks runOnChange:true splitStatements:false
-- complete_tasks(run_ids, step_slugs, task_indexes, outputs): what complete_task does for each
-- element, in one transaction and one round trip, with the tasks and step states locked in
-- (run_id, step_slug, task_index) order so that concurrent batches lock in the same order. Returns
-- the task rows in that order. Set-based (one UPDATE of the tasks, one of the step states, one
-- that releases the children and starts those now ready, one that counts the runs' steps and
-- completes the finished runs, one wake-up per flow: each row written once, 114) when nothing in
-- the batch needs complete_task's special cases; element by element through
-- complete_task when one does: a task given twice, a live subscription to one of the runs' events,
-- a step that feeds a map (its task count and TYPE_VIOLATION), a flow with conditions on dependent
-- steps (a condition may fail the run between two elements) or with signal steps (a signal that
-- came early completes its step when it starts waiting). The results are the same either way.
-- A subflow step's tasks are set apart first: those without a child start theirs together
-- (_start_children: one start_flows per child flow), the others' reports change nothing.
CREATE OR REPLACE FUNCTION pgflow.complete_tasks(run_ids uuid[], step_slugs text[], task_indexes int[], outputs jsonb[])
RETURNS SETOF pgflow.step_tasks
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_item record;
  v_r uuid[];
  v_s text[];
  v_i int[];
  v_o jsonb[];
  v_live boolean[];
  v_fast boolean;
  v_done_runs uuid[];
  v_done_steps text[];
  v_done_flows text[];
  v_flow text;
  v_wake text[];
  v_children uuid[];
  v_sub boolean[];
  v_start boolean[];
BEGIN
  PERFORM pgflow._require_batch_lengths('complete_tasks', 'outputs',
    ARRAY[cardinality(run_ids), cardinality(step_slugs), cardinality(task_indexes), cardinality(outputs)]);

  -- every task and its step state locked in key order, with what complete_task would look at
  SELECT array_agg(x.r ORDER BY x.r, x.s, x.i), array_agg(x.s ORDER BY x.r, x.s, x.i), array_agg(x.i ORDER BY x.r, x.s, x.i),
         array_agg(x.o ORDER BY x.r, x.s, x.i), array_agg(x.live AND NOT x.sub ORDER BY x.r, x.s, x.i),
         array_agg(x.sub ORDER BY x.r, x.s, x.i), array_agg(x.live AND x.sub AND x.child IS NULL ORDER BY x.r, x.s, x.i),
         count(*) = count(DISTINCT (x.r, x.s, x.i))
         AND NOT coalesce(bool_or(x.live AND NOT x.sub AND (x.feeds_map OR x.conditional_flow)), false)
         AND NOT EXISTS (SELECT 1 FROM pgflow_internal.event_subscriptions es
                         WHERE es.expires_at > clock_timestamp() AND (es.run_id IS NULL OR es.run_id = ANY (complete_tasks.run_ids)))
  INTO v_r, v_s, v_i, v_o, v_live, v_sub, v_start, v_fast
  FROM (
    SELECT u.r, u.s, u.i, u.o,
           t.status = 'started' AND ss.status = 'started' AND r.status NOT IN ('failed', 'cancelled') AS live,
           EXISTS (SELECT 1 FROM pgflow.steps c WHERE c.flow_slug = t.flow_slug AND c.step_slug = t.step_slug
                     AND c.step_type IN ('subflow', 'map_subflow')) AS sub, t.child_run_id AS child,
           EXISTS (SELECT 1 FROM pgflow.deps d JOIN pgflow.steps c ON c.flow_slug = d.flow_slug AND c.step_slug = d.step_slug
                   WHERE d.flow_slug = t.flow_slug AND d.dep_slug = t.step_slug AND c.step_type IN ('map', 'map_subflow')) AS feeds_map,
           EXISTS (SELECT 1 FROM pgflow.steps c WHERE c.flow_slug = t.flow_slug
                     AND (c.deps_count > 0 AND (c.required_input_pattern IS NOT NULL OR c.forbidden_input_pattern IS NOT NULL)
                          OR c.step_type = 'signal')) AS conditional_flow
    FROM unnest(complete_tasks.run_ids, complete_tasks.step_slugs, complete_tasks.task_indexes, complete_tasks.outputs) AS u(r, s, i, o)
    JOIN pgflow.step_tasks t ON t.run_id = u.r AND t.step_slug = u.s AND t.task_index = u.i
    JOIN pgflow.runs r ON r.run_id = t.run_id
    JOIN pgflow.step_states ss ON ss.run_id = t.run_id AND ss.step_slug = t.step_slug
    ORDER BY u.r, u.s, u.i
    FOR UPDATE OF t, ss
  ) x;

  IF true = ANY (v_start) THEN
    PERFORM pgflow._start_children(
      ARRAY(SELECT x.r FROM unnest(v_r, v_start) WITH ORDINALITY AS x(r, st, n) WHERE x.st ORDER BY x.n),
      ARRAY(SELECT x.s FROM unnest(v_s, v_start) WITH ORDINALITY AS x(s, st, n) WHERE x.st ORDER BY x.n),
      ARRAY(SELECT x.i FROM unnest(v_i, v_start) WITH ORDINALITY AS x(i, st, n) WHERE x.st ORDER BY x.n),
      ARRAY(SELECT x.o FROM unnest(v_o, v_start) WITH ORDINALITY AS x(o, st, n) WHERE x.st ORDER BY x.n));
  END IF;

  IF NOT coalesce(v_fast, true) THEN
    FOR v_item IN
      SELECT u.r, u.s, u.i, u.o, u.sub FROM unnest(v_r, v_s, v_i, v_o, v_sub) AS u(r, s, i, o, sub) ORDER BY 1, 2, 3
    LOOP
      IF v_item.sub THEN -- started above, or a report that changes nothing
        RETURN QUERY SELECT t.* FROM pgflow.step_tasks t
                     WHERE t.run_id = v_item.r AND t.step_slug = v_item.s AND t.task_index = v_item.i;
      ELSE
        RETURN QUERY SELECT * FROM pgflow.complete_task(v_item.r, v_item.s, v_item.i, v_item.o);
      END IF;
    END LOOP;
    RETURN;
  END IF;

  IF true = ANY (v_live) THEN
    UPDATE pgflow.step_tasks t SET status = 'completed', completed_at = greatest(now(), t.started_at), output = x.o
    FROM unnest(v_r, v_s, v_i, v_o, v_live) AS x(r, s, i, o, live)
    WHERE x.live AND t.run_id = x.r AND t.step_slug = x.s AND t.task_index = x.i;

    -- each step state loses as many remaining tasks as this batch completed of it
    WITH per_step AS (
      SELECT x.r AS run_id, x.s AS step_slug, count(*)::int AS n, (array_agg(x.o))[1] AS output
      FROM unnest(v_r, v_s, v_o, v_live) AS x(r, s, o, live)
      WHERE x.live
      GROUP BY x.r, x.s
    ), updated AS (
      UPDATE pgflow.step_states ss
      SET remaining_tasks = ss.remaining_tasks - p.n,
          status = CASE WHEN ss.remaining_tasks = p.n THEN 'completed' ELSE ss.status END,
          completed_at = CASE WHEN ss.remaining_tasks = p.n THEN now() END,
          output = CASE WHEN ss.remaining_tasks > p.n THEN NULL
                        WHEN st.step_type IN ('map', 'map_subflow') THEN (SELECT jsonb_agg(t.output ORDER BY t.task_index)
                                                        FROM pgflow.step_tasks t
                                                        WHERE t.run_id = ss.run_id AND t.step_slug = ss.step_slug)
                        ELSE p.output END
      FROM per_step p, pgflow.steps st
      WHERE ss.run_id = p.run_id AND ss.step_slug = p.step_slug AND st.flow_slug = ss.flow_slug AND st.step_slug = ss.step_slug
      RETURNING ss.run_id, ss.step_slug, ss.flow_slug, ss.remaining_tasks = 0 AS done
    )
    SELECT array_agg(u.run_id) FILTER (WHERE u.done), array_agg(u.step_slug) FILTER (WHERE u.done),
           array_agg(u.flow_slug) FILTER (WHERE u.done)
    INTO v_done_runs, v_done_steps, v_done_flows
    FROM updated u;
  END IF;

  IF v_done_runs IS NOT NULL THEN
    -- children of the completed steps: one remaining dependency fewer per completed parent, and
    -- those left with none start in the same UPDATE, with their tasks; then the runs: one remaining
    -- step fewer per completed step, those with none left complete in that UPDATE. One write per row:
    -- a second UPDATE of a row this transaction wrote repeats its foreign key checks.
    SELECT array_agg(DISTINCT st.flow_slug) FILTER (WHERE st.visible_now) INTO v_wake
    FROM pgflow._release_and_start_children(v_done_runs, v_done_steps, v_done_flows) st;
    SELECT array_agg(c.run_id) FILTER (WHERE c.parent_run_id IS NOT NULL) INTO v_children
    FROM pgflow._count_down_and_complete_runs(v_done_runs) c;
    IF v_children IS NOT NULL THEN
      PERFORM pgflow._children_completed(v_children); -- child runs: their parent tasks complete
    END IF;

    IF v_wake IS NOT NULL THEN
      FOREACH v_flow IN ARRAY v_wake LOOP
        PERFORM pgflow._notify_tasks(v_flow);
      END LOOP;
    END IF;
  END IF;

  RETURN QUERY
  SELECT t.* FROM unnest(v_r, v_s, v_i) WITH ORDINALITY AS x(r, s, i, ord)
  JOIN pgflow.step_tasks t ON t.run_id = x.r AND t.step_slug = x.s AND t.task_index = x.i
  ORDER BY x.ord;
END;
$$;

--changeset pgflow:050-claim-tasks runOnChange:true splitStatements:false
-- claim_tasks(flow_slug, worker_id, max_tasks) claims up to max_tasks claimable tasks of the flow
-- and returns one step_task_record per task it really started: input (object of completed
-- dependency outputs for single steps, {} for roots; the element for map tasks), flow_input (the
-- run input), attempts_count after this claim, timeout_seconds (step, else flow timeout).
-- Claimable: queued with visible_at <= now (start delay and retry backoff elapsed), or started with
-- an expired lease (the worker died or hung), FOR UPDATE SKIP LOCKED. Order: expired leases first;
-- then half of the claim (rounded at random when odd) oldest visible_at first, the other half by
-- (task_index, visible_at): the first task of a run started after a wide map is claimed within a
-- claim or two instead of after the whole map, and the map still progresses however many new runs
-- arrive (its oldest tasks win the first half).
-- Priority (start_flow's priority, set_run_priority): higher first in both halves. A flow whose
-- runs have concurrency keys is claimed key by key instead (_claim_by_key: the keys take turns,
-- set_key_concurrency limits each, rate_per_key buckets), after the expired leases.
-- A rate limit (set_rate_limit) caps the claim at the tokens of the flow's bucket (locked FOR
-- UPDATE: claims of that flow serialise) and spends one per task claimed.
-- A paused flow (pause_flow) claims nothing. With a concurrency limit (set_flow_concurrency) the
-- claim locks the flow row (FOR NO KEY UPDATE: claims of that flow serialise, other flows and
-- completions do not wait) and claims at most max_running minus the tasks started with an
-- unexpired lease, so the limit holds across all workers and servers.
-- A claim sets started_at, last_worker_id, attempts_count + 1 and the lease
-- visible_at = now + timeout + 5 s grace. An expired lease on the last allowed attempt is not
-- returned: the claim fails that task as timed out (when_exhausted applies). The worker must be
-- registered (register_worker). Records whether the worker is idle (got fewer tasks than asked).
-- Rows come back in claim order (oldest visible_at first).
CREATE OR REPLACE FUNCTION pgflow.claim_tasks(flow_slug text, worker_id uuid, max_tasks int DEFAULT 10)
RETURNS SETOF pgflow.step_task_record
LANGUAGE plpgsql VOLATILE
-- one plan for every claim: custom plans (chosen per call for the first calls of each connection,
-- and whenever the planner's estimate favours them) were planned anew on every claim, which cost
-- more than executing it (3.3-4.9 ms against 1.2-2.4 ms per claim of 3 with 0-5,000 runs queued);
-- the generic plan reads the partial queue indexes at every backlog (docs/performance.md)
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_flow constant text := claim_tasks.flow_slug;
  v_worker constant uuid := claim_tasks.worker_id;
  v_asked constant int := greatest(coalesce(claim_tasks.max_tasks, 10), 0);
  v_max int := v_asked;
  v_oldest int;
  v_lease_grace constant int := 5;
  v_worker_row record;
  v_flow_row record;
  v_running int;
  v_expired record;
  v_claimed int;
  v_keyed boolean := false;
  v_bucket record;
  v_tokens numeric;
  v_refilled_at timestamptz;
  v_kr uuid[];
  v_ks text[];
  v_ki int[];
  v_kv timestamptz[];
  -- the time the claim compares visible_at with: a variable, not clock_timestamp() in the statements
  -- (a volatile function cannot bound an index scan: the scans of idx_step_tasks_started and
  -- idx_step_tasks_queued read every entry of the flow, dead ones of finished tasks included, and
  -- filtered them; with a variable they read only the entries due)
  v_now timestamptz := clock_timestamp();
BEGIN
  SELECT w.idle, w.stopped_at INTO v_worker_row FROM pgflow.workers w WHERE w.worker_id = v_worker;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING
      ERRCODE = 'foreign_key_violation',
      MESSAGE = format('Worker %s is not registered: call pgflow.register_worker(%L, %L, <function name>) before claim_tasks',
                       v_worker, v_worker, v_flow);
  END IF;
  IF v_worker_row.stopped_at IS NOT NULL THEN
    RAISE EXCEPTION 'Worker % was marked stopped at %: register it again before claiming tasks', v_worker, v_worker_row.stopped_at;
  END IF;

  SELECT f.paused_at, f.max_running, f.max_running_per_key, f.rate_per_second, f.rate_burst, f.rate_per_key
  INTO v_flow_row FROM pgflow.flows f WHERE f.flow_slug = v_flow;
  IF NOT FOUND OR v_flow_row.paused_at IS NOT NULL THEN
    v_max := 0;
  END IF;

  FOR v_expired IN
    SELECT t.run_id, t.step_slug, t.task_index, t.attempts_count, coalesce(s.opt_timeout, f.opt_timeout) AS timeout
    FROM pgflow.step_tasks t
    JOIN pgflow.steps s ON s.flow_slug = t.flow_slug AND s.step_slug = t.step_slug
    JOIN pgflow.flows f ON f.flow_slug = t.flow_slug
    WHERE t.flow_slug = v_flow AND t.status = 'started' AND t.visible_at <= v_now
      AND t.attempts_count >= coalesce(s.opt_max_attempts, f.opt_max_attempts)
    FOR UPDATE OF t SKIP LOCKED
  LOOP
    PERFORM pgflow.fail_task(v_expired.run_id, v_expired.step_slug, v_expired.task_index,
      format('Task timed out: no result within its %s s timeout (lease expired on attempt %s)',
             v_expired.timeout, v_expired.attempts_count));
    UPDATE pgflow.step_tasks t SET permanently_stalled_at = now()
    WHERE t.run_id = v_expired.run_id AND t.step_slug = v_expired.step_slug AND t.task_index = v_expired.task_index
      AND t.status = 'failed';
  END LOOP;

  IF v_max > 0 AND v_flow_row.max_running IS NOT NULL THEN
    -- serialise the claims of this flow, then count what runs now (commits before the lock are seen)
    SELECT f.max_running INTO v_flow_row.max_running FROM pgflow.flows f WHERE f.flow_slug = v_flow FOR NO KEY UPDATE;
    IF v_flow_row.max_running IS NOT NULL THEN
      v_now := clock_timestamp();
      SELECT count(*) INTO v_running FROM pgflow.step_tasks t
      WHERE t.flow_slug = v_flow AND t.status = 'started' AND t.visible_at > v_now AND t.child_run_id IS NULL;
      v_max := least(v_max, greatest(v_flow_row.max_running - v_running, 0));
    END IF;
  END IF;

  IF v_max > 0 AND v_flow_row.rate_per_second IS NOT NULL AND NOT v_flow_row.rate_per_key THEN
    -- the flow's bucket: claims of the flow serialise on it; it refills while locked
    SELECT b.tokens, b.refilled_at INTO v_bucket FROM pgflow_internal.rate_buckets b WHERE b.flow_slug = v_flow FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO pgflow_internal.rate_buckets (flow_slug, tokens, refilled_at)
      VALUES (v_flow, v_flow_row.rate_burst, clock_timestamp()) ON CONFLICT DO NOTHING;
      SELECT b.tokens, b.refilled_at INTO v_bucket FROM pgflow_internal.rate_buckets b WHERE b.flow_slug = v_flow FOR UPDATE;
    END IF;
    v_refilled_at := clock_timestamp();
    v_tokens := least(v_flow_row.rate_burst,
                      v_bucket.tokens + v_flow_row.rate_per_second * extract(epoch FROM v_refilled_at - v_bucket.refilled_at));
    v_max := least(v_max, floor(v_tokens)::int);
  END IF;

  IF v_max > 0 THEN
    v_now := clock_timestamp(); -- after the expired leases were failed and the flow's claim lock was taken
    v_oldest := (v_max + (random() < 0.5)::int) / 2;
    v_keyed := EXISTS (SELECT 1 FROM pgflow_internal.concurrency_keys k WHERE k.flow_slug = v_flow);
    IF v_keyed THEN
      SELECT coalesce(array_agg(k.run_id), '{}'), coalesce(array_agg(k.step_slug), '{}'), coalesce(array_agg(k.task_index), '{}'),
             coalesce(array_agg(k.visible_at), '{}')
      INTO v_kr, v_ks, v_ki, v_kv
      FROM pgflow._claim_by_key(v_flow, v_max, v_now, v_flow_row.max_running_per_key, v_flow_row.rate_per_second,
                                v_flow_row.rate_burst, v_flow_row.rate_per_key) k;
    END IF;
    RETURN QUERY
    WITH expired AS (
      SELECT t.run_id, t.step_slug, t.task_index, t.visible_at, 0 AS rank
      FROM pgflow.step_tasks t
      WHERE t.flow_slug = v_flow AND t.status = 'started' AND t.visible_at <= v_now
      ORDER BY t.visible_at
      LIMIT v_max
      FOR UPDATE SKIP LOCKED
    ), oldest AS (
      SELECT t.run_id, t.step_slug, t.task_index, t.visible_at, 1 AS rank
      FROM pgflow.step_tasks t
      WHERE NOT v_keyed AND t.flow_slug = v_flow AND t.concurrency_key = '' AND t.status = 'queued' AND t.visible_at <= v_now
      ORDER BY t.priority DESC, t.visible_at
      LIMIT v_oldest
      FOR UPDATE SKIP LOCKED
    ), fair AS (
      SELECT t.run_id, t.step_slug, t.task_index, t.visible_at, 2 AS rank
      FROM pgflow.step_tasks t
      WHERE NOT v_keyed AND t.flow_slug = v_flow AND t.status = 'queued' AND t.visible_at <= v_now AND t.concurrency_key = ''
        AND NOT EXISTS (SELECT 1 FROM oldest o
                        WHERE o.run_id = t.run_id AND o.step_slug = t.step_slug AND o.task_index = t.task_index)
      ORDER BY t.priority DESC, t.task_index, t.visible_at
      LIMIT v_max - v_oldest
      FOR UPDATE SKIP LOCKED
    ), keyed AS (
      SELECT k.run_id, k.step_slug, k.task_index, k.visible_at, 1 AS rank
      FROM unnest(v_kr, v_ks, v_ki, v_kv) AS k(run_id, step_slug, task_index, visible_at)
      WHERE v_keyed
    ), picked AS (
      SELECT c.run_id, c.step_slug, c.task_index, c.visible_at
      FROM (SELECT * FROM expired UNION ALL SELECT * FROM oldest UNION ALL SELECT * FROM fair UNION ALL SELECT * FROM keyed) c
      ORDER BY c.rank, c.task_index, c.visible_at
      LIMIT v_max
    ), claimed AS (
      UPDATE pgflow.step_tasks t
      -- greatest(): this transaction can have begun before the one that queued the task committed
      -- (each statement of a READ COMMITTED function sees newer commits than its now())
      SET status = 'started', attempts_count = t.attempts_count + 1, started_at = greatest(now(), t.queued_at),
          last_worker_id = v_worker,
          requeued_count = t.requeued_count + CASE WHEN t.status = 'started' THEN 1 ELSE 0 END,
          last_requeued_at = CASE WHEN t.status = 'started' THEN greatest(now(), t.queued_at) ELSE t.last_requeued_at END,
          visible_at = clock_timestamp() + make_interval(secs => coalesce(s.opt_timeout, f.opt_timeout) + v_lease_grace)
      FROM picked p, pgflow.steps s, pgflow.flows f
      WHERE t.run_id = p.run_id AND t.step_slug = p.step_slug AND t.task_index = p.task_index
        AND s.flow_slug = t.flow_slug AND s.step_slug = t.step_slug AND f.flow_slug = t.flow_slug
      RETURNING t.flow_slug, t.run_id, t.step_slug, t.task_index, t.attempts_count,
                coalesce(s.opt_timeout, f.opt_timeout) AS timeout_seconds, s.step_type, s.deps_count,
                p.visible_at AS was_visible_at
    ), lost AS (
      -- an expired lease handed to another worker: the attempt that ended without a result (every
      -- CTE reads the rows as they were before this statement, so t is the old attempt)
      INSERT INTO pgflow_internal.task_attempts (run_id, step_slug, task_index, attempt, worker_id, outcome, error_message, started_at,
                                        ended_at)
      SELECT t.run_id, t.step_slug, t.task_index, t.attempts_count, t.last_worker_id, 'lease expired',
             format('No result before the lease expired at %s (worker stopped or hung)', t.visible_at), t.started_at,
             greatest(t.visible_at, t.started_at)
      FROM expired e
      JOIN pgflow.step_tasks t ON t.run_id = e.run_id AND t.step_slug = e.step_slug AND t.task_index = e.task_index
      WHERE EXISTS (SELECT 1 FROM picked p WHERE p.run_id = e.run_id AND p.step_slug = e.step_slug AND p.task_index = e.task_index)
    )
    SELECT c.flow_slug, c.run_id, c.step_slug, c.task_index,
           CASE WHEN c.step_type IN ('map', 'map_subflow') AND c.deps_count = 0 THEN r.input -> c.task_index
                WHEN c.step_type IN ('map', 'map_subflow') THEN
                  (SELECT ds.output -> c.task_index
                   FROM pgflow.deps d
                   JOIN pgflow.step_states ds ON ds.run_id = c.run_id AND ds.step_slug = d.dep_slug
                   WHERE d.flow_slug = c.flow_slug AND d.step_slug = c.step_slug)
                WHEN c.deps_count = 0 THEN '{}'::jsonb
                ELSE coalesce((SELECT jsonb_object_agg(d.dep_slug, ds.output)
                               FROM pgflow.deps d
                               JOIN pgflow.step_states ds ON ds.run_id = c.run_id AND ds.step_slug = d.dep_slug
                               WHERE d.flow_slug = c.flow_slug AND d.step_slug = c.step_slug
                                 AND ds.status = 'completed'), '{}'::jsonb)
           END,
           r.input, c.attempts_count, c.timeout_seconds
    FROM claimed c
    JOIN pgflow.runs r ON r.run_id = c.run_id
    ORDER BY c.was_visible_at, c.task_index;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
  ELSE
    v_claimed := 0;
  END IF;

  IF v_tokens IS NOT NULL THEN
    UPDATE pgflow_internal.rate_buckets b SET tokens = v_tokens - v_claimed, refilled_at = v_refilled_at WHERE b.flow_slug = v_flow;
  END IF;

  IF (v_claimed < v_asked) IS DISTINCT FROM v_worker_row.idle THEN
    UPDATE pgflow.workers w SET idle = (v_claimed < v_asked) WHERE w.worker_id = v_worker;
  END IF;
END;
$$;

--changeset pgflow:050-complete-tasks-and-claim runOnChange:true splitStatements:false
-- complete_tasks_and_claim(worker_id, max_tasks, run_ids, step_slugs, task_indexes, outputs):
-- complete_tasks for the batch, then claim_tasks(<the worker's flow>, worker_id, max_tasks), in
-- one transaction; returns the claimed tasks (claim_tasks' rows). A busy worker reports and takes
-- its next tasks in one call and one commit: the steps its completions made ready are claimed in
-- the transaction that queued them (no NOTIFY, no wake-up, no second claim), which takes a run's
-- hand-over from one step to the next from milliseconds to nothing. The wake-up for other workers
-- of the flow (NOTIFY pgflow_tasks, to idle ones) is sent only when the claim took as many tasks as
-- it asked for (tasks may be left); the wake-ups of other flows as complete_tasks sends them.
-- A worker marked stopped completes and claims nothing (a draining server reports what its
-- handlers returned); max_tasks 0 or null: completes only. An unknown worker is an error, and
-- nothing is completed.
CREATE OR REPLACE FUNCTION pgflow.complete_tasks_and_claim(worker_id uuid, max_tasks int, run_ids uuid[], step_slugs text[],
                                                           task_indexes int[], outputs jsonb[])
RETURNS SETOF pgflow.step_task_record
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_worker record;
  v_max constant int := greatest(coalesce(complete_tasks_and_claim.max_tasks, 0), 0);
  v_claiming boolean;
  v_claimed int := 0;
  v_deferred text;
  v_flow text;
BEGIN
  SELECT w.queue_name, w.stopped_at INTO v_worker FROM pgflow.workers w WHERE w.worker_id = complete_tasks_and_claim.worker_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING
      ERRCODE = 'foreign_key_violation',
      MESSAGE = format('Worker %s is not registered: call pgflow.register_worker(%L, <flow slug>, <function name>)'
                       ' before complete_tasks_and_claim', complete_tasks_and_claim.worker_id, complete_tasks_and_claim.worker_id);
  END IF;
  v_claiming := v_max > 0 AND v_worker.stopped_at IS NULL;

  PERFORM set_config('pgflow.wake_deferral', '|', true);
  PERFORM count(*) FROM pgflow.complete_tasks(run_ids, step_slugs, task_indexes, outputs);
  IF v_claiming THEN
    RETURN QUERY SELECT * FROM pgflow.claim_tasks(v_worker.queue_name, complete_tasks_and_claim.worker_id, v_max);
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
  END IF;
  v_deferred := current_setting('pgflow.wake_deferral', true);
  PERFORM set_config('pgflow.wake_deferral', '', true);

  FOR v_flow IN SELECT f FROM unnest(string_to_array(v_deferred, '|')) AS f WHERE f <> '' LOOP
    IF v_flow <> v_worker.queue_name OR NOT v_claiming OR v_claimed = v_max THEN
      PERFORM pgflow._notify_tasks(v_flow);
    END IF;
  END LOOP;
END;
$$;
