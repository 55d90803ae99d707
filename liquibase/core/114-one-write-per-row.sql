--liquibase formatted sql

-- One write per row in a batch of completions (complete_tasks). PostgreSQL checks a row's foreign
-- keys again when an UPDATE changes a row that the same transaction already wrote, even when the
-- keys did not change. complete_tasks used to lower a child step's remaining_deps in one UPDATE and
-- start it in another (_start_ready_steps_of), and to lower a run's remaining_steps in one UPDATE
-- and complete it in another (_complete_finished_runs): each started step then checked its run, its
-- step and its flow again (KEY SHARE locks on the one flows row every worker shares), each finished
-- run its flow. 50 completions of a 3-step chain ran 215 statements, 200 of them such checks; now
-- 62, of which 50 are the checks of the tasks inserted (docs/performance.md).

--changeset pgflow:114-release-and-start-children runOnChange:true splitStatements:false
-- _release_and_start_children(run_ids, step_slugs, flow_slugs): for each completed step (run_id,
-- step_slug of flow flow_slug), its children have one remaining dependency fewer; a child left with
-- none, still created and with a known positive task count, starts in the same UPDATE (status
-- started, remaining_tasks = initial_tasks) and its tasks are queued as _start_ready_steps_of queues
-- them (start delay, concurrency key and priority of the run; none for a signal step). Returns the
-- steps it started, visible_now when their tasks can be claimed at once. Children of a step that
-- feeds a map, or that have conditions, take the step-by-step path (_finish_step), not this one.
-- Its planned/inserted parts are _start_ready_steps_of's: a change to one goes to the other.
CREATE OR REPLACE FUNCTION pgflow._release_and_start_children(p_run_ids uuid[], p_step_slugs text[], p_flow_slugs text[])
RETURNS TABLE (run_id uuid, flow_slug text, step_slug text, visible_now boolean)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan -- as _start_ready_steps_of
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH released AS (
    SELECT dn.run_id, d.step_slug, count(*)::int AS n
    FROM unnest(p_run_ids, p_step_slugs, p_flow_slugs) AS dn(run_id, step_slug, flow_slug)
    JOIN pgflow.deps d ON d.flow_slug = dn.flow_slug AND d.dep_slug = dn.step_slug
    GROUP BY dn.run_id, d.step_slug
  ), updated AS (
    UPDATE pgflow.step_states ss
    SET remaining_deps = ss.remaining_deps - x.n,
        status = CASE WHEN ss.status = 'created' AND ss.remaining_deps = x.n AND ss.initial_tasks > 0 THEN 'started' ELSE ss.status END,
        started_at = CASE WHEN ss.status = 'created' AND ss.remaining_deps = x.n AND ss.initial_tasks > 0 THEN now() ELSE ss.started_at END,
        remaining_tasks = CASE WHEN ss.status = 'created' AND ss.remaining_deps = x.n AND ss.initial_tasks > 0 THEN ss.initial_tasks
                               ELSE ss.remaining_tasks END
    FROM released x
    WHERE ss.run_id = x.run_id AND ss.step_slug = x.step_slug
    -- started by this UPDATE: a step started earlier has no dependency left to lose (remaining_deps_valid)
    RETURNING ss.flow_slug, ss.run_id, ss.step_slug, ss.initial_tasks,
              ss.status = 'started' AND ss.remaining_deps = 0 AND ss.started_at = now() AS started
  ), planned AS (
    SELECT st.flow_slug, st.run_id, st.step_slug, st.initial_tasks, coalesce(s.opt_start_delay, 0) AS delay,
           s.step_type = 'signal' AS waits, coalesce(r.concurrency_key, '') AS concurrency_key, r.priority
    FROM updated st
    JOIN pgflow.steps s ON s.flow_slug = st.flow_slug AND s.step_slug = st.step_slug
    JOIN pgflow.runs r ON r.run_id = st.run_id
    WHERE st.started
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

--changeset pgflow:114-count-down-and-complete-runs runOnChange:true splitStatements:false
-- _count_down_and_complete_runs(run_ids): one remaining step fewer per element (a run given twice
-- loses two); a started run left with none completes in the same UPDATE, its output the object of
-- its leaf steps' outputs (as _complete_finished_runs). Returns the runs it completed.
CREATE OR REPLACE FUNCTION pgflow._count_down_and_complete_runs(p_run_ids uuid[])
RETURNS TABLE (run_id uuid, flow_slug text, parent_run_id uuid)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan -- as _start_ready_steps_of
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH done AS (
    SELECT dn.run_id, count(*)::int AS n FROM unnest(p_run_ids) AS dn(run_id) GROUP BY dn.run_id
  ), updated AS (
    UPDATE pgflow.runs r
    SET remaining_steps = r.remaining_steps - x.n,
        status = CASE WHEN r.status = 'started' AND r.remaining_steps = x.n THEN 'completed' ELSE r.status END,
        completed_at = CASE WHEN r.status = 'started' AND r.remaining_steps = x.n THEN now() ELSE r.completed_at END,
        output = CASE WHEN r.status = 'started' AND r.remaining_steps = x.n
                      THEN (SELECT jsonb_object_agg(ss.step_slug, ss.output)
                            FROM pgflow.step_states ss
                            WHERE ss.run_id = r.run_id AND ss.status = 'completed'
                              AND NOT EXISTS (SELECT 1 FROM pgflow.deps d
                                              WHERE d.flow_slug = ss.flow_slug AND d.dep_slug = ss.step_slug))
                      ELSE r.output END
    FROM done x
    WHERE r.run_id = x.run_id
    -- completed by this UPDATE: the runs given have a step that just completed, so they were started
    RETURNING r.run_id, r.flow_slug, r.parent_run_id,
              r.status = 'completed' AND r.remaining_steps = 0 AND r.completed_at = now() AS finished
  )
  SELECT u.run_id, u.flow_slug, u.parent_run_id FROM updated u WHERE u.finished;
END;
$$;

--changeset pgflow:114-insert-started-runs runOnChange:true splitStatements:false
-- _insert_started_runs(flow_slug, run_ids, inputs, concurrency_keys, priorities): the step states of
-- new runs (already inserted into runs; concurrency keys '' for none), their root steps inserted
-- started and their tasks queued in the same statement, each row written once: what start_flow and
-- start_flows do for a flow without conditions, signal steps or an empty root map while nobody
-- watches the runs' events.
-- Returns true when a task can be claimed at once (the caller wakes idle workers).
CREATE OR REPLACE FUNCTION pgflow._insert_started_runs(p_flow_slug text, p_run_ids uuid[], p_inputs jsonb[], p_concurrency_keys text[],
                                                       p_priorities int[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan -- as _start_ready_steps_of
AS $$
DECLARE
  v_visible boolean;
BEGIN
  WITH states AS (
    INSERT INTO pgflow.step_states (flow_slug, run_id, step_slug, remaining_deps, initial_tasks, status, started_at, remaining_tasks)
    SELECT s.flow_slug, n.run_id, s.step_slug, s.deps_count, t.tasks,
           CASE WHEN s.deps_count = 0 THEN 'started' ELSE 'created' END,
           CASE WHEN s.deps_count = 0 THEN now() END,
           CASE WHEN s.deps_count = 0 THEN t.tasks END
    FROM unnest(p_run_ids, p_inputs) WITH ORDINALITY AS n(run_id, input, ord)
    JOIN pgflow.steps s ON s.flow_slug = p_flow_slug
    CROSS JOIN LATERAL (SELECT CASE WHEN s.step_type NOT IN ('map', 'map_subflow') THEN 1
                                    WHEN s.deps_count = 0 THEN jsonb_array_length(n.input) END AS tasks) t
    ORDER BY n.ord, s.step_index
    RETURNING flow_slug, run_id, step_slug, status, initial_tasks
  ), queued AS (
    INSERT INTO pgflow.step_tasks (flow_slug, run_id, step_slug, task_index, visible_at, concurrency_key, priority)
    SELECT st.flow_slug, st.run_id, st.step_slug, i,
           CASE WHEN coalesce(s.opt_start_delay, 0) > 0 THEN clock_timestamp() + make_interval(secs => s.opt_start_delay)
                ELSE clock_timestamp() END,
           n.concurrency_key, n.priority
    FROM states st
    JOIN unnest(p_run_ids, p_concurrency_keys, p_priorities) AS n(run_id, concurrency_key, priority) ON n.run_id = st.run_id
    JOIN pgflow.steps s ON s.flow_slug = st.flow_slug AND s.step_slug = st.step_slug
    CROSS JOIN LATERAL generate_series(0, st.initial_tasks - 1) AS i
    WHERE st.status = 'started'
    RETURNING visible_at
  )
  SELECT bool_or(q.visible_at <= clock_timestamp()) INTO v_visible FROM queued q;
  RETURN coalesce(v_visible, false);
END;
$$;

--changeset pgflow:114-grants runAlways:true runOnChange:true splitStatements:false
REVOKE ALL ON FUNCTION pgflow._release_and_start_children(uuid[], text[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._count_down_and_complete_runs(uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._insert_started_runs(text, uuid[], jsonb[], text[], int[]) FROM PUBLIC;
