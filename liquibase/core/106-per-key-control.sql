--liquibase formatted sql

--changeset pgflow:106-per-key-control-schema
--comment: concurrency keys and priorities on runs and tasks, per-key limits and rate limits on flows, the key queue and the token buckets
-- runs.concurrency_key (NULL: no key) and runs.priority (-100..100, higher first) are copied onto
-- every task of the run when it is queued (step_tasks.concurrency_key: '' for a run without a key,
-- so that those tasks form one group and every claim condition is an equality on the index).
ALTER TABLE pgflow.runs
  ADD COLUMN concurrency_key text,
  ADD COLUMN priority int NOT NULL DEFAULT 0,
  ADD CONSTRAINT runs_priority_range CHECK (priority BETWEEN -100 AND 100),
  ADD CONSTRAINT runs_concurrency_key_text CHECK (concurrency_key <> '' AND length(concurrency_key) <= 200);
ALTER TABLE pgflow.step_tasks
  ADD COLUMN concurrency_key text NOT NULL DEFAULT '',
  ADD COLUMN priority int NOT NULL DEFAULT 0;
ALTER TABLE pgflow.flows
  ADD COLUMN max_running_per_key int CONSTRAINT flows_max_running_per_key_positive CHECK (max_running_per_key >= 1),
  ADD COLUMN rate_per_second numeric CONSTRAINT flows_rate_positive CHECK (rate_per_second > 0),
  ADD COLUMN rate_burst int CONSTRAINT flows_rate_burst_positive CHECK (rate_burst >= 1),
  ADD COLUMN rate_per_key boolean NOT NULL DEFAULT false;
CREATE INDEX idx_runs_concurrency_key ON pgflow.runs (flow_slug, concurrency_key, started_at DESC) WHERE concurrency_key IS NOT NULL;

-- the queue, now in claim order: one key's (or the keyless group's) tasks, higher priority first
DROP INDEX pgflow.idx_step_tasks_queued;
CREATE INDEX idx_step_tasks_queued ON pgflow.step_tasks (flow_slug, concurrency_key, priority DESC, visible_at) WHERE status = 'queued';
DROP INDEX pgflow.idx_step_tasks_queued_fair;
CREATE INDEX idx_step_tasks_queued_fair ON pgflow.step_tasks (flow_slug, priority DESC, task_index, visible_at) WHERE status = 'queued';
-- the started tasks of each key (the per-key limit counts them); keyless tasks are not in it
CREATE INDEX idx_step_tasks_started_key ON pgflow.step_tasks (flow_slug, concurrency_key) WHERE status = 'started' AND concurrency_key <> '';

-- One row per key of a flow that ever queued a task with a key ('' is the group of runs without a
-- key, created by the first keyed claim): the claim serves the keys in turn (priority DESC, turn_at)
-- and locks the row of each key it takes tasks of, so claims of different keys never wait for each
-- other; tokens/refilled_at are the key's token bucket (rate_per_key; NULL tokens: full).
CREATE TABLE pgflow_internal.concurrency_keys (
  flow_slug text NOT NULL REFERENCES pgflow.flows (flow_slug) ON DELETE CASCADE,
  concurrency_key text NOT NULL,
  priority int NOT NULL DEFAULT 0,
  idle boolean NOT NULL DEFAULT false,
  turn_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  tokens numeric,
  refilled_at timestamptz,
  PRIMARY KEY (flow_slug, concurrency_key)
);
CREATE INDEX idx_concurrency_keys_turn ON pgflow_internal.concurrency_keys (flow_slug, priority DESC, turn_at) WHERE NOT idle;
CREATE INDEX idx_concurrency_keys_idle ON pgflow_internal.concurrency_keys (turn_at) WHERE idle;
ALTER TABLE pgflow_internal.concurrency_keys SET (fillfactor = 70);

-- the token bucket of a flow with a flow-wide rate limit (set_rate_limit without per_key)
CREATE TABLE pgflow_internal.rate_buckets (
  flow_slug text PRIMARY KEY REFERENCES pgflow.flows (flow_slug) ON DELETE CASCADE,
  tokens numeric NOT NULL,
  refilled_at timestamptz NOT NULL
);
--rollback DROP TABLE pgflow_internal.rate_buckets; DROP TABLE pgflow_internal.concurrency_keys; DROP INDEX pgflow.idx_step_tasks_started_key; DROP INDEX pgflow.idx_step_tasks_queued_fair; CREATE INDEX idx_step_tasks_queued_fair ON pgflow.step_tasks (flow_slug, task_index, visible_at) WHERE status = 'queued'; DROP INDEX pgflow.idx_step_tasks_queued; CREATE INDEX idx_step_tasks_queued ON pgflow.step_tasks (flow_slug, visible_at) WHERE status = 'queued'; DROP INDEX pgflow.idx_runs_concurrency_key; ALTER TABLE pgflow.flows DROP COLUMN rate_per_key, DROP COLUMN rate_burst, DROP COLUMN rate_per_second, DROP COLUMN max_running_per_key; ALTER TABLE pgflow.step_tasks DROP COLUMN priority, DROP COLUMN concurrency_key; ALTER TABLE pgflow.runs DROP CONSTRAINT runs_concurrency_key_text, DROP CONSTRAINT runs_priority_range, DROP COLUMN priority, DROP COLUMN concurrency_key;

--changeset pgflow:106-key-queued runOnChange:true splitStatements:false
-- _key_queued(): trigger of step_tasks, for a task of a key that becomes queued (inserted, retried,
-- released, snoozed, or its priority raised): makes sure its key has a row, wakes an idle key (it
-- joins the end of the round: turn_at = now) and raises the key's priority to the task's. Never
-- waits: a key row locked by a claim is left as it is (the claim holding it reads the queue after
-- this commits or before: a key the claim marks idle meanwhile is woken by the next tick()).
CREATE OR REPLACE FUNCTION pgflow._key_queued()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_key record;
BEGIN
  SELECT k.idle, k.priority INTO v_key FROM pgflow_internal.concurrency_keys k
  WHERE k.flow_slug = NEW.flow_slug AND k.concurrency_key = NEW.concurrency_key;
  IF NOT FOUND THEN
    INSERT INTO pgflow_internal.concurrency_keys (flow_slug, concurrency_key, priority)
    VALUES (NEW.flow_slug, NEW.concurrency_key, NEW.priority)
    ON CONFLICT DO NOTHING;
  ELSIF v_key.idle OR v_key.priority < NEW.priority THEN
    UPDATE pgflow_internal.concurrency_keys k
    SET idle = false, priority = greatest(k.priority, NEW.priority),
        turn_at = CASE WHEN k.idle THEN clock_timestamp() ELSE k.turn_at END
    WHERE (k.flow_slug, k.concurrency_key) IN (SELECT l.flow_slug, l.concurrency_key FROM pgflow_internal.concurrency_keys l
                                               WHERE l.flow_slug = NEW.flow_slug AND l.concurrency_key = NEW.concurrency_key
                                               FOR NO KEY UPDATE SKIP LOCKED);
  END IF;
  RETURN NULL;
END;
$$;

--changeset pgflow:106-key-queued-triggers
-- only tasks with a key fire them (the WHEN is checked before any call): keyless flows pay nothing
CREATE TRIGGER step_tasks_key_queued_insert AFTER INSERT ON pgflow.step_tasks
FOR EACH ROW WHEN (NEW.concurrency_key <> '' AND NEW.status = 'queued')
EXECUTE FUNCTION pgflow._key_queued();
CREATE TRIGGER step_tasks_key_queued_update AFTER UPDATE OF status, priority ON pgflow.step_tasks
FOR EACH ROW WHEN (NEW.concurrency_key <> '' AND NEW.status = 'queued' AND (OLD.status <> 'queued' OR NEW.priority > OLD.priority))
EXECUTE FUNCTION pgflow._key_queued();
--rollback DROP TRIGGER step_tasks_key_queued_update ON pgflow.step_tasks; DROP TRIGGER step_tasks_key_queued_insert ON pgflow.step_tasks;

--changeset pgflow:106-check-run-key runOnChange:true splitStatements:false
-- _check_run_key(flow_slug, concurrency_key, priority, item): the refusal of a bad concurrency key
-- or priority for start_flow / start_flows (item: the refused element of start_flows, or NULL),
-- invalid_parameter_value naming the flow, the item and the value.
CREATE OR REPLACE FUNCTION pgflow._check_run_key(p_flow text, p_key text, p_priority int, p_item int)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  v_where constant text := format('Flow "%s"', p_flow) || CASE WHEN p_item IS NOT NULL THEN format(', item %s', p_item) ELSE '' END;
BEGIN
  IF p_key = '' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('%s: concurrency_key must not be empty (pass NULL for a run without a key)', v_where);
  ELSIF length(p_key) > 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('%s: concurrency_key is %s characters long; at most 200 are allowed', v_where, length(p_key));
  ELSIF p_priority NOT BETWEEN -100 AND 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('%s: priority must be between -100 and 100 (higher runs first), got %s', v_where, p_priority);
  END IF;
END;
$$;

--changeset pgflow:106-set-key-concurrency runOnChange:true splitStatements:false
-- set_key_concurrency(flow_slug, max_running_per_key) returns the flow. At most that many tasks of
-- one concurrency key of the flow are started at once, across all workers and servers, enforced by
-- claim_tasks under a lock of that key's row only (claims of other keys do not wait). A task holds
-- its key's slot from its claim until it completes, fails, is cancelled or released, or its lease
-- expires on its last attempt (an expired lease with attempts left keeps the slot: its worker may
-- still be running it, and the next claim takes it first). Subflow tasks waiting for their child run
-- hold no slot. Runs without a key are not limited by it; set_flow_concurrency still applies on top.
-- NULL removes the limit. Wakes the flow's workers.
-- Errors: unknown flow (no_data_found); a limit below 1 (invalid_parameter_value).
CREATE OR REPLACE FUNCTION pgflow.set_key_concurrency(flow_slug text, max_running_per_key int)
RETURNS pgflow.flows
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow pgflow.flows;
BEGIN
  IF max_running_per_key IS NOT NULL AND max_running_per_key < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Flow "%s": max_running_per_key must be at least 1, got %s (NULL removes the limit)',
                       set_key_concurrency.flow_slug, max_running_per_key);
  END IF;
  UPDATE pgflow.flows f SET max_running_per_key = set_key_concurrency.max_running_per_key
  WHERE f.flow_slug = set_key_concurrency.flow_slug
  RETURNING f.* INTO v_flow;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_flow(set_key_concurrency.flow_slug);
  END IF;
  PERFORM pg_notify('pgflow_tasks', v_flow.flow_slug);
  RETURN v_flow;
END;
$$;

--changeset pgflow:106-set-rate-limit runOnChange:true splitStatements:false
-- set_rate_limit(flow_slug, per_second, burst, per_key) returns the flow. Claims start at most as
-- many tasks of the flow (per_key: of each concurrency key; runs without a key are then not limited)
-- as a token bucket of per_second tokens a second holding at most burst tokens allows, across all
-- workers and servers; tasks over the limit stay queued and are claimed as tokens come back. Every
-- bucket starts full (burst tokens), also when the limit is changed; burst defaults to per_second
-- rounded up. A claim of a task whose lease expired takes a token of the flow's bucket, not of its
-- key's. NULL per_second removes the limit. Wakes the flow's workers.
-- Errors: unknown flow (no_data_found); per_second not above 0, burst below 1 (invalid_parameter_value).
CREATE OR REPLACE FUNCTION pgflow.set_rate_limit(flow_slug text, per_second numeric, burst int DEFAULT NULL,
                                                 per_key boolean DEFAULT false)
RETURNS pgflow.flows
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_flow pgflow.flows;
  v_burst int := set_rate_limit.burst;
BEGIN
  IF per_second IS NOT NULL AND per_second <= 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Flow "%s": per_second must be above 0, got %s (NULL removes the rate limit; pgflow.pause_flow stops claiming)',
                       set_rate_limit.flow_slug, per_second);
  END IF;
  IF v_burst IS NOT NULL AND v_burst < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Flow "%s": burst must be at least 1, got %s (NULL: per_second rounded up)', set_rate_limit.flow_slug, v_burst);
  END IF;
  IF per_second IS NULL THEN
    v_burst := NULL;
  ELSE
    v_burst := coalesce(v_burst, ceil(per_second)::int);
  END IF;
  UPDATE pgflow.flows f
  SET rate_per_second = set_rate_limit.per_second, rate_burst = v_burst,
      rate_per_key = per_second IS NOT NULL AND coalesce(set_rate_limit.per_key, false)
  WHERE f.flow_slug = set_rate_limit.flow_slug
  RETURNING f.* INTO v_flow;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_flow(set_rate_limit.flow_slug);
  END IF;
  -- every bucket starts full
  DELETE FROM pgflow_internal.rate_buckets b WHERE b.flow_slug = v_flow.flow_slug;
  IF v_flow.rate_per_second IS NOT NULL AND NOT v_flow.rate_per_key THEN
    INSERT INTO pgflow_internal.rate_buckets (flow_slug, tokens, refilled_at) VALUES (v_flow.flow_slug, v_burst, clock_timestamp());
  END IF;
  UPDATE pgflow_internal.concurrency_keys k SET tokens = NULL, refilled_at = NULL
  WHERE k.flow_slug = v_flow.flow_slug AND k.tokens IS NOT NULL;
  PERFORM pg_notify('pgflow_tasks', v_flow.flow_slug);
  RETURN v_flow;
END;
$$;

--changeset pgflow:106-set-run-priority runOnChange:true splitStatements:false
-- set_run_priority(run_id, priority) returns the run. The run, the child runs it started (subflows,
-- all levels) and their tasks not yet finished take the new priority: queued tasks are claimed in
-- its order from now on, tasks queued later (next steps, retries) inherit it. A finished run is
-- left as it is (returned unchanged). Wakes the flow's workers.
-- Errors: unknown run (no_data_found); priority outside -100..100 (invalid_parameter_value).
CREATE OR REPLACE FUNCTION pgflow.set_run_priority(run_id uuid, priority int)
RETURNS pgflow.runs
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_run pgflow.runs;
  v_runs uuid[];
BEGIN
  SELECT r.* INTO v_run FROM pgflow.runs r WHERE r.run_id = set_run_priority.run_id;
  IF NOT FOUND THEN
    PERFORM pgflow._raise_unknown_run(set_run_priority.run_id);
  END IF;
  IF set_run_priority.priority IS NULL OR set_run_priority.priority NOT BETWEEN -100 AND 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Run %s: priority must be between -100 and 100 (higher runs first), got %s',
                       set_run_priority.run_id, coalesce(set_run_priority.priority::text, 'NULL'));
  END IF;
  IF v_run.status <> 'started' THEN
    RETURN v_run;
  END IF;
  WITH RECURSIVE family AS (
    SELECT v_run.run_id AS run_id
    UNION ALL
    SELECT c.run_id FROM pgflow.runs c JOIN family f ON c.parent_run_id = f.run_id WHERE c.status = 'started'
  )
  SELECT array_agg(f.run_id) INTO v_runs FROM family f;
  UPDATE pgflow.runs r SET priority = set_run_priority.priority WHERE r.run_id = ANY (v_runs);
  UPDATE pgflow.step_tasks t SET priority = set_run_priority.priority
  WHERE t.run_id = ANY (v_runs) AND t.status IN ('queued', 'started') AND t.priority <> set_run_priority.priority;
  -- a lowered priority: the keys' priority is an upper bound, set again from their queues
  UPDATE pgflow_internal.concurrency_keys k
  SET priority = coalesce((SELECT t.priority FROM pgflow.step_tasks t
                           WHERE t.flow_slug = k.flow_slug AND t.concurrency_key = k.concurrency_key AND t.status = 'queued'
                           ORDER BY t.priority DESC LIMIT 1), 0)
  WHERE (k.flow_slug, k.concurrency_key) IN (SELECT DISTINCT t.flow_slug, t.concurrency_key FROM pgflow.step_tasks t
                                             WHERE t.run_id = ANY (v_runs) AND t.status = 'queued')
    AND k.priority > set_run_priority.priority;
  PERFORM pg_notify('pgflow_tasks', f) FROM (SELECT DISTINCT r.flow_slug AS f FROM pgflow.runs r WHERE r.run_id = ANY (v_runs)) x;
  SELECT r.* INTO v_run FROM pgflow.runs r WHERE r.run_id = set_run_priority.run_id;
  RETURN v_run;
END;
$$;

--changeset pgflow:106-claim-ready-at runOnChange:true splitStatements:false
-- claim_ready_at(flow_slug) returns when a claim of the flow can next get a task that a rate limit
-- holds back (NULL: no rate limit holds anything back now). A worker whose claim got nothing waits
-- until then rather than polling: for a flow-wide limit, the time its bucket holds one token; per
-- key, the earliest time one of the keys with queued tasks and an empty bucket holds one.
CREATE OR REPLACE FUNCTION pgflow.claim_ready_at(flow_slug text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_flow pgflow.flows;
  v_at timestamptz;
BEGIN
  SELECT f.* INTO v_flow FROM pgflow.flows f WHERE f.flow_slug = claim_ready_at.flow_slug;
  IF NOT FOUND OR v_flow.rate_per_second IS NULL THEN
    RETURN NULL;
  END IF;
  IF NOT v_flow.rate_per_key THEN
    SELECT b.refilled_at + make_interval(secs => ((1 - b.tokens) / v_flow.rate_per_second)::double precision) INTO v_at
    FROM pgflow_internal.rate_buckets b WHERE b.flow_slug = v_flow.flow_slug AND b.tokens < 1;
  ELSE
    SELECT min(k.refilled_at + make_interval(secs => ((1 - k.tokens) / v_flow.rate_per_second)::double precision)) INTO v_at
    FROM pgflow_internal.concurrency_keys k
    WHERE k.flow_slug = v_flow.flow_slug AND NOT k.idle AND k.tokens < 1;
  END IF;
  RETURN CASE WHEN v_at > clock_timestamp() THEN v_at END;
END;
$$;

--changeset pgflow:106-claim-by-key runOnChange:true splitStatements:false
-- _claim_by_key(flow_slug, max_tasks, now, max_running_per_key, rate_per_second, rate_burst, rate_per_key)
-- picks up to max_tasks queued, visible tasks of a flow whose tasks have concurrency keys and locks
-- them (FOR UPDATE); claim_tasks starts them. Fairness: the keys with queued tasks take turns
-- (highest priority first, then the key served longest ago: turn_at), one task per key in a first
-- round, then more of the same keys in the same order while tasks are wanted; the runs without a
-- key form one more key (''). Each visited key's row is locked (SKIP LOCKED: a key another claim
-- holds is passed over), its started tasks counted against max_running_per_key and its bucket
-- refilled and spent (rate_per_key); within a key, tasks are taken by priority, then oldest
-- visible_at. A visited key goes to the end of the round (turn_at = now); one with no task left,
-- queued or started, becomes idle until a task of it is queued. At most 2 * max_tasks + 16 keys are
-- visited per claim.
CREATE OR REPLACE FUNCTION pgflow._claim_by_key(p_flow text, p_max int, p_now timestamptz, p_per_key int, p_rate numeric,
                                                p_burst int, p_rate_per_key boolean)
RETURNS TABLE (run_id uuid, step_slug text, task_index int, visible_at timestamptz)
LANGUAGE plpgsql VOLATILE
-- as claim_tasks: one generic plan, rows found by key lookups whatever the statistics say
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
#variable_conflict use_column
DECLARE
  v_left int := p_max;
  v_key record;
  v_keys text[] := '{}';
  v_room int[] := '{}';
  v_tokens numeric[] := '{}';
  v_room_now int;
  v_tokens_now numeric;
  v_running int;
  v_taken int;
  v_r uuid[] := '{}';
  v_s text[] := '{}';
  v_i int[] := '{}';
  v_v timestamptz[] := '{}';
  v_pick record;
  v_pass int;
  v_k int;
  v_take int;
BEGIN
  INSERT INTO pgflow_internal.concurrency_keys (flow_slug, concurrency_key) VALUES (p_flow, '') ON CONFLICT DO NOTHING;
  -- first round: one task of each key in turn
  FOR v_key IN
    SELECT k.concurrency_key AS key, k.tokens, k.refilled_at FROM pgflow_internal.concurrency_keys k
    WHERE k.flow_slug = p_flow AND NOT k.idle
    ORDER BY k.priority DESC, k.turn_at
    LIMIT 2 * p_max + 16
    FOR NO KEY UPDATE SKIP LOCKED
  LOOP
    EXIT WHEN v_left = 0;
    v_room_now := v_left;
    v_tokens_now := NULL;
    IF v_key.key <> '' AND p_per_key IS NOT NULL THEN
      -- concurrency_key <> '' repeats the partial index's predicate: a generic plan cannot prove it from the parameter
      SELECT count(*) INTO v_running FROM pgflow.step_tasks t
      WHERE t.flow_slug = p_flow AND t.concurrency_key = v_key.key AND t.concurrency_key <> '' AND t.status = 'started'
        AND t.child_run_id IS NULL;
      v_room_now := least(v_room_now, p_per_key - v_running);
    END IF;
    IF v_key.key <> '' AND p_rate_per_key THEN
      v_tokens_now := CASE WHEN v_key.tokens IS NULL THEN p_burst
                           ELSE least(p_burst, v_key.tokens + p_rate * extract(epoch FROM p_now - v_key.refilled_at)) END;
      v_room_now := least(v_room_now, floor(v_tokens_now)::int);
    END IF;
    v_taken := 0;
    IF v_room_now > 0 THEN
      FOR v_pick IN
        SELECT t.run_id, t.step_slug, t.task_index, t.visible_at FROM pgflow.step_tasks t
        WHERE t.flow_slug = p_flow AND t.concurrency_key = v_key.key AND t.status = 'queued' AND t.visible_at <= p_now
        ORDER BY t.priority DESC, t.visible_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      LOOP
        v_r := v_r || v_pick.run_id; v_s := v_s || v_pick.step_slug; v_i := v_i || v_pick.task_index; v_v := v_v || v_pick.visible_at;
        v_taken := 1;
      END LOOP;
    END IF;
    v_left := v_left - v_taken;
    v_keys := v_keys || v_key.key;
    v_room := v_room || (greatest(v_room_now, 0) - v_taken);
    v_tokens := v_tokens || (v_tokens_now - v_taken);
  END LOOP;

  -- further rounds: more tasks of the same keys, in the same order
  FOR v_pass IN 1..2 LOOP
    EXIT WHEN v_left = 0;
    FOR v_k IN 1..cardinality(v_keys) LOOP
      EXIT WHEN v_left = 0;
      CONTINUE WHEN v_room[v_k] <= 0;
      v_take := CASE WHEN v_pass = 1 THEN 1 ELSE least(v_room[v_k], v_left) END;
      v_taken := 0;
      FOR v_pick IN
        SELECT t.run_id, t.step_slug, t.task_index, t.visible_at FROM pgflow.step_tasks t
        WHERE t.flow_slug = p_flow AND t.concurrency_key = v_keys[v_k] AND t.status = 'queued' AND t.visible_at <= p_now
          AND NOT (t.run_id, t.step_slug, t.task_index) IN (SELECT * FROM unnest(v_r, v_s, v_i))
        ORDER BY t.priority DESC, t.visible_at
        LIMIT v_take
        FOR UPDATE SKIP LOCKED
      LOOP
        v_r := v_r || v_pick.run_id; v_s := v_s || v_pick.step_slug; v_i := v_i || v_pick.task_index; v_v := v_v || v_pick.visible_at;
        v_taken := v_taken + 1;
      END LOOP;
      v_left := v_left - v_taken;
      v_room[v_k] := CASE WHEN v_taken < v_take THEN 0 ELSE v_room[v_k] - v_taken END;
      v_tokens[v_k] := v_tokens[v_k] - v_taken;
    END LOOP;
  END LOOP;

  -- the visited keys go to the end of the round; their priority follows their queue; the empty ones idle
  UPDATE pgflow_internal.concurrency_keys k
  SET turn_at = clock_timestamp(),
      priority = coalesce(h.priority, 0),
      idle = k.concurrency_key <> '' AND h.priority IS NULL
             AND NOT EXISTS (SELECT 1 FROM pgflow.step_tasks t
                             WHERE t.flow_slug = k.flow_slug AND t.concurrency_key = k.concurrency_key AND t.concurrency_key <> ''
                               AND t.status = 'started'),
      tokens = CASE WHEN v.tokens IS NOT NULL THEN v.tokens ELSE k.tokens END,
      refilled_at = CASE WHEN v.tokens IS NOT NULL THEN p_now ELSE k.refilled_at END
  FROM unnest(v_keys, v_tokens) AS v(key, tokens)
  LEFT JOIN LATERAL (SELECT t.priority FROM pgflow.step_tasks t
                     WHERE t.flow_slug = p_flow AND t.concurrency_key = v.key AND t.status = 'queued'
                       AND NOT (t.run_id, t.step_slug, t.task_index) IN (SELECT * FROM unnest(v_r, v_s, v_i))
                     ORDER BY t.priority DESC LIMIT 1) h ON true
  WHERE k.flow_slug = p_flow AND k.concurrency_key = v.key;

  RETURN QUERY SELECT * FROM unnest(v_r, v_s, v_i, v_v);
END;
$$;

--changeset pgflow:106-wake-keys runOnChange:true splitStatements:false
-- _wake_keys() wakes the keys that went idle in the last 10 minutes and have queued or started
-- tasks (a task queued while the claim that marked its key idle had not committed: the queueing
-- does not wait for the claim's lock) and returns how many; tick() calls it every second.
CREATE OR REPLACE FUNCTION pgflow._wake_keys()
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_woken int;
BEGIN
  WITH woken AS (
    UPDATE pgflow_internal.concurrency_keys k SET idle = false, turn_at = clock_timestamp()
    WHERE (k.flow_slug, k.concurrency_key) IN (
      SELECT l.flow_slug, l.concurrency_key FROM pgflow_internal.concurrency_keys l
      -- one probe of each partial index (a status IN (...) list can use neither: it read the whole table per key)
      WHERE l.idle AND l.turn_at > clock_timestamp() - interval '10 minutes' AND l.concurrency_key <> ''
        AND (EXISTS (SELECT 1 FROM pgflow.step_tasks t
                     WHERE t.flow_slug = l.flow_slug AND t.concurrency_key = l.concurrency_key AND t.status = 'queued')
             OR EXISTS (SELECT 1 FROM pgflow.step_tasks t
                        WHERE t.flow_slug = l.flow_slug AND t.concurrency_key = l.concurrency_key AND t.concurrency_key <> ''
                          AND t.status = 'started'))
      FOR NO KEY UPDATE SKIP LOCKED)
    RETURNING 1
  )
  SELECT count(*) INTO v_woken FROM woken;
  RETURN v_woken;
END;
$$;

--changeset pgflow:106-per-key-grants runAlways:true runOnChange:true splitStatements:false
REVOKE ALL ON FUNCTION pgflow._key_queued() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._check_run_key(text, text, int, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._claim_by_key(text, int, timestamptz, int, numeric, int, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow._wake_keys() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow.set_key_concurrency(text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow.set_rate_limit(text, numeric, int, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow.set_run_priority(uuid, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgflow.claim_ready_at(text) FROM PUBLIC;
DO $grants$
DECLARE
  v_fn text;
BEGIN
  FOREACH v_fn IN ARRAY ARRAY['pgflow.set_key_concurrency(text, int)', 'pgflow.set_rate_limit(text, numeric, int, boolean)',
                              'pgflow.set_run_priority(uuid, int)']
  LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp', v_fn);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pgflow_operator', v_fn);
    END IF;
  END LOOP;
  ALTER FUNCTION pgflow.claim_ready_at(text) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_worker') THEN
    GRANT EXECUTE ON FUNCTION pgflow.claim_ready_at(text) TO pgflow_worker;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT EXECUTE ON FUNCTION pgflow.claim_ready_at(text) TO pgflow_reader;
    -- 095 grants SELECT on the tables that existed when it ran (before this changelog made these)
    GRANT SELECT ON pgflow_internal.concurrency_keys, pgflow_internal.rate_buckets TO pgflow_reader;
  END IF;
END
$grants$;
