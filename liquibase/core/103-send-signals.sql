--liquibase formatted sql

--changeset pgflow:103-send-signals runOnChange:true splitStatements:false
-- send_signals(run_ids, step_slugs, payloads): send_signal for each element, in one transaction and
-- one round trip (a webhook relay or a bulk approval: a commit per signal costs more than the
-- signal). Returns (item, result) per element, item counting from 1 in the given order, result as
-- send_signal's ('delivered', 'buffered', 'ignored'). The elements are handled in (run, step) order,
-- so concurrent batches lock the same steps in the same order. All or none: an element send_signal
-- refuses refuses the whole call with its own SQLSTATE and message prefixed 'item N: '. A payload
-- NULL is '{}'. Arrays of different lengths: invalid_parameter_value naming the lengths.
CREATE OR REPLACE FUNCTION pgflow.send_signals(run_ids uuid[], step_slugs text[], payloads jsonb[])
RETURNS TABLE (item int, result text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_next record;
  v_item int;
  v_state text;
  v_message text;
  v_hint text;
BEGIN
  IF cardinality(run_ids) IS DISTINCT FROM cardinality(step_slugs) OR cardinality(run_ids) IS DISTINCT FROM cardinality(payloads) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = format('send_signals: run_ids (%s), step_slugs (%s) and payloads (%s) must have the same length',
                       cardinality(run_ids), cardinality(step_slugs), cardinality(payloads));
  END IF;
  BEGIN
    FOR v_next IN
      SELECT u.i, u.r, u.s, u.p FROM unnest(run_ids, step_slugs, payloads) WITH ORDINALITY AS u(r, s, p, i) ORDER BY u.r, u.s, u.i
    LOOP
      v_item := v_next.i;
      item := v_next.i;
      result := pgflow.send_signal(v_next.r, v_next.s, v_next.p);
      RETURN NEXT;
    END LOOP;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
    IF coalesce(v_hint, '') = '' THEN
      RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = format('item %s: %s', v_item, v_message);
    END IF;
    RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = format('item %s: %s', v_item, v_message), HINT = v_hint;
  END;
END;
$$;

--changeset pgflow:103-send-signals-grants runAlways:true runOnChange:true splitStatements:false
-- as send_signal: the owner's rights, for pgflow_operator
DO $grants$
BEGIN
  ALTER FUNCTION pgflow.send_signals(uuid[], text[], jsonb[]) SECURITY DEFINER SET search_path = pg_catalog, pgflow, pg_temp;
  REVOKE ALL ON FUNCTION pgflow.send_signals(uuid[], text[], jsonb[]) FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
    GRANT EXECUTE ON FUNCTION pgflow.send_signals(uuid[], text[], jsonb[]) TO pgflow_operator;
  END IF;
END
$grants$;
