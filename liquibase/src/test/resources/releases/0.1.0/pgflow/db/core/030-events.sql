--liquibase formatted sql

--changeset pgflow:030-events-wanted runOnChange:true splitStatements:false
-- _events_wanted(run_id): true when a live subscription (all runs, or this run) exists. Event
-- NOTIFYs serialise committing transactions, so they are sent only while someone watches.
CREATE OR REPLACE FUNCTION pgflow._events_wanted(p_run_id uuid)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT EXISTS (SELECT 1 FROM pgflow_internal.event_subscriptions s
                 WHERE s.expires_at > clock_timestamp() AND (s.run_id IS NULL OR s.run_id = p_run_id))
$$;

--changeset pgflow:030-emit runOnChange:true splitStatements:false
-- _emit(event): NOTIFY pgflow_events with the event as compact JSON (NULL fields dropped). Events:
-- {"event_type": "run:started|run:completed|run:failed|run:cancelled|run:retried|step:started|step:completed|
--  step:failed|step:skipped|step:cancelled",
--  "run_id", "flow_slug", "step_slug" (step events), "status", "skip_reason" (skips),
--  "at" (the transition's time, now(), in microseconds since 1970: the value the transition wrote to its
--  *_at column, so a reader can match an event with the tables)}. Outputs and error texts are not sent
-- (NOTIFY payloads are limited to 8000 bytes): read them from the tables.
CREATE OR REPLACE FUNCTION pgflow._emit(p_event jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  SELECT pg_notify('pgflow_events',
                   jsonb_strip_nulls(p_event || jsonb_build_object('at', (extract(epoch FROM now()) * 1000000)::bigint))::text)
$$;

--changeset pgflow:030-emit-step runOnChange:true splitStatements:false
CREATE OR REPLACE FUNCTION pgflow._emit_step(p_run_id uuid, p_flow_slug text, p_step_slug text, p_status text,
                                             p_skip_reason text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  SELECT pgflow._emit(jsonb_build_object('event_type', 'step:' || p_status, 'run_id', p_run_id,
                                         'flow_slug', p_flow_slug, 'step_slug', p_step_slug,
                                         'status', p_status, 'skip_reason', p_skip_reason))
$$;

--changeset pgflow:030-emit-run runOnChange:true splitStatements:false
CREATE OR REPLACE FUNCTION pgflow._emit_run(p_run_id uuid, p_flow_slug text, p_status text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  SELECT pgflow._emit(jsonb_build_object('event_type', 'run:' || p_status, 'run_id', p_run_id,
                                         'flow_slug', p_flow_slug, 'status', p_status))
$$;

--changeset pgflow:030-subscribe-events runOnChange:true splitStatements:false
-- subscribe_events(subscription_id, run_id, ttl_seconds): asks for events of one run (or all runs
-- when run_id is NULL) on channel pgflow_events for ttl_seconds; call again to extend. Returns the
-- expiry. The subscriber LISTENs on pgflow_events itself.
CREATE OR REPLACE FUNCTION pgflow.subscribe_events(subscription_id uuid, run_id uuid DEFAULT NULL,
                                                  ttl_seconds int DEFAULT 60)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_expires timestamptz := clock_timestamp() + make_interval(secs => greatest(coalesce(ttl_seconds, 60), 1));
BEGIN
  DELETE FROM pgflow_internal.event_subscriptions s WHERE s.expires_at < clock_timestamp();
  INSERT INTO pgflow_internal.event_subscriptions AS s (subscription_id, run_id, expires_at)
  VALUES (subscribe_events.subscription_id, subscribe_events.run_id, v_expires)
  ON CONFLICT ON CONSTRAINT event_subscriptions_pkey DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at;
  RETURN v_expires;
END;
$$;

--changeset pgflow:030-unsubscribe-events runOnChange:true splitStatements:false
CREATE OR REPLACE FUNCTION pgflow.unsubscribe_events(subscription_id uuid)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
  DELETE FROM pgflow_internal.event_subscriptions s WHERE s.subscription_id = unsubscribe_events.subscription_id
$$;

--changeset pgflow:030-notify-tasks runOnChange:true splitStatements:false
-- _notify_tasks(flow_slug): NOTIFY pgflow_tasks (payload: the flow slug) when tasks of the flow
-- became claimable, the flow is not paused and a live worker of that flow is idle (its last claim
-- was not full). Busy
-- workers claim again right after reporting, so under load no NOTIFY (and no commit
-- serialisation) is paid; idle workers wake within milliseconds instead of a poll interval.
-- Inside complete_tasks_and_claim (transaction-local setting pgflow.wake_deferral starts with '|')
-- the flow is only noted ('|flow|...'): that function claims first and wakes the others only when
-- its claim may have left tasks behind.
CREATE OR REPLACE FUNCTION pgflow._notify_tasks(p_flow_slug text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_deferral constant text := current_setting('pgflow.wake_deferral', true);
BEGIN
  IF v_deferral LIKE '|%' THEN
    IF position('|' || p_flow_slug || '|' IN v_deferral) = 0 THEN
      PERFORM set_config('pgflow.wake_deferral', v_deferral || p_flow_slug || '|', true);
    END IF;
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM pgflow.workers w
             WHERE w.queue_name = p_flow_slug AND w.idle AND w.stopped_at IS NULL)
     AND NOT EXISTS (SELECT 1 FROM pgflow.flows f WHERE f.flow_slug = p_flow_slug AND f.paused_at IS NOT NULL) THEN
    PERFORM pg_notify('pgflow_tasks', p_flow_slug);
  END IF;
END;
$$;
