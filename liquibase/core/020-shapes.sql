--liquibase formatted sql

--changeset pgflow:020-get-flow-shape runOnChange:true splitStatements:false
-- get_flow_shape(flow_slug) returns the structural shape of a flow as stored:
-- {"steps": [{"slug", "stepType", "dependencies": [sorted], "whenUnmet", "whenExhausted",
--   "requiredInputPattern": {"defined": false} | {"defined": true, "value": ...},
--   "forbiddenInputPattern": (same)}, ...]} in step_index order, plus "subflowSlug" for a subflow
-- or map_subflow step. Options (runtime-tunable) are not part of a shape. An unknown flow gives
-- {"steps": []}. plpgsql, not sql: its body reads steps.subflow_slug, which a later changeset adds.
CREATE OR REPLACE FUNCTION pgflow.get_flow_shape(flow_slug text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN (
  SELECT jsonb_build_object('steps', coalesce(jsonb_agg(
           jsonb_build_object(
             'slug', s.step_slug,
             'stepType', s.step_type,
             'dependencies', coalesce((SELECT jsonb_agg(d.dep_slug ORDER BY d.dep_slug)
                                       FROM pgflow.deps d
                                       WHERE d.flow_slug = s.flow_slug AND d.step_slug = s.step_slug), '[]'::jsonb),
             'whenUnmet', s.when_unmet,
             'whenExhausted', s.when_exhausted,
             'requiredInputPattern', CASE WHEN s.required_input_pattern IS NULL THEN '{"defined": false}'::jsonb
                                          ELSE jsonb_build_object('defined', true, 'value', s.required_input_pattern) END,
             'forbiddenInputPattern', CASE WHEN s.forbidden_input_pattern IS NULL THEN '{"defined": false}'::jsonb
                                           ELSE jsonb_build_object('defined', true, 'value', s.forbidden_input_pattern) END)
           || CASE WHEN s.subflow_slug IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('subflowSlug', s.subflow_slug) END
           ORDER BY s.step_index), '[]'::jsonb))
  FROM pgflow.steps s
  WHERE s.flow_slug = get_flow_shape.flow_slug);
END;
$$;

--changeset pgflow:020-describe-pattern runOnChange:true splitStatements:false
-- _describe_pattern(wrapper): 'not defined', or the pattern value as jsonb text.
CREATE OR REPLACE FUNCTION pgflow._describe_pattern(wrapper jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
  SELECT CASE WHEN coalesce((wrapper ->> 'defined')::boolean, false) THEN (wrapper -> 'value')::text
              ELSE 'not defined' END
$$;

--changeset pgflow:020-compare-flow-shapes runOnChange:true splitStatements:false
-- compare_flow_shapes(local, db) returns the differences between two shapes as sentences, empty
-- when they are equal: the step count, then per index: a step missing on one side, slug, type,
-- dependencies, whenUnmet, whenExhausted, requiredInputPattern, forbiddenInputPattern. Options are
-- never compared. Missing keys take their defaults (single, [], skip, fail, not defined). The Java
-- FlowShape comparison produces the same sentences.
CREATE OR REPLACE FUNCTION pgflow.compare_flow_shapes(local jsonb, db jsonb)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v_local jsonb := coalesce(local -> 'steps', '[]'::jsonb);
  v_db jsonb := coalesce(db -> 'steps', '[]'::jsonb);
  v_local_n int := jsonb_array_length(v_local);
  v_db_n int := jsonb_array_length(v_db);
  v_diffs text[] := '{}';
  a jsonb;
  b jsonb;
  a_text text;
  b_text text;
BEGIN
  IF v_local_n <> v_db_n THEN
    v_diffs := v_diffs || format('Step count differs: %s vs %s', v_local_n, v_db_n);
  END IF;
  FOR i IN 0 .. greatest(v_local_n, v_db_n) - 1 LOOP
    a := v_local -> i;
    b := v_db -> i;
    IF a IS NULL THEN
      v_diffs := v_diffs || format('Step at index %s: missing in first shape (second has ''%s'')', i, b ->> 'slug');
      CONTINUE;
    END IF;
    IF b IS NULL THEN
      v_diffs := v_diffs || format('Step at index %s: missing in second shape (first has ''%s'')', i, a ->> 'slug');
      CONTINUE;
    END IF;
    IF (a ->> 'slug') IS DISTINCT FROM (b ->> 'slug') THEN
      v_diffs := v_diffs || format('Step at index %s: slug differs ''%s'' vs ''%s''', i, a ->> 'slug', b ->> 'slug');
    END IF;
    IF coalesce(a ->> 'stepType', 'single') <> coalesce(b ->> 'stepType', 'single') THEN
      v_diffs := v_diffs || format('Step at index %s: type differs ''%s'' vs ''%s''', i,
                                   coalesce(a ->> 'stepType', 'single'), coalesce(b ->> 'stepType', 'single'));
    END IF;
    IF (a ->> 'subflowSlug') IS DISTINCT FROM (b ->> 'subflowSlug') THEN
      v_diffs := v_diffs || format('Step at index %s: subflow differs ''%s'' vs ''%s''', i,
                                   coalesce(a ->> 'subflowSlug', 'none'), coalesce(b ->> 'subflowSlug', 'none'));
    END IF;
    SELECT coalesce(string_agg(x, ', ' ORDER BY x), '') INTO a_text
      FROM jsonb_array_elements_text(coalesce(a -> 'dependencies', '[]'::jsonb)) AS x;
    SELECT coalesce(string_agg(x, ', ' ORDER BY x), '') INTO b_text
      FROM jsonb_array_elements_text(coalesce(b -> 'dependencies', '[]'::jsonb)) AS x;
    IF a_text <> b_text THEN
      v_diffs := v_diffs || format('Step at index %s: dependencies differ [%s] vs [%s]', i, a_text, b_text);
    END IF;
    IF coalesce(a ->> 'whenUnmet', 'skip') <> coalesce(b ->> 'whenUnmet', 'skip') THEN
      v_diffs := v_diffs || format('Step at index %s: whenUnmet differs ''%s'' vs ''%s''', i,
                                   coalesce(a ->> 'whenUnmet', 'skip'), coalesce(b ->> 'whenUnmet', 'skip'));
    END IF;
    IF coalesce(a ->> 'whenExhausted', 'fail') <> coalesce(b ->> 'whenExhausted', 'fail') THEN
      v_diffs := v_diffs || format('Step at index %s: whenExhausted differs ''%s'' vs ''%s''', i,
                                   coalesce(a ->> 'whenExhausted', 'fail'), coalesce(b ->> 'whenExhausted', 'fail'));
    END IF;
    a_text := pgflow._describe_pattern(a -> 'requiredInputPattern');
    b_text := pgflow._describe_pattern(b -> 'requiredInputPattern');
    IF a_text <> b_text THEN
      v_diffs := v_diffs || format('Step at index %s: requiredInputPattern differs %s vs %s', i, a_text, b_text);
    END IF;
    a_text := pgflow._describe_pattern(a -> 'forbiddenInputPattern');
    b_text := pgflow._describe_pattern(b -> 'forbiddenInputPattern');
    IF a_text <> b_text THEN
      v_diffs := v_diffs || format('Step at index %s: forbiddenInputPattern differs %s vs %s', i, a_text, b_text);
    END IF;
  END LOOP;
  RETURN v_diffs;
END;
$$;

--changeset pgflow:020-create-flow-from-shape runOnChange:true splitStatements:false
-- _create_flow_from_shape(flow_slug, shape): create_flow with the shape's options, then add_step
-- per shape step in array order (missing whenUnmet -> skip, whenExhausted -> fail).
CREATE OR REPLACE FUNCTION pgflow._create_flow_from_shape(flow_slug text, shape jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_step jsonb;
BEGIN
  PERFORM pgflow.create_flow(_create_flow_from_shape.flow_slug,
                             (shape -> 'options' ->> 'maxAttempts')::int,
                             (shape -> 'options' ->> 'baseDelay')::int,
                             (shape -> 'options' ->> 'timeout')::int);
  FOR v_step IN SELECT value FROM jsonb_array_elements(coalesce(shape -> 'steps', '[]'::jsonb)) LOOP
    PERFORM pgflow.add_step(
      flow_slug => _create_flow_from_shape.flow_slug,
      step_slug => v_step ->> 'slug',
      deps_slugs => coalesce(ARRAY(SELECT jsonb_array_elements_text(v_step -> 'dependencies')), '{}'),
      max_attempts => (v_step -> 'options' ->> 'maxAttempts')::int,
      base_delay => (v_step -> 'options' ->> 'baseDelay')::int,
      timeout => (v_step -> 'options' ->> 'timeout')::int,
      start_delay => (v_step -> 'options' ->> 'startDelay')::int,
      step_type => coalesce(v_step ->> 'stepType', 'single'),
      required_input_pattern => CASE WHEN coalesce((v_step -> 'requiredInputPattern' ->> 'defined')::boolean, false)
                                     THEN v_step -> 'requiredInputPattern' -> 'value' END,
      forbidden_input_pattern => CASE WHEN coalesce((v_step -> 'forbiddenInputPattern' ->> 'defined')::boolean, false)
                                      THEN v_step -> 'forbiddenInputPattern' -> 'value' END,
      when_unmet => coalesce(v_step ->> 'whenUnmet', 'skip'),
      when_exhausted => coalesce(v_step ->> 'whenExhausted', 'fail'),
      subflow_slug => v_step ->> 'subflowSlug');
  END LOOP;
END;
$$;

--changeset pgflow:020-delete-flow-and-data runOnChange:true splitStatements:false
-- delete_flow_and_data(flow_slug): destructive, for development. Deletes the flow's tasks, step
-- states, runs, dependencies, steps and the flow itself. Families of runs go whole: a run of the
-- flow that belongs to a family (a child run, or a parent of children of other flows) takes its
-- whole family with it (root and every descendant, whatever their flows), so no run is left
-- with a parent or children that are gone. Subflow steps of other flows that name this flow keep
-- naming it (apply it again). Workers are untouched. Locks each run's tree first
-- (_lock_run_tree), so a completion racing with it finishes first.
CREATE OR REPLACE FUNCTION pgflow.delete_flow_and_data(flow_slug text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS pgflow_delete_runs (run_id uuid PRIMARY KEY) ON COMMIT DROP;
  INSERT INTO pgflow_delete_runs
  SELECT r.run_id FROM pgflow.runs r WHERE r.flow_slug = delete_flow_and_data.flow_slug
  UNION
  SELECT m.run_id FROM pgflow.runs r
  JOIN pgflow.runs m ON m.run_id = r.root_run_id OR m.root_run_id = r.root_run_id
  WHERE r.flow_slug = delete_flow_and_data.flow_slug AND r.root_run_id IS NOT NULL
  UNION
  SELECT m.run_id FROM pgflow.runs r
  JOIN pgflow.runs m ON m.root_run_id = r.run_id
  WHERE r.flow_slug = delete_flow_and_data.flow_slug AND r.root_run_id IS NULL
  ON CONFLICT DO NOTHING;
  -- locked first, each run's tree as every operator call locks it (_lock_run_tree: tasks, step
  -- states in step order, then the run, the order complete_task takes them, so no deadlock): a
  -- completion in flight commits its new tasks before the deletes below (which see them) and none
  -- starts after; without the locks its tasks could appear between the deletes (23503)
  PERFORM pgflow._lock_run_tree(r.run_id) FROM pgflow.runs r WHERE r.run_id IN (SELECT d.run_id FROM pgflow_delete_runs d)
  ORDER BY r.run_id;
  DELETE FROM pgflow.step_tasks t USING pgflow_delete_runs d WHERE t.run_id = d.run_id;
  DELETE FROM pgflow.step_states s USING pgflow_delete_runs d WHERE s.run_id = d.run_id;
  DELETE FROM pgflow_internal.run_keys k USING pgflow_delete_runs d WHERE k.run_id = d.run_id;
  DELETE FROM pgflow.runs r USING pgflow_delete_runs d WHERE r.run_id = d.run_id;
  DROP TABLE pgflow_delete_runs;
  DELETE FROM pgflow.step_tasks t WHERE t.flow_slug = delete_flow_and_data.flow_slug;
  DELETE FROM pgflow.step_states s WHERE s.flow_slug = delete_flow_and_data.flow_slug;
  DELETE FROM pgflow_internal.run_keys k WHERE k.flow_slug = delete_flow_and_data.flow_slug;
  DELETE FROM pgflow.runs r WHERE r.flow_slug = delete_flow_and_data.flow_slug;
  DELETE FROM pgflow.deps d WHERE d.flow_slug = delete_flow_and_data.flow_slug;
  DELETE FROM pgflow.steps s WHERE s.flow_slug = delete_flow_and_data.flow_slug;
  DELETE FROM pgflow.flows f WHERE f.flow_slug = delete_flow_and_data.flow_slug;
END;
$$;

--changeset pgflow:020-ensure-flow-compiled runOnChange:true splitStatements:false
-- ensure_flow_compiled(flow_slug, shape, allow_data_loss) returns {"status", "differences"}.
-- Serialises concurrent compilations of one slug (advisory transaction lock). Missing flow:
-- created from the shape, "compiled". Same shape: "verified". Different: "mismatch" and the
-- database is untouched, unless allow_data_loss => true: delete_flow_and_data, create from the
-- shape, "recompiled".
CREATE OR REPLACE FUNCTION pgflow.ensure_flow_compiled(flow_slug text, shape jsonb, allow_data_loss boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_diffs text[];
BEGIN
  PERFORM pg_advisory_xact_lock(1, hashtext(ensure_flow_compiled.flow_slug));
  IF NOT EXISTS (SELECT 1 FROM pgflow.flows f WHERE f.flow_slug = ensure_flow_compiled.flow_slug) THEN
    PERFORM pgflow._create_flow_from_shape(ensure_flow_compiled.flow_slug, shape);
    RETURN jsonb_build_object('status', 'compiled', 'differences', '[]'::jsonb);
  END IF;
  v_diffs := pgflow.compare_flow_shapes(shape, pgflow.get_flow_shape(ensure_flow_compiled.flow_slug));
  IF cardinality(v_diffs) = 0 THEN
    RETURN jsonb_build_object('status', 'verified', 'differences', '[]'::jsonb);
  END IF;
  IF coalesce(allow_data_loss, false) THEN
    PERFORM pgflow.delete_flow_and_data(ensure_flow_compiled.flow_slug);
    PERFORM pgflow._create_flow_from_shape(ensure_flow_compiled.flow_slug, shape);
    RETURN jsonb_build_object('status', 'recompiled', 'differences', to_jsonb(v_diffs));
  END IF;
  RETURN jsonb_build_object('status', 'mismatch', 'differences', to_jsonb(v_diffs));
END;
$$;

--changeset pgflow:020-verify-compiled-flow runOnChange:true splitStatements:false
-- verify_compiled_flow(flow_slug, shape) returns 0 when the flow is absent or has exactly this
-- shape; otherwise raises (SQLSTATE 23514, CONSTRAINT flow_shape_unchanged) naming the flow and
-- every difference, and what to do. Compiled flow changelogs use it as their precondition, so a
-- flow changed after it was applied stops the migration instead of being altered silently.
CREATE OR REPLACE FUNCTION pgflow.verify_compiled_flow(flow_slug text, shape jsonb)
RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_diffs text[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pgflow.flows f WHERE f.flow_slug = verify_compiled_flow.flow_slug) THEN
    RETURN 0;
  END IF;
  v_diffs := pgflow.compare_flow_shapes(shape, pgflow.get_flow_shape(verify_compiled_flow.flow_slug));
  IF cardinality(v_diffs) = 0 THEN
    RETURN 0;
  END IF;
  RAISE EXCEPTION USING
    ERRCODE = 'check_violation',
    CONSTRAINT = 'flow_shape_unchanged',
    MESSAGE = format('Flow ''%s'' changed after it was applied: its compiled changelog no longer matches the flow in the database (first = compiled, second = database): %s',
                     verify_compiled_flow.flow_slug, array_to_string(v_diffs, '; ')),
    HINT = format('Flows are immutable once applied. Give the changed flow a new slug (for example %s_v2) and compile it as a new flow; '
                  'or, in development only, delete the old flow and all its runs with SELECT pgflow.delete_flow_and_data(''%s''); and migrate again.',
                  verify_compiled_flow.flow_slug, verify_compiled_flow.flow_slug);
END;
$$;
