--liquibase formatted sql

--changeset pgflow:099-hot-functions-join-by-key runAlways:true splitStatements:false
--comment: the worker path's functions join their batch to the tables only by key lookups (enable_hashjoin and enable_mergejoin off while they run)
-- A session keeps the plans of these functions' statements (generic plans, cached per
-- connection) until something invalidates them, and table growth does not: only an ANALYZE does.
-- A worker's connection that planned them while the tables held a few runs (the first minutes of
-- an installation, or after a prune emptied them) kept, after a burst had grown the tables to
-- thousands of rows, joins that read a whole table through an index (measured 2026-12-02,
-- docs/performance.md "Plan stability"): complete_tasks' update of runs.remaining_steps as a merge
-- join over all of runs_pkey (14 ms and 11,500 buffers for a batch of 50 with 20,000 runs, against
-- 0.7 ms), its update of the step states as a hash join over all of idx_step_states_flow, and
-- claim_tasks' join of the claimed tasks to their runs; claim_tasks' fair half chose, even on
-- analyzed tables, a hash anti join over every queued task of the flow and a sort (15-24 ms per
-- claim of 50 with 15,000 map tasks queued, against 1.7-2.9 ms as a nested loop that stops at
-- its LIMIT). Every join in these functions joins a batch (at most the tasks of one call) to a
-- table on its key, so a nested loop of index lookups is right at every table size; the settings
-- only penalize the other join methods (a join that has no other way still runs). Start functions
-- are left out: start_flows joins up to its whole input array. runAlways: a later CREATE OR
-- REPLACE of one of them resets its settings, and this runs after it.
DO $plans$
DECLARE
  v_fn regprocedure;
BEGIN
  FOR v_fn IN
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'pgflow'::regnamespace
      AND p.proname IN ('claim_tasks', 'complete_task', 'complete_tasks', 'complete_tasks_and_claim', 'fail_task', 'fail_tasks',
                        'release_tasks')
  LOOP
    EXECUTE format('ALTER FUNCTION %s SET enable_hashjoin = off', v_fn);
    EXECUTE format('ALTER FUNCTION %s SET enable_mergejoin = off', v_fn);
  END LOOP;
END
$plans$;
