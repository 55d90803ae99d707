--liquibase formatted sql

--changeset pgflow:070-raise-unknown runOnChange:true splitStatements:false
-- _raise_unknown_run(run_id) / _raise_unknown_flow(flow_slug): the no_data_found (P0002) errors
-- of the operator functions, worded once.
CREATE OR REPLACE FUNCTION pgflow._raise_unknown_run(p_run_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'no_data_found',
    MESSAGE = format('Run %s does not exist', p_run_id),
    HINT = 'SELECT run_id, flow_slug, status FROM pgflow.runs ORDER BY started_at DESC lists the runs (pruned runs are gone).';
END;
$$;
CREATE OR REPLACE FUNCTION pgflow._raise_unknown_flow(p_flow_slug text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'no_data_found',
    MESSAGE = format('Flow "%s" does not exist', p_flow_slug),
    HINT = 'SELECT flow_slug FROM pgflow.flows lists the known flows.';
END;
$$;

--changeset pgflow:070-lock-run-tree runOnChange:true splitStatements:false
-- _lock_run_tree(run_id) locks every task of the run (in key order), then its step states (in step
-- order), then the run, and returns the run. complete_task and fail_task lock a task, then step
-- states, then the run: taking the same order makes an operator call wait for a report in flight
-- instead of deadlocking with it. Raises no_data_found for an unknown run.
CREATE OR REPLACE FUNCTION pgflow._lock_run_tree(p_run_id uuid)
RETURNS pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run pgflow.runs;
BEGIN
  PERFORM 1 FROM pgflow.step_tasks t WHERE t.run_id = p_run_id ORDER BY t.step_slug, t.task_index FOR UPDATE;
  PERFORM 1 FROM pgflow.step_states ss
  JOIN pgflow.steps s ON s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
  WHERE ss.run_id = p_run_id ORDER BY s.step_index FOR UPDATE OF ss;
  SELECT r.* INTO v_run FROM pgflow.runs r WHERE r.run_id = p_run_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_run(p_run_id);
  END IF;
  RETURN v_run;
END;
$$;

--changeset pgflow:070-cancel-run runOnChange:true splitStatements:false
-- cancel_run(run_id, reason) returns the run. Locks the run's tasks, step states and run
-- (_lock_run_tree). A started run becomes cancelled (cancelled_at, cancel_reason): its queued and
-- started tasks and its created and started step states become cancelled (cancelled_at), tasks
-- with visible_at = infinity, so nothing of the run is claimed again; completed steps and tasks
-- keep their outputs; remaining_steps keeps the number of steps that had not finished. Late
-- complete_task / fail_task calls for the run change nothing; workers see the cancelled task and
-- cancel its handler. Emits step:cancelled per step and run:cancelled (when subscribed).
-- A cancelled run is returned unchanged. Errors: unknown run (no_data_found), completed or failed
-- run (object_not_in_prerequisite_state, naming the run and its status).
-- Families: every started descendant (children of its subflow steps, their children...) is
-- cancelled in the same transaction, with cancel_reason 'cancelled with run <id>[: reason]'; a
-- child run cancelled this way by itself fails the parent task that waits for it (_child_ended:
-- with attempts left its handler runs again and starts a new child). Descendants are locked
-- before the run (children before parents, as a child's end locks them).
CREATE OR REPLACE FUNCTION pgflow.cancel_run(run_id uuid, reason text DEFAULT NULL)
RETURNS pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run pgflow.runs;
  v_descendants uuid[];
  v_id uuid;
BEGIN
  v_descendants := pgflow._lock_descendants(cancel_run.run_id);
  v_run := pgflow._lock_run_tree(cancel_run.run_id);
  IF v_run.status = 'cancelled' THEN
    RETURN v_run;
  ELSIF v_run.status <> 'started' THEN
    RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
      MESSAGE = format('Run %s is %s: only a started run can be cancelled', v_run.run_id, v_run.status),
      HINT = CASE v_run.status
               WHEN 'failed' THEN 'Retry it in place (pgflow.retry_run) or start it again as a new run (pgflow.restart_run).'
               ELSE 'Start it again as a new run with pgflow.restart_run.' END;
  END IF;

  v_run := pgflow._cancel_locked_run(v_run, cancel_run.reason);
  FOREACH v_id IN ARRAY v_descendants LOOP
    PERFORM pgflow._cancel_locked_run(r, format('cancelled with run %s%s', v_run.run_id, ': ' || cancel_run.reason))
    FROM pgflow.runs r WHERE r.run_id = v_id AND r.status = 'started';
  END LOOP;
  IF v_run.parent_run_id IS NOT NULL THEN
    PERFORM pgflow._child_ended(v_run.run_id, 'cancelled');
  END IF;
  RETURN v_run;
END;
$$;

--changeset pgflow:070-cancel-locked-run runOnChange:true splitStatements:false
-- _cancel_locked_run(run, reason): cancel_run's work on one started run whose tree the caller
-- locked: tasks, step states and the run cancelled, events emitted. Returns the run.
CREATE OR REPLACE FUNCTION pgflow._cancel_locked_run(p_run pgflow.runs, p_reason text)
RETURNS pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run pgflow.runs := p_run;
  v_slugs text[];
  v_slug text;
BEGIN
  UPDATE pgflow.step_tasks t SET status = 'cancelled', cancelled_at = greatest(now(), t.queued_at), visible_at = 'infinity'
  WHERE t.run_id = v_run.run_id AND t.status IN ('queued', 'started');
  WITH cancelled AS (
    UPDATE pgflow.step_states ss SET status = 'cancelled', cancelled_at = greatest(now(), ss.created_at)
    WHERE ss.run_id = v_run.run_id AND ss.status IN ('created', 'started')
    RETURNING ss.flow_slug, ss.step_slug
  )
  SELECT array_agg(c.step_slug ORDER BY s.step_index) INTO v_slugs
  FROM cancelled c JOIN pgflow.steps s ON s.flow_slug = c.flow_slug AND s.step_slug = c.step_slug;
  UPDATE pgflow.runs r
  SET status = 'cancelled', cancelled_at = greatest(now(), r.started_at), cancel_reason = p_reason
  WHERE r.run_id = v_run.run_id
  RETURNING r.* INTO v_run;

  IF pgflow._events_wanted(v_run.run_id) THEN
    FOREACH v_slug IN ARRAY coalesce(v_slugs, '{}') LOOP
      PERFORM pgflow._emit_step(v_run.run_id, v_run.flow_slug, v_slug, 'cancelled');
    END LOOP;
    PERFORM pgflow._emit_run(v_run.run_id, v_run.flow_slug, 'cancelled');
  END IF;
  RETURN v_run;
END;
$$;

--changeset pgflow:070-retry-run runOnChange:true splitStatements:false
-- retry_run(run_id) returns the run. Locks the run's tasks, step states and run (_lock_run_tree).
-- A failed or cancelled run goes back to started (retry_count + 1, last_retried_at = now,
-- failed_at / cancelled_at / cancel_reason / output cleared) and resumes where it stopped:
-- * completed steps and completed tasks keep their outputs;
-- * a step runs again when it failed, was cancelled, never finished, or was skipped because its
--   handler failed (when_exhausted skip / skip-cascade), and so does every step downstream of a
--   step that runs again (a completed dependent of a re-run step too: its input changes), except a
--   step kept skipped by a dependency whose skip still cascades (a skip-cascade condition);
-- * a step that runs again while all its dependencies are kept is resumed in place: status
--   started, only its unfinished tasks re-queued (visible now, attempts from 0, previous error
--   kept until the task runs again), so a map that failed in 3 of 50 tasks re-runs those 3;
-- * any other step that runs again is reset to created (its old tasks deleted) with
--   remaining_deps = its dependencies that run again, and runs when they complete; its
--   condition is evaluated again;
-- * remaining_steps is recounted; conditions, taskless steps, ready steps and run completion are
--   then handled as after a completion, and idle workers are woken.
-- Subflow steps: a task whose child run is started again (retried on its own) waits for that
-- child again; any other unfinished task is queued without its child (its handler runs again and
-- starts a new child; the old one stays). A child run retried while the parent task that waited
-- for it failed and its parent run is failed retries the parent too (retry_run(parent), which
-- attaches the task to this child again): the parent continues when the child completes. A child
-- run's timeout_at moves by the time it had been given. restart_run(child) does neither.
-- Emits run:retried (status started) and step:started per resumed step (when subscribed).
-- Keeps the retry in pgflow_internal.run_retries (when, and by the setting pgflow.actor or the role).
-- Errors: unknown run (no_data_found); a started or completed run
-- (object_not_in_prerequisite_state). Two concurrent calls on one run: the second waits for the
-- first and then fails as the run is started.
CREATE OR REPLACE FUNCTION pgflow.retry_run(run_id uuid)
RETURNS pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run pgflow.runs;
  v_step record;
  v_reset text[] := '{}';
  v_resume text[];
  v_requeued int;
  v_input_length int;
  v_events boolean;
  v_slug text;
BEGIN
  v_run := pgflow._lock_run_tree(retry_run.run_id);
  IF v_run.status NOT IN ('failed', 'cancelled') THEN
    RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
      MESSAGE = format('Run %s is %s: only a failed or cancelled run can be retried', v_run.run_id, v_run.status),
      HINT = CASE v_run.status
               WHEN 'started' THEN 'It is still running; cancel it first (pgflow.cancel_run) to retry it.'
               ELSE 'Start it again as a new run with pgflow.restart_run.' END;
  END IF;

  -- step order is a topological order, so every dependency is decided before its dependents
  FOR v_step IN
    SELECT ss.step_slug, ss.status, ss.skip_reason,
           coalesce(array_agg(d.dep_slug) FILTER (WHERE d.dep_slug IS NOT NULL), '{}') AS deps
    FROM pgflow.step_states ss
    JOIN pgflow.steps s ON s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
    LEFT JOIN pgflow.deps d ON d.flow_slug = ss.flow_slug AND d.step_slug = ss.step_slug
    WHERE ss.run_id = v_run.run_id
    GROUP BY ss.step_slug, ss.status, ss.skip_reason, s.step_index
    ORDER BY s.step_index
  LOOP
    IF v_step.status IN ('failed', 'cancelled', 'created', 'started') OR v_step.skip_reason = 'handler_failed' THEN
      v_reset := v_reset || v_step.step_slug;
    ELSIF v_step.deps && v_reset
          AND NOT EXISTS (SELECT 1 FROM pgflow.step_states ds
                          JOIN pgflow.steps dstep ON dstep.flow_slug = ds.flow_slug AND dstep.step_slug = ds.step_slug
                          WHERE ds.run_id = v_run.run_id AND ds.step_slug = ANY (v_step.deps)
                            AND NOT ds.step_slug = ANY (v_reset) AND ds.status = 'skipped'
                            AND (ds.skip_reason = 'dependency_skipped'
                                 OR (ds.skip_reason = 'condition_unmet' AND dstep.when_unmet = 'skip-cascade'))) THEN
      v_reset := v_reset || v_step.step_slug;
    END IF;
  END LOOP;

  SELECT coalesce(array_agg(ss.step_slug), '{}') INTO v_resume
  FROM pgflow.step_states ss
  WHERE ss.run_id = v_run.run_id AND ss.step_slug = ANY (v_reset)
    AND NOT EXISTS (SELECT 1 FROM pgflow.deps d
                    WHERE d.flow_slug = ss.flow_slug AND d.step_slug = ss.step_slug AND d.dep_slug = ANY (v_reset))
    AND EXISTS (SELECT 1 FROM pgflow.step_tasks t
                WHERE t.run_id = ss.run_id AND t.step_slug = ss.step_slug AND t.status <> 'completed');

  -- resumed in place: a subflow task whose child runs again waits for it; other unfinished tasks queued again
  UPDATE pgflow.step_tasks t
  SET status = 'started', started_at = coalesce(t.started_at, now()), completed_at = NULL, failed_at = NULL, cancelled_at = NULL,
      permanently_stalled_at = NULL, output = NULL, visible_at = 'infinity'
  FROM pgflow.runs c
  WHERE t.run_id = v_run.run_id AND t.step_slug = ANY (v_resume) AND t.status <> 'completed'
    AND c.run_id = t.child_run_id AND c.status = 'started';
  UPDATE pgflow.step_tasks t
  SET status = 'queued', attempts_count = 0, output = NULL, started_at = NULL, completed_at = NULL, child_run_id = NULL,
      failed_at = NULL, cancelled_at = NULL, permanently_stalled_at = NULL, visible_at = clock_timestamp()
  WHERE t.run_id = v_run.run_id AND t.step_slug = ANY (v_resume) AND t.status <> 'completed'
    AND NOT (t.status = 'started' AND t.visible_at = 'infinity'
             AND EXISTS (SELECT 1 FROM pgflow.runs c WHERE c.run_id = t.child_run_id AND c.status = 'started'));
  GET DIAGNOSTICS v_requeued = ROW_COUNT;
  UPDATE pgflow.step_states ss
  SET status = 'started', started_at = coalesce(ss.started_at, now()), completed_at = NULL, failed_at = NULL,
      skipped_at = NULL, cancelled_at = NULL, skip_reason = NULL, error_message = NULL, output = NULL,
      remaining_tasks = (SELECT count(*) FROM pgflow.step_tasks t
                         WHERE t.run_id = ss.run_id AND t.step_slug = ss.step_slug AND t.status <> 'completed')
  WHERE ss.run_id = v_run.run_id AND ss.step_slug = ANY (v_resume);

  -- reset to created: run when the dependencies that run again complete
  IF jsonb_typeof(v_run.input) = 'array' THEN
    v_input_length := jsonb_array_length(v_run.input);
  END IF;
  DELETE FROM pgflow.step_tasks t
  WHERE t.run_id = v_run.run_id AND t.step_slug = ANY (v_reset) AND NOT t.step_slug = ANY (v_resume);
  UPDATE pgflow.step_states ss
  SET status = 'created', started_at = NULL, completed_at = NULL, failed_at = NULL, skipped_at = NULL,
      cancelled_at = NULL, skip_reason = NULL, error_message = NULL, output = NULL, remaining_tasks = NULL, wait_deadline = NULL,
      -- a signal step that runs again waits for a new signal; one buffered before it waited is kept
      signal_payload = CASE WHEN ss.status = 'completed' THEN NULL ELSE ss.signal_payload END,
      signal_at = CASE WHEN ss.status = 'completed' THEN NULL ELSE ss.signal_at END,
      remaining_deps = (SELECT count(*) FROM pgflow.deps d
                        WHERE d.flow_slug = ss.flow_slug AND d.step_slug = ss.step_slug AND d.dep_slug = ANY (v_reset)),
      initial_tasks = CASE WHEN s.step_type <> 'map' THEN 1
                           WHEN s.deps_count = 0 THEN v_input_length
                           WHEN EXISTS (SELECT 1 FROM pgflow.deps d
                                        WHERE d.flow_slug = ss.flow_slug AND d.step_slug = ss.step_slug
                                          AND d.dep_slug = ANY (v_reset)) THEN NULL
                           ELSE ss.initial_tasks END
  FROM pgflow.steps s
  WHERE ss.run_id = v_run.run_id AND ss.step_slug = ANY (v_reset) AND NOT ss.step_slug = ANY (v_resume)
    AND s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug;

  UPDATE pgflow.runs r
  SET status = 'started', failed_at = NULL, cancelled_at = NULL, cancel_reason = NULL, output = NULL,
      retry_count = r.retry_count + 1, last_retried_at = now(),
      timeout_at = CASE WHEN r.timeout_at IS NOT NULL THEN now() + (r.timeout_at - r.started_at) END,
      remaining_steps = (SELECT count(*) FROM pgflow.step_states ss
                         WHERE ss.run_id = r.run_id AND ss.status NOT IN ('completed', 'skipped'))
  WHERE r.run_id = v_run.run_id;
  -- who retried it (109-run-retries): the console and the REST API set pgflow.actor to the signed-in user
  INSERT INTO pgflow_internal.run_retries (run_id, retry_number, retried_at, retried_by)
  SELECT r.run_id, r.retry_count, now(), coalesce(nullif(current_setting('pgflow.actor', true), ''), 'database role ' || session_user)
  FROM pgflow.runs r WHERE r.run_id = v_run.run_id
  ON CONFLICT ON CONSTRAINT run_retries_pkey DO NOTHING;

  v_events := pgflow._events_wanted(v_run.run_id);
  IF v_events THEN
    PERFORM pgflow._emit(jsonb_build_object('event_type', 'run:retried', 'run_id', v_run.run_id,
                                            'flow_slug', v_run.flow_slug, 'status', 'started'));
    FOREACH v_slug IN ARRAY v_resume LOOP
      PERFORM pgflow._emit_step(v_run.run_id, v_run.flow_slug, v_slug, 'started');
    END LOOP;
  END IF;
  PERFORM pgflow._advance_run(v_run.run_id, v_run.flow_slug, v_events, true);
  IF v_requeued > 0 THEN
    PERFORM pgflow._notify_tasks(v_run.flow_slug);
  END IF;

  SELECT r.* INTO v_run FROM pgflow.runs r WHERE r.run_id = retry_run.run_id;
  IF v_run.parent_run_id IS NOT NULL AND v_run.status = 'started'
     AND EXISTS (SELECT 1 FROM pgflow.step_tasks t JOIN pgflow.runs p ON p.run_id = t.run_id
                 WHERE t.run_id = v_run.parent_run_id AND t.step_slug = v_run.parent_step_slug
                   AND t.task_index = v_run.parent_task_index AND t.child_run_id = v_run.run_id
                   AND t.status = 'failed' AND p.status = 'failed') THEN
    PERFORM pgflow.retry_run(v_run.parent_run_id);
  END IF;
  RETURN v_run;
END;
$$;

--changeset pgflow:070-restart-run runOnChange:true splitStatements:false
-- restart_run(run_id) starts a new run of the run's flow with the run's input (start_flow) and
-- returns it, with restart_of_run_id = run_id. The original run is not changed or locked; any
-- status may be restarted. Errors: unknown run (no_data_found), and start_flow's.
CREATE OR REPLACE FUNCTION pgflow.restart_run(run_id uuid)
RETURNS pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_original pgflow.runs;
  v_new pgflow.runs;
BEGIN
  SELECT r.* INTO v_original FROM pgflow.runs r WHERE r.run_id = restart_run.run_id;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_run(restart_run.run_id);
  END IF;
  SELECT s.* INTO v_new FROM pgflow.start_flow(v_original.flow_slug, v_original.input) s;
  UPDATE pgflow.runs r SET restart_of_run_id = v_original.run_id WHERE r.run_id = v_new.run_id
  RETURNING r.* INTO v_new;
  RETURN v_new;
END;
$$;

--changeset pgflow:070-pause-flow runOnChange:true splitStatements:false
-- pause_flow(flow_slug) returns the flow. Sets paused_at (kept when already paused): claim_tasks
-- claims nothing of the flow until resume_flow; runs can still be started and their tasks queue
-- up; tasks already running finish and report normally. Errors: unknown flow (no_data_found).
CREATE OR REPLACE FUNCTION pgflow.pause_flow(flow_slug text)
RETURNS pgflow.flows
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow pgflow.flows;
BEGIN
  UPDATE pgflow.flows f SET paused_at = coalesce(f.paused_at, now())
  WHERE f.flow_slug = pause_flow.flow_slug
  RETURNING f.* INTO v_flow;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_flow(pause_flow.flow_slug);
  END IF;
  RETURN v_flow;
END;
$$;

--changeset pgflow:070-resume-flow runOnChange:true splitStatements:false
-- resume_flow(flow_slug) returns the flow. Clears paused_at and wakes the flow's workers
-- (NOTIFY pgflow_tasks) so queued tasks are claimed at once. Resuming a flow that is not paused
-- changes nothing. Errors: unknown flow (no_data_found).
CREATE OR REPLACE FUNCTION pgflow.resume_flow(flow_slug text)
RETURNS pgflow.flows
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow pgflow.flows;
BEGIN
  UPDATE pgflow.flows f SET paused_at = NULL
  WHERE f.flow_slug = resume_flow.flow_slug
  RETURNING f.* INTO v_flow;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_flow(resume_flow.flow_slug);
  END IF;
  PERFORM pg_notify('pgflow_tasks', v_flow.flow_slug);
  RETURN v_flow;
END;
$$;

--changeset pgflow:070-set-flow-concurrency runOnChange:true splitStatements:false
-- set_flow_concurrency(flow_slug, max_running) returns the flow. At most max_running tasks of the
-- flow are started (with an unexpired lease) at once, across all workers and servers, enforced by
-- claim_tasks; NULL removes the limit. Lowering the limit below what runs now stops new claims
-- until enough tasks finish (nothing running is interrupted). Wakes the flow's workers.
-- Errors: unknown flow (no_data_found); max_running below 1 (invalid_parameter_value).
CREATE OR REPLACE FUNCTION pgflow.set_flow_concurrency(flow_slug text, max_running int)
RETURNS pgflow.flows
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow pgflow.flows;
BEGIN
  IF max_running IS NOT NULL AND max_running < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Flow "%s": max_running must be at least 1, got %s (NULL removes the limit; pgflow.pause_flow stops claiming)',
                       set_flow_concurrency.flow_slug, max_running);
  END IF;
  UPDATE pgflow.flows f SET max_running = set_flow_concurrency.max_running
  WHERE f.flow_slug = set_flow_concurrency.flow_slug
  RETURNING f.* INTO v_flow;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_flow(set_flow_concurrency.flow_slug);
  END IF;
  PERFORM pg_notify('pgflow_tasks', v_flow.flow_slug);
  RETURN v_flow;
END;
$$;
