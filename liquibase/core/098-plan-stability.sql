--liquibase formatted sql

--changeset pgflow:098-hot-functions-use-indexes runAlways:true splitStatements:false
--comment: the functions of the hot path find rows by key whatever the statistics say (enable_seqscan off while they run)
-- A fresh database analyzes its tables while they are empty; until autovacuum analyzes them again,
-- the planner believes they are empty and plans sequential scans for lookups by key. Those plans
-- are cached per session for the functions' statements, and one statement that starts thousands of
-- runs never replans: measured 2026-12-02, 20,000 runs in one statement took 244 s (9.5 s after
-- ANALYZE), each start_flow scanning every step_states row, and each completion batch every run.
-- Every statement of these functions has an index on its key, so they run with enable_seqscan off
-- (it penalizes a sequential scan, it does not forbid one where no index applies). runAlways: a
-- later CREATE OR REPLACE of one of them resets its settings, and this runs after it.
DO $plans$
DECLARE
  v_fn regprocedure;
BEGIN
  FOR v_fn IN
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'pgflow'::regnamespace
      AND p.proname IN ('start_flow', 'start_flows', 'start_flow_with_states', 'claim_tasks', 'complete_task', 'complete_tasks',
                        'complete_tasks_and_claim', 'fail_task', 'fail_tasks', 'release_tasks', 'cancel_run', 'retry_run', 'restart_run',
                        'start_ready_steps', 'maybe_complete_run', 'cascade_complete_taskless_steps', 'cascade_resolve_conditions')
  LOOP
    EXECUTE format('ALTER FUNCTION %s SET enable_seqscan = off', v_fn);
  END LOOP;
END
$plans$;
