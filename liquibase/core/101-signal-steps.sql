--liquibase formatted sql

--changeset pgflow:101-signal-steps-schema
--comment: signal steps wait for pgflow.send_signal instead of running a handler
ALTER TABLE pgflow.steps DROP CONSTRAINT steps_step_type_check;
ALTER TABLE pgflow.steps ADD CONSTRAINT steps_step_type_check CHECK (step_type IN ('single', 'map', 'signal'));
ALTER TABLE pgflow.step_states ADD COLUMN wait_deadline timestamptz;
ALTER TABLE pgflow.step_states ADD COLUMN signal_payload jsonb;
ALTER TABLE pgflow.step_states ADD COLUMN signal_at timestamptz;
COMMENT ON COLUMN pgflow.step_states.wait_deadline IS
  'a waiting signal step: when tick() fails it for want of a signal (NULL: it waits forever)';
COMMENT ON COLUMN pgflow.step_states.signal_at IS
  'a signal step: when send_signal delivered or buffered its payload (signal_payload); a second signal is ignored';
-- tick() reads only the waits that have a deadline: its cost does not grow with the waits without one
CREATE INDEX idx_step_states_wait_deadline ON pgflow.step_states (wait_deadline) WHERE status = 'started' AND wait_deadline IS NOT NULL;
--rollback DROP INDEX pgflow.idx_step_states_wait_deadline; ALTER TABLE pgflow.step_states DROP COLUMN signal_at, DROP COLUMN signal_payload, DROP COLUMN wait_deadline; ALTER TABLE pgflow.steps DROP CONSTRAINT steps_step_type_check; ALTER TABLE pgflow.steps ADD CONSTRAINT steps_step_type_check CHECK (step_type IN ('single', 'map'));

--changeset pgflow:101-complete-signal-step runOnChange:true splitStatements:false
-- _complete_signal_step(run_id, flow_slug, step_slug, payload, events): a waiting signal step
-- completes with output = payload, as the last task of a single step would (_finish_step: a
-- dependent map learns its task count from the payload's length). Callers lock the step state and
-- check that it waits.
CREATE OR REPLACE FUNCTION pgflow._complete_signal_step(p_run_id uuid, p_flow_slug text, p_step_slug text, p_payload jsonb,
                                                        p_events boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_length int;
BEGIN
  UPDATE pgflow.step_states ss
  SET status = 'completed', completed_at = now(), remaining_tasks = 0, output = p_payload, wait_deadline = NULL
  WHERE ss.run_id = p_run_id AND ss.step_slug = p_step_slug AND ss.status = 'started';
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF jsonb_typeof(p_payload) = 'array' THEN
    v_length := jsonb_array_length(p_payload);
  END IF;
  PERFORM pgflow._finish_step(p_run_id, p_flow_slug, p_step_slug, v_length, p_events);
END;
$$;

--changeset pgflow:101-send-signal runOnChange:true splitStatements:false
-- send_signal(run_id, step_slug, payload) hands a signal step of a run its payload and says what
-- became of it: 'delivered' (the step was waiting: it completes now with output = payload and the
-- run advances as after any completion), 'buffered' (the run is started but the step does not wait
-- yet: it completes with the payload the moment it starts waiting, so a signal is never lost for
-- coming early), 'ignored' (the step already has a signal, or completed, was skipped, failed or
-- was cancelled, or the run is no longer started: nothing changes; safe to send twice). Locks the
-- step state: of concurrent sends to one step exactly one is delivered or buffered. Errors: an
-- unknown run raises no_data_found (P0002); a step the run's flow does not have, or that is not a
-- signal step, or a payload that is not an array for a step that feeds a map, raises
-- invalid_parameter_value (22023) naming the step and the flow. payload NULL: '{}'.
CREATE OR REPLACE FUNCTION pgflow.send_signal(run_id uuid, step_slug text, payload jsonb DEFAULT '{}')
RETURNS text
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_run_id constant uuid := send_signal.run_id;
  v_step constant text := send_signal.step_slug;
  v_payload constant jsonb := coalesce(send_signal.payload, '{}'::jsonb);
  v_flow text;
  v_type text;
  v_map text;
  v_state record;
  v_run_status text;
BEGIN
  SELECT r.flow_slug INTO v_flow FROM pgflow.runs r WHERE r.run_id = v_run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('Run %s not found', v_run_id);
  END IF;
  SELECT s.step_type INTO v_type FROM pgflow.steps s WHERE s.flow_slug = v_flow AND s.step_slug = v_step;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Flow "%s" has no step "%s" (run %s): a signal goes to one of its signal steps', v_flow, v_step, v_run_id);
  END IF;
  IF v_type <> 'signal' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('Step "%s" of flow "%s" is a %s step, not a signal step: only signal steps take signals', v_step, v_flow, v_type);
  END IF;
  IF jsonb_typeof(v_payload) <> 'array' THEN
    SELECT d.step_slug INTO v_map FROM pgflow.deps d JOIN pgflow.steps c ON c.flow_slug = d.flow_slug AND c.step_slug = d.step_slug
    WHERE d.flow_slug = v_flow AND d.dep_slug = v_step AND c.step_type IN ('map', 'map_subflow') ORDER BY c.step_index LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = format('Step "%s" of flow "%s" feeds map step "%s": its signal payload must be a JSON array, got %s',
                         v_step, v_flow, v_map, jsonb_typeof(v_payload));
    END IF;
  END IF;

  SELECT ss.status, ss.signal_at INTO v_state FROM pgflow.step_states ss
  WHERE ss.run_id = v_run_id AND ss.step_slug = v_step FOR UPDATE;
  SELECT r.status INTO v_run_status FROM pgflow.runs r WHERE r.run_id = v_run_id; -- after the lock: a cancel that committed meanwhile
  IF v_run_status <> 'started' OR v_state.signal_at IS NOT NULL OR v_state.status NOT IN ('created', 'started') THEN
    RETURN 'ignored';
  END IF;
  UPDATE pgflow.step_states ss SET signal_payload = v_payload, signal_at = clock_timestamp()
  WHERE ss.run_id = v_run_id AND ss.step_slug = v_step;
  IF v_state.status = 'created' THEN
    RETURN 'buffered';
  END IF;
  PERFORM pgflow._complete_signal_step(v_run_id, v_flow, v_step, v_payload, pgflow._events_wanted(v_run_id));
  RETURN 'delivered';
END;
$$;

--changeset pgflow:101-send-signal-by-key runOnChange:true splitStatements:false
-- send_signal_by_key(flow_slug, idempotency_key, step_slug, payload): send_signal to the run that
-- start_flow(flow_slug, ..., idempotency_key) started with that key (an order number, a ticket id),
-- so a webhook needs no run id. An unknown key raises no_data_found (P0002) naming the flow and
-- the key; the rest is send_signal's.
CREATE OR REPLACE FUNCTION pgflow.send_signal_by_key(flow_slug text, idempotency_key text, step_slug text, payload jsonb DEFAULT '{}')
RETURNS text
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_run uuid;
BEGIN
  SELECT k.run_id INTO v_run FROM pgflow_internal.run_keys k
  WHERE k.flow_slug = send_signal_by_key.flow_slug AND k.idempotency_key = send_signal_by_key.idempotency_key;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'no_data_found',
      MESSAGE = format('Flow "%s" has no run started with idempotency key "%s"', send_signal_by_key.flow_slug,
                       send_signal_by_key.idempotency_key);
  END IF;
  RETURN pgflow.send_signal(v_run, send_signal_by_key.step_slug, send_signal_by_key.payload);
END;
$$;

--changeset pgflow:101-signal-grants runAlways:true runOnChange:true splitStatements:false
-- the senders run as the owner for pgflow_operator (as the other operator functions, 095-roles)
DO $grants$
DECLARE
  v_fn text;
BEGIN
  FOREACH v_fn IN ARRAY ARRAY['pgflow.send_signal(uuid, text, jsonb)', 'pgflow.send_signal_by_key(text, text, text, jsonb)'] LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp', v_fn);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_fn);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pgflow_operator', v_fn);
    END IF;
  END LOOP;
  REVOKE ALL ON FUNCTION pgflow._complete_signal_step(uuid, text, text, jsonb, boolean) FROM PUBLIC;
END
$grants$;
