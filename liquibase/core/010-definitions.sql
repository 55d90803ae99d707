--liquibase formatted sql

--changeset pgflow:010-calculate-retry-delay runOnChange:true splitStatements:false
-- calculate_retry_delay(base_delay, attempts_count): seconds to wait before the next attempt,
-- floor(base_delay * 2^attempts_count), uncapped (as pgflow's flow mode).
CREATE OR REPLACE FUNCTION pgflow.calculate_retry_delay(base_delay numeric, attempts_count int)
RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT floor(base_delay * power(2, attempts_count))::int
$$;

--changeset pgflow:010-require-option runOnChange:true splitStatements:false
-- _require_option(value, minimum, option, constraint_name, owner): raises check_violation with a message
-- naming the option, its owner (flow or step) and the bound when value is not NULL and below minimum.
CREATE OR REPLACE FUNCTION pgflow._require_option(value int, minimum int, option text, constraint_name text, owner text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
  IF value IS NOT NULL AND value < minimum THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation',
      CONSTRAINT = constraint_name,
      MESSAGE = format('%s: %s must be greater than or equal to %s, got %s', owner, option, minimum, value);
  END IF;
END;
$$;

--changeset pgflow:010-create-flow runOnChange:true splitStatements:false
-- create_flow(flow_slug, max_attempts, base_delay, timeout) returns the flows row.
-- NULL options mean the defaults 3 / 5 / 60. Idempotent: an existing flow is returned unchanged
-- (options are not updated). Errors: invalid slug (check_violation, constraint slug_is_valid),
-- negative max_attempts or base_delay, timeout < 1 (check_violation, the option's constraint).
CREATE OR REPLACE FUNCTION pgflow.create_flow(
  flow_slug text,
  max_attempts int DEFAULT NULL,
  base_delay int DEFAULT NULL,
  timeout int DEFAULT NULL)
RETURNS pgflow.flows
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_owner text := format('Flow "%s"', create_flow.flow_slug);
  v_flow pgflow.flows;
BEGIN
  IF NOT pgflow.is_valid_slug(create_flow.flow_slug) THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation',
      CONSTRAINT = 'slug_is_valid',
      MESSAGE = format('Invalid flow slug %s: a slug has 1 to 128 letters, digits or underscores, does not start with a digit and is not "run" (constraint slug_is_valid)',
                       coalesce(quote_literal(create_flow.flow_slug), 'NULL'));
  END IF;
  PERFORM pgflow._require_option(create_flow.max_attempts, 0, 'max_attempts', 'opt_max_attempts_is_nonnegative', v_owner);
  PERFORM pgflow._require_option(create_flow.base_delay, 0, 'base_delay', 'opt_base_delay_is_nonnegative', v_owner);
  PERFORM pgflow._require_option(create_flow.timeout, 1, 'timeout', 'opt_timeout_is_positive', v_owner);

  INSERT INTO pgflow.flows (flow_slug, opt_max_attempts, opt_base_delay, opt_timeout)
  VALUES (create_flow.flow_slug, coalesce(create_flow.max_attempts, 3), coalesce(create_flow.base_delay, 5),
          coalesce(create_flow.timeout, 60))
  ON CONFLICT ON CONSTRAINT flows_pkey DO NOTHING;

  SELECT f.* INTO v_flow FROM pgflow.flows f WHERE f.flow_slug = create_flow.flow_slug;
  RETURN v_flow;
END;
$$;

--changeset pgflow:010-add-step runOnChange:true splitStatements:false
-- add_step(flow_slug, step_slug, deps_slugs, options..., step_type, patterns, when_unmet, when_exhausted)
-- returns the steps row. Locks the flow row (concurrent add_step calls on one flow are serialised).
-- The step gets the next step_index, so definition order is a topological order and cycles cannot
-- be expressed. Idempotent for an identical step (options are not updated); re-adding a step with
-- other dependencies is an error (pgflow silently desynchronises deps_count there).
-- Errors name the flow and the step: unknown flow (steps_flow_slug_fkey), unknown dependency
-- (deps_flow_slug_dep_slug_fkey), self dependency (deps_check), a map with more than one
-- dependency, invalid slug, step_type, when_* mode, non-object pattern, negative option.
-- step_type 'subflow' / 'map_subflow' (one child run per element, at most one dependency as a
-- map) needs subflow_slug, the flow its tasks start a child run of, which must exist (a flow may
-- name itself: recursion is bounded by pgflow.max_subflow_depth); subflow_slug with another step
-- type, or a subflow step without one, raises invalid_parameter_value (22023) naming the step.
DROP FUNCTION IF EXISTS pgflow.add_step(text, text, text[], int, int, int, int, text, jsonb, jsonb, text, text);
CREATE OR REPLACE FUNCTION pgflow.add_step(
  flow_slug text,
  step_slug text,
  deps_slugs text[] DEFAULT '{}',
  max_attempts int DEFAULT NULL,
  base_delay int DEFAULT NULL,
  timeout int DEFAULT NULL,
  start_delay int DEFAULT NULL,
  step_type text DEFAULT 'single',
  required_input_pattern jsonb DEFAULT NULL,
  forbidden_input_pattern jsonb DEFAULT NULL,
  when_unmet text DEFAULT 'skip',
  when_exhausted text DEFAULT 'fail',
  subflow_slug text DEFAULT NULL)
RETURNS pgflow.steps
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow_slug constant text := add_step.flow_slug;
  v_step_slug constant text := add_step.step_slug;
  v_type constant text := coalesce(add_step.step_type, 'single');
  v_deps text[];
  v_owner text := format('Step "%s" of flow "%s"', add_step.step_slug, add_step.flow_slug);
  v_existing pgflow.steps;
  v_existing_deps text[];
  v_missing text;
  v_step pgflow.steps;
BEGIN
  SELECT coalesce(array_agg(DISTINCT d ORDER BY d), '{}') INTO v_deps
  FROM unnest(coalesce(add_step.deps_slugs, '{}')) AS d;

  IF v_type IN ('map', 'map_subflow') AND cardinality(v_deps) > 1 THEN
    RAISE EXCEPTION 'Map step "%" can have at most one dependency, but % were provided: %',
      v_step_slug, cardinality(v_deps), array_to_string(v_deps, ', ');
  END IF;

  PERFORM 1 FROM pgflow.flows f WHERE f.flow_slug = v_flow_slug FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING
      ERRCODE = 'foreign_key_violation',
      CONSTRAINT = 'steps_flow_slug_fkey',
      MESSAGE = format('%s: flow "%s" does not exist; create it first with pgflow.create_flow', v_owner, v_flow_slug);
  END IF;

  IF NOT pgflow.is_valid_slug(v_step_slug) THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation',
      CONSTRAINT = 'steps_step_slug_check',
      MESSAGE = format('Invalid step slug %s in flow "%s": a slug has 1 to 128 letters, digits or underscores, does not start with a digit and is not "run" (constraint steps_step_slug_check)',
                       coalesce(quote_literal(v_step_slug), 'NULL'), v_flow_slug);
  END IF;
  IF v_type NOT IN ('single', 'map', 'signal', 'subflow', 'map_subflow') THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'steps_step_type_check',
      MESSAGE = format('%s: step_type must be ''single'', ''map'', ''signal'', ''subflow'' or ''map_subflow'', got %L',
                       v_owner, v_type);
  END IF;
  IF v_type IN ('subflow', 'map_subflow') AND add_step.subflow_slug IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('%s: a %s step needs subflow_slug, the flow whose run it starts', v_owner, v_type);
  ELSIF v_type NOT IN ('subflow', 'map_subflow') AND add_step.subflow_slug IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('%s: subflow_slug %L is only for step_type ''subflow'' or ''map_subflow'', not %L', v_owner,
                       add_step.subflow_slug, v_type);
  ELSIF add_step.subflow_slug IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM pgflow.flows f WHERE f.flow_slug = add_step.subflow_slug) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('%s: subflow "%s" does not exist; create the child flow first', v_owner, add_step.subflow_slug),
      HINT = 'SELECT flow_slug FROM pgflow.flows lists the known flows.';
  END IF;
  IF add_step.when_unmet IS NULL OR add_step.when_unmet NOT IN ('fail', 'skip', 'skip-cascade') THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'when_unmet_is_valid',
      MESSAGE = format('%s: when_unmet must be ''fail'', ''skip'' or ''skip-cascade'', got %s', v_owner,
                       coalesce(quote_literal(add_step.when_unmet), 'NULL'));
  END IF;
  IF add_step.when_exhausted IS NULL OR add_step.when_exhausted NOT IN ('fail', 'skip', 'skip-cascade') THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'when_exhausted_is_valid',
      MESSAGE = format('%s: when_exhausted must be ''fail'', ''skip'' or ''skip-cascade'', got %s', v_owner,
                       coalesce(quote_literal(add_step.when_exhausted), 'NULL'));
  END IF;
  IF add_step.required_input_pattern IS NOT NULL AND jsonb_typeof(add_step.required_input_pattern) <> 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'required_input_pattern_is_object',
      MESSAGE = format('%s: required_input_pattern (if) must be a JSON object, got %s', v_owner,
                       jsonb_typeof(add_step.required_input_pattern));
  END IF;
  IF add_step.forbidden_input_pattern IS NOT NULL AND jsonb_typeof(add_step.forbidden_input_pattern) <> 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'forbidden_input_pattern_is_object',
      MESSAGE = format('%s: forbidden_input_pattern (ifNot) must be a JSON object, got %s', v_owner,
                       jsonb_typeof(add_step.forbidden_input_pattern));
  END IF;
  PERFORM pgflow._require_option(add_step.max_attempts, 0, 'max_attempts', 'opt_max_attempts_is_nonnegative', v_owner);
  PERFORM pgflow._require_option(add_step.base_delay, 0, 'base_delay', 'opt_base_delay_is_nonnegative', v_owner);
  PERFORM pgflow._require_option(add_step.timeout, 1, 'timeout', 'opt_timeout_is_positive', v_owner);
  PERFORM pgflow._require_option(add_step.start_delay, 0, 'start_delay', 'opt_start_delay_is_nonnegative', v_owner);

  IF v_step_slug = ANY (v_deps) THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'deps_check',
      MESSAGE = format('%s cannot depend on itself', v_owner);
  END IF;

  SELECT s.* INTO v_existing FROM pgflow.steps s WHERE s.flow_slug = v_flow_slug AND s.step_slug = v_step_slug;
  IF FOUND THEN
    SELECT coalesce(array_agg(d.dep_slug ORDER BY d.dep_slug), '{}') INTO v_existing_deps
    FROM pgflow.deps d WHERE d.flow_slug = v_flow_slug AND d.step_slug = v_step_slug;
    IF v_existing_deps IS DISTINCT FROM v_deps THEN
      RAISE EXCEPTION USING
        ERRCODE = 'unique_violation',
        CONSTRAINT = 'steps_pkey',
        MESSAGE = format('%s already exists with dependencies [%s]; add_step cannot change them to [%s]',
                         v_owner, array_to_string(v_existing_deps, ', '), array_to_string(v_deps, ', ')),
        HINT = format('Flows are immutable once applied: give the changed flow a new slug (e.g. %s_v2), or in development run pgflow.delete_flow_and_data(%L) and apply it again',
                      v_flow_slug, v_flow_slug);
    END IF;
    RETURN v_existing;
  END IF;

  SELECT d INTO v_missing FROM unnest(v_deps) AS d
  WHERE NOT EXISTS (SELECT 1 FROM pgflow.steps s WHERE s.flow_slug = v_flow_slug AND s.step_slug = d)
  ORDER BY d LIMIT 1;
  IF v_missing IS NOT NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = 'foreign_key_violation',
      CONSTRAINT = 'deps_flow_slug_dep_slug_fkey',
      MESSAGE = format('Step "%s" depends on undefined step "%s" in flow "%s"', v_step_slug, v_missing, v_flow_slug);
  END IF;

  INSERT INTO pgflow.steps AS s (flow_slug, step_slug, step_type, step_index, deps_count,
                                 opt_max_attempts, opt_base_delay, opt_timeout, opt_start_delay,
                                 required_input_pattern, forbidden_input_pattern, when_unmet, when_exhausted, subflow_slug)
  VALUES (v_flow_slug, v_step_slug, v_type,
          (SELECT coalesce(max(x.step_index) + 1, 0) FROM pgflow.steps x WHERE x.flow_slug = v_flow_slug),
          cardinality(v_deps), add_step.max_attempts, add_step.base_delay, add_step.timeout, add_step.start_delay,
          add_step.required_input_pattern, add_step.forbidden_input_pattern, add_step.when_unmet, add_step.when_exhausted,
          add_step.subflow_slug)
  RETURNING s.* INTO v_step;

  INSERT INTO pgflow.deps (flow_slug, dep_slug, step_slug)
  SELECT v_flow_slug, d, v_step_slug FROM unnest(v_deps) AS d;

  RETURN v_step;
END;
$$;
