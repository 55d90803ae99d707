--liquibase formatted sql

--changeset pgflow:095-least-privilege-roles runAlways:true splitStatements:false
--comment: roles pgflow_reader, pgflow_worker, pgflow_operator; the functions they call run as the schema owner (SECURITY DEFINER, fixed search_path); nothing else is executable by PUBLIC
-- Three NOLOGIN roles to grant to the login roles of servers and people; none has rights on the
-- engine's tables beyond reading them, every change goes through the functions granted here:
--   pgflow_reader    SELECT on the engine's tables (pgflow and pgflow_internal); the read functions (get_run_with_states,
--                    shapes), and subscribe_events / unsubscribe_events (live events in the console)
--   pgflow_worker    pgflow_reader, and what a worker calls: register_worker, heartbeat,
--                    mark_worker_stopped, claim_tasks, complete_task(s), complete_tasks_and_claim, fail_task(s)
--   pgflow_operator  pgflow_reader, and start_flow(s), start_flow_with_states, cancel_run,
--                    retry_run, restart_run, pause_flow, resume_flow, set_flow_concurrency; and
--                    the batch jobs' bookkeeping tables (pgflow_internal.job_*: select, insert, update)
-- Everything else (create_flow, add_step, ensure_flow_compiled, delete_flow_and_data,
-- prune_data_older_than, the internal _functions, ...) stays with the schema's owner: the role
-- that applies these changelogs. The granted functions that change state are SECURITY DEFINER with
-- search_path fixed to pg_catalog, pgflow, pg_temp (so are the read functions that use internal
-- helpers: get_run_with_states and the shape functions), so they act as the owner whoever calls them,
-- and a caller's own objects cannot stand in for the engine's. Runs on every migration (cheap):
-- CREATE OR REPLACE FUNCTION in an earlier changelog resets SECURITY DEFINER, and a new function
-- starts executable by PUBLIC.
-- Roles are cluster-wide: they are created when the migrating role may create roles (superuser or
-- CREATEROLE); otherwise a NOTICE says which are missing and their grants wait for the next
-- migration after a DBA created them (CREATE ROLE pgflow_reader NOLOGIN; ...).
DO $roles$
DECLARE
  v_role text;
  v_fn record;
  v_can_create boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole));
  v_grants constant jsonb := '{
    "pgflow_reader":   {"definer": ["subscribe_events", "unsubscribe_events", "get_run_with_states", "get_flow_shape",
                                    "compare_flow_shapes"],
                        "invoker": ["is_valid_slug", "calculate_retry_delay"]},
    "pgflow_worker":   {"definer": ["register_worker", "heartbeat", "mark_worker_stopped", "claim_tasks",
                                    "complete_task", "complete_tasks", "complete_tasks_and_claim", "fail_task", "fail_tasks"]},
    "pgflow_operator": {"definer": ["start_flow", "start_flows", "start_flow_with_states", "cancel_run", "retry_run",
                                    "restart_run", "pause_flow", "resume_flow", "set_flow_concurrency"]}
  }'::jsonb;
BEGIN
  -- nothing of the engine is callable by everyone: only the owner and the roles granted below
  REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pgflow FROM PUBLIC;
  REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pgflow_internal FROM PUBLIC;
  REVOKE ALL ON ALL TABLES IN SCHEMA pgflow FROM PUBLIC;
  REVOKE ALL ON ALL TABLES IN SCHEMA pgflow_internal FROM PUBLIC;

  FOR v_role IN SELECT jsonb_object_keys(v_grants) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
      IF v_can_create THEN
        BEGIN
          EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL; -- created meanwhile by a migration of another database of this cluster
        END;
      ELSE
        RAISE NOTICE 'role % does not exist and % may not create roles: ask a DBA to run CREATE ROLE % NOLOGIN, then migrate again',
          v_role, current_user, v_role;
      END IF;
    END IF;
  END LOOP;

  -- the functions that act for their callers: as the owner, with a search_path nobody can bend
  FOR v_fn IN
    SELECT p.oid::regprocedure AS signature, r.key AS role_name, d.kind
    FROM jsonb_each(v_grants) r
    CROSS JOIN LATERAL (SELECT 'definer' AS kind, f FROM jsonb_array_elements_text(r.value -> 'definer') f
                        UNION ALL
                        SELECT 'invoker', f FROM jsonb_array_elements_text(coalesce(r.value -> 'invoker', '[]')) f) d
    JOIN pg_proc p ON p.proname = d.f AND p.pronamespace = 'pgflow'::regnamespace
  LOOP
    IF v_fn.kind = 'definer' THEN
      EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp', v_fn.signature);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_fn.role_name) THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_fn.signature, v_fn.role_name);
    END IF;
  END LOOP;

  -- deletes data: stays the owner's to call, but runs as the owner when a DBA grants it to a login
  ALTER FUNCTION pgflow.prune_data_older_than(interval) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;

  -- the bulk operations' bookkeeping (batch jobs started by operators: items, skips, partitions)
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
    GRANT USAGE ON SCHEMA pgflow_internal TO pgflow_operator;
    GRANT SELECT, INSERT, UPDATE ON pgflow_internal.job_executions, pgflow_internal.job_items,
      pgflow_internal.job_skips, pgflow_internal.job_partitions TO pgflow_operator;
  END IF;

  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT USAGE ON SCHEMA pgflow TO pgflow_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA pgflow TO pgflow_reader;
    -- the engine's internal tables hold read-model data too (task attempts, event replay, job progress)
    GRANT USAGE ON SCHEMA pgflow_internal TO pgflow_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA pgflow_internal TO pgflow_reader;
    FOREACH v_role IN ARRAY ARRAY['pgflow_worker', 'pgflow_operator'] LOOP
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role)
         AND NOT pg_has_role(v_role, 'pgflow_reader', 'MEMBER') THEN
        BEGIN
          EXECUTE format('GRANT pgflow_reader TO %I', v_role);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL; -- granted meanwhile by a migration of another database of this cluster
        END;
      END IF;
    END LOOP;
  END IF;
END
$roles$;
