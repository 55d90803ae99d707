--liquibase formatted sql

--changeset pgflow:102-fail-step runOnChange:true splitStatements:false
-- _fail_step(run_id, flow_slug, step_slug, when_exhausted, message, events): a started step that
-- can do no more (its last task failed its last attempt, or it waited for a signal past its
-- deadline) ends as its when_exhausted says: 'fail' fails the step (error_message = message) and
-- the run; 'skip' skips it (skip_reason handler_failed, error_message kept) and releases its
-- dependents; 'skip-cascade' skips it and every step downstream. Emits step:failed / run:failed or
-- step:skipped when asked, then advances the run (a skip can complete it). Callers lock the step
-- state, check that it is started and that the run is started.
CREATE OR REPLACE FUNCTION pgflow._fail_step(p_run_id uuid, p_flow_slug text, p_step_slug text, p_when_exhausted text,
                                             p_message text, p_events boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  IF p_when_exhausted = 'fail' THEN
    UPDATE pgflow.step_states ss SET status = 'failed', failed_at = now(), error_message = p_message
    WHERE ss.run_id = p_run_id AND ss.step_slug = p_step_slug;
    IF p_events THEN
      PERFORM pgflow._emit_step(p_run_id, p_flow_slug, p_step_slug, 'failed');
    END IF;
    PERFORM pgflow._fail_run(p_run_id, p_events);
    RETURN;
  END IF;
  UPDATE pgflow.step_states ss
  SET status = 'skipped', skip_reason = 'handler_failed', skipped_at = now(), error_message = p_message, remaining_tasks = NULL
  WHERE ss.run_id = p_run_id AND ss.step_slug = p_step_slug;
  PERFORM pgflow._orphan_tasks(p_run_id, p_step_slug);
  UPDATE pgflow.runs r SET remaining_steps = r.remaining_steps - 1 WHERE r.run_id = p_run_id;
  IF p_events THEN
    PERFORM pgflow._emit_step(p_run_id, p_flow_slug, p_step_slug, 'skipped', 'handler_failed');
  END IF;
  IF p_when_exhausted = 'skip-cascade' THEN
    PERFORM pgflow._cascade_force_skip_steps(p_run_id, p_step_slug, 'handler_failed');
    PERFORM pgflow._advance_run(p_run_id, p_flow_slug, p_events, false);
  ELSE
    PERFORM pgflow._release_children(p_run_id, p_flow_slug, ARRAY[p_step_slug]);
    PERFORM pgflow._advance_run(p_run_id, p_flow_slug, p_events, true);
  END IF;
END;
$$;

--changeset pgflow:102-try-lock-run-tree runOnChange:true splitStatements:false
-- _try_lock_run_tree(run_id): locks every task, every step state and the run itself, skipping what
-- another transaction holds, and says whether it got all of them. A caller that got them all
-- waits for nobody for the rest of its work on the run, so it can never deadlock with a report
-- or a signal in flight; one that did not leaves the run for later (locks taken stay until its
-- transaction ends, which is short).
CREATE OR REPLACE FUNCTION pgflow._try_lock_run_tree(p_run_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_locked int;
BEGIN
  WITH l AS (SELECT 1 FROM pgflow.step_tasks t WHERE t.run_id = p_run_id ORDER BY t.step_slug, t.task_index FOR UPDATE SKIP LOCKED)
  SELECT count(*) INTO v_locked FROM l;
  IF v_locked < (SELECT count(*) FROM pgflow.step_tasks t WHERE t.run_id = p_run_id) THEN
    RETURN false;
  END IF;
  WITH l AS (SELECT 1 FROM pgflow.step_states ss WHERE ss.run_id = p_run_id ORDER BY ss.step_slug FOR UPDATE SKIP LOCKED)
  SELECT count(*) INTO v_locked FROM l;
  IF v_locked < (SELECT count(*) FROM pgflow.step_states ss WHERE ss.run_id = p_run_id) THEN
    RETURN false;
  END IF;
  PERFORM 1 FROM pgflow.runs r WHERE r.run_id = p_run_id FOR UPDATE SKIP LOCKED;
  RETURN FOUND;
END;
$$;

--changeset pgflow:102-tick runOnChange:true splitStatements:false
-- tick() applies what is due by the clock and returns a summary (jsonb). Today: every signal step
-- whose wait_deadline has passed fails as a task failing its last attempt would (_fail_step: its
-- when_exhausted fails the run, or skips the step or the steps downstream) with the error
-- 'waited N s for a signal, none came (deadline <UTC time>)', N being the step's timeout.
-- Every server calls it about once a second; so can anyone from psql. At most 1000 deadlines per
-- call, earliest first ("more": true when more are due: call again). It reads only the waits that
-- have a due deadline (the partial index idx_step_states_wait_deadline), so its cost does not grow
-- with the runs waiting without one. A wait whose run another transaction is changing (a report, a
-- signal, an operator, a concurrent tick) is left for the next tick ("deferred"): concurrent
-- ticks never apply one deadline twice and never wait for each other or for a worker.
-- Then every child run past its timeout_at (the timeout of the subflow step that started it)
-- fails: its started steps fail with '[SUBFLOW_TIMEOUT] not finished within the N s timeout of
-- step "<step>" of run <parent>', the run fails, and the parent task fails as for any failed
-- child (_child_ended: retried with a new child while attempts are left). At most 1000 per call.
-- Summary: {"waits_expired": steps failed or skipped by a deadline, "runs_failed": of those, the
-- runs that failed, "subflows_timed_out": child runs failed for their timeout, "deferred": due
-- waits and timeouts left for the next call, "more": boolean, "keys_woken": concurrency keys
-- woken by _wake_keys (a key left idle by a claim that raced a task's queueing), "schedules_fired":
-- runs started for due schedule firings (_fire_due_schedules, at most 1000 per call),
-- "schedule_errors": firings whose flow refused the run, "partitions_created": run partitions made
-- ahead (create_run_partitions), "ms": duration}.
CREATE OR REPLACE FUNCTION pgflow.tick()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_began constant timestamptz := clock_timestamp();
  v_schedules record;
  v_limit constant int := 1000;
  v_due record;
  v_step record;
  v_seen int := 0;
  v_expired int := 0;
  v_runs_failed int := 0;
  v_deferred int := 0;
  v_more boolean := false;
  v_message text;
  v_timed_out int := 0;
BEGIN
  FOR v_due IN
    SELECT ss.run_id, ss.step_slug FROM pgflow.step_states ss
    WHERE ss.status = 'started' AND ss.wait_deadline IS NOT NULL AND ss.wait_deadline <= v_began
    ORDER BY ss.wait_deadline
    LIMIT v_limit + 1
  LOOP
    v_seen := v_seen + 1;
    IF v_seen > v_limit THEN
      v_more := true;
      EXIT;
    END IF;
    IF NOT pgflow._try_lock_run_tree(v_due.run_id) THEN
      v_deferred := v_deferred + 1;
      CONTINUE;
    END IF;
    -- read again under the locks: a signal, a cancel or another tick may have come first
    SELECT ss.flow_slug, ss.started_at, ss.wait_deadline, s.when_exhausted, r.status AS run_status INTO v_step
    FROM pgflow.step_states ss
    JOIN pgflow.steps s ON s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
    JOIN pgflow.runs r ON r.run_id = ss.run_id
    WHERE ss.run_id = v_due.run_id AND ss.step_slug = v_due.step_slug
      AND ss.status = 'started' AND ss.wait_deadline <= clock_timestamp();
    IF NOT FOUND OR v_step.run_status <> 'started' THEN
      CONTINUE;
    END IF;
    v_message := format('waited %s s for a signal, none came (deadline %s)',
                        round(extract(epoch FROM v_step.wait_deadline - v_step.started_at)),
                        to_char(v_step.wait_deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
    PERFORM pgflow._fail_step(v_due.run_id, v_step.flow_slug, v_due.step_slug, v_step.when_exhausted, v_message,
                              pgflow._events_wanted(v_due.run_id));
    v_expired := v_expired + 1;
    IF v_step.when_exhausted = 'fail' THEN
      v_runs_failed := v_runs_failed + 1;
    END IF;
  END LOOP;

  v_seen := 0;
  FOR v_due IN
    SELECT r.run_id FROM pgflow.runs r
    WHERE r.status = 'started' AND r.timeout_at IS NOT NULL AND r.timeout_at <= v_began
    ORDER BY r.timeout_at
    LIMIT v_limit + 1
  LOOP
    v_seen := v_seen + 1;
    IF v_seen > v_limit THEN
      v_more := true;
      EXIT;
    END IF;
    IF NOT pgflow._try_lock_run_tree(v_due.run_id) THEN
      v_deferred := v_deferred + 1;
      CONTINUE;
    END IF;
    SELECT r.flow_slug, r.started_at, r.timeout_at, r.parent_run_id, r.parent_step_slug INTO v_step
    FROM pgflow.runs r WHERE r.run_id = v_due.run_id AND r.status = 'started' AND r.timeout_at <= clock_timestamp();
    IF NOT FOUND THEN
      CONTINUE;
    END IF;
    v_message := format('[SUBFLOW_TIMEOUT] not finished within the %s s timeout of step "%s" of run %s',
                        round(extract(epoch FROM v_step.timeout_at - v_step.started_at)), v_step.parent_step_slug,
                        v_step.parent_run_id);
    UPDATE pgflow.step_states ss SET status = 'failed', failed_at = now(), error_message = v_message, wait_deadline = NULL
    WHERE ss.run_id = v_due.run_id AND ss.status = 'started';
    PERFORM pgflow._fail_run(v_due.run_id, pgflow._events_wanted(v_due.run_id));
    v_timed_out := v_timed_out + 1;
  END LOOP;
  SELECT * INTO v_schedules FROM pgflow._fire_due_schedules(v_limit);
  RETURN jsonb_build_object('waits_expired', v_expired, 'runs_failed', v_runs_failed, 'subflows_timed_out', v_timed_out,
                            'deferred', v_deferred, 'more', v_more OR v_schedules.more, 'keys_woken', pgflow._wake_keys(),
                            'schedules_fired', v_schedules.fired, 'schedule_errors', v_schedules.errors,
                            'partitions_created', pgflow.create_run_partitions(),
                            'ms', round(extract(epoch FROM clock_timestamp() - v_began) * 1000, 3));
END;
$$;

--changeset pgflow:102-tick-grants runAlways:true runOnChange:true splitStatements:false
-- every server's scheduler calls tick() as pgflow_worker; an operator may call it from psql
DO $grants$
BEGIN
  ALTER FUNCTION pgflow.tick() SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  REVOKE ALL ON FUNCTION pgflow.tick() FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_worker') THEN
    GRANT EXECUTE ON FUNCTION pgflow.tick() TO pgflow_worker;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
    GRANT EXECUTE ON FUNCTION pgflow.tick() TO pgflow_operator;
  END IF;
  REVOKE ALL ON FUNCTION pgflow._fail_step(uuid, text, text, text, text, boolean) FROM PUBLIC;
  REVOKE ALL ON FUNCTION pgflow._try_lock_run_tree(uuid) FROM PUBLIC;
END
$grants$;
