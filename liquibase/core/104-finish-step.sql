--liquibase formatted sql

--changeset pgflow:104-finish-step runOnChange:true splitStatements:false
-- _finish_step(run_id, flow_slug, step_slug, map_tasks, events): what follows a step's completion,
-- whatever completed it (its last task: complete_task; its signal: _complete_signal_step): emits
-- step:completed when asked, releases its children (remaining_deps - 1; a dependent map whose task
-- count is unknown takes map_tasks: the length of the step's output array, NULL when it is not
-- one), remaining_steps - 1, then advances the run (conditions of the children it made ready,
-- taskless steps, ready steps, completion). Callers have marked the step completed, under its lock.
CREATE OR REPLACE FUNCTION pgflow._finish_step(p_run_id uuid, p_flow_slug text, p_step_slug text, p_map_tasks int, p_events boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_conditions boolean;
BEGIN
  IF p_events THEN
    PERFORM pgflow._emit_step(p_run_id, p_flow_slug, p_step_slug, 'completed');
  END IF;
  WITH released AS (
    UPDATE pgflow.step_states c
    SET remaining_deps = c.remaining_deps - 1,
        initial_tasks = CASE WHEN cs.step_type IN ('map', 'map_subflow') AND c.initial_tasks IS NULL THEN p_map_tasks ELSE c.initial_tasks END
    FROM pgflow.deps d
    JOIN pgflow.steps cs ON cs.flow_slug = d.flow_slug AND cs.step_slug = d.step_slug
    WHERE d.flow_slug = p_flow_slug AND d.dep_slug = p_step_slug
      AND c.run_id = p_run_id AND c.step_slug = d.step_slug
    RETURNING c.remaining_deps = 0
              AND (cs.required_input_pattern IS NOT NULL OR cs.forbidden_input_pattern IS NOT NULL) AS conditional
  )
  SELECT coalesce(bool_or(released.conditional), false) INTO v_conditions FROM released;
  UPDATE pgflow.runs r SET remaining_steps = r.remaining_steps - 1 WHERE r.run_id = p_run_id;
  PERFORM pgflow._advance_run(p_run_id, p_flow_slug, p_events, v_conditions);
END;
$$;

--changeset pgflow:104-finish-step-grants runAlways:true runOnChange:true splitStatements:false
REVOKE ALL ON FUNCTION pgflow._finish_step(uuid, text, text, int, boolean) FROM PUBLIC;
