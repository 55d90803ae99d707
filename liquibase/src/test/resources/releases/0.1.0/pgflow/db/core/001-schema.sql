--liquibase formatted sql

--changeset pgflow:001-schema
--comment: the pgflow schema; every table and function of the engine lives in it
CREATE SCHEMA IF NOT EXISTS pgflow;
CREATE SCHEMA IF NOT EXISTS pgflow_internal;
COMMENT ON SCHEMA pgflow IS 'pgflow for Jakarta EE: flow definitions, runs, step states, tasks (the queue) and workers';
COMMENT ON SCHEMA pgflow_internal IS 'pgflow bookkeeping that is not part of the public table set (event subscriptions)';
--rollback DROP SCHEMA pgflow_internal CASCADE; DROP SCHEMA pgflow CASCADE;

--changeset pgflow:002-is-valid-slug runOnChange:true splitStatements:false
-- is_valid_slug(slug): true iff slug is 1..128 characters of letters, digits and underscores, does
-- not start with a digit, and is not the reserved word 'run'. NULL gives false (not STRICT).
CREATE OR REPLACE FUNCTION pgflow.is_valid_slug(slug text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(slug <> ''
                  AND length(slug) <= 128
                  AND slug ~ '^[a-zA-Z_][a-zA-Z0-9_]*$'
                  AND slug <> 'run', false)
$$;

--changeset pgflow:003-tables
CREATE TABLE pgflow.flows (
  flow_slug        text        NOT NULL PRIMARY KEY,
  opt_max_attempts int         NOT NULL DEFAULT 3,
  opt_base_delay   int         NOT NULL DEFAULT 1,
  opt_timeout      int         NOT NULL DEFAULT 60,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT slug_is_valid CHECK (pgflow.is_valid_slug(flow_slug)),
  CONSTRAINT opt_max_attempts_is_nonnegative CHECK (opt_max_attempts >= 0),
  CONSTRAINT opt_base_delay_is_nonnegative CHECK (opt_base_delay >= 0),
  CONSTRAINT opt_timeout_is_positive CHECK (opt_timeout > 0)
);

CREATE TABLE pgflow.steps (
  flow_slug               text        NOT NULL REFERENCES pgflow.flows (flow_slug),
  step_slug               text        NOT NULL,
  step_type               text        NOT NULL DEFAULT 'single',
  step_index              int         NOT NULL DEFAULT 0,
  deps_count              int         NOT NULL DEFAULT 0,
  opt_max_attempts        int,
  opt_base_delay          int,
  opt_timeout             int,
  opt_start_delay         int,
  required_input_pattern  jsonb,
  forbidden_input_pattern jsonb,
  when_unmet              text        NOT NULL DEFAULT 'skip',
  when_exhausted          text        NOT NULL DEFAULT 'fail',
  created_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flow_slug, step_slug),
  UNIQUE (flow_slug, step_index),
  CONSTRAINT steps_step_slug_check CHECK (pgflow.is_valid_slug(step_slug)),
  CONSTRAINT steps_step_type_check CHECK (step_type IN ('single', 'map')),
  CONSTRAINT steps_deps_count_check CHECK (deps_count >= 0),
  CONSTRAINT opt_max_attempts_is_nonnegative CHECK (opt_max_attempts IS NULL OR opt_max_attempts >= 0),
  CONSTRAINT opt_base_delay_is_nonnegative CHECK (opt_base_delay IS NULL OR opt_base_delay >= 0),
  CONSTRAINT opt_timeout_is_positive CHECK (opt_timeout IS NULL OR opt_timeout > 0),
  CONSTRAINT opt_start_delay_is_nonnegative CHECK (opt_start_delay IS NULL OR opt_start_delay >= 0),
  CONSTRAINT required_input_pattern_is_object
    CHECK (required_input_pattern IS NULL OR jsonb_typeof(required_input_pattern) = 'object'),
  CONSTRAINT forbidden_input_pattern_is_object
    CHECK (forbidden_input_pattern IS NULL OR jsonb_typeof(forbidden_input_pattern) = 'object'),
  CONSTRAINT when_unmet_is_valid CHECK (when_unmet IN ('fail', 'skip', 'skip-cascade')),
  CONSTRAINT when_exhausted_is_valid CHECK (when_exhausted IN ('fail', 'skip', 'skip-cascade'))
);

CREATE TABLE pgflow.deps (
  flow_slug  text        NOT NULL REFERENCES pgflow.flows (flow_slug),
  dep_slug   text        NOT NULL,
  step_slug  text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flow_slug, dep_slug, step_slug),
  CONSTRAINT deps_flow_slug_dep_slug_fkey FOREIGN KEY (flow_slug, dep_slug) REFERENCES pgflow.steps (flow_slug, step_slug),
  CONSTRAINT deps_flow_slug_step_slug_fkey FOREIGN KEY (flow_slug, step_slug) REFERENCES pgflow.steps (flow_slug, step_slug),
  CONSTRAINT deps_check CHECK (dep_slug <> step_slug)
);
CREATE INDEX idx_deps_by_flow_step ON pgflow.deps (flow_slug, step_slug);
CREATE INDEX idx_deps_by_flow_dep ON pgflow.deps (flow_slug, dep_slug);

CREATE TABLE pgflow.runs (
  run_id          uuid        NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(),
  flow_slug       text        NOT NULL REFERENCES pgflow.flows (flow_slug),
  status          text        NOT NULL DEFAULT 'started',
  input           jsonb       NOT NULL,
  output          jsonb,
  remaining_steps int         NOT NULL DEFAULT 0,
  started_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  failed_at       timestamptz,
  CONSTRAINT status_is_valid CHECK (status IN ('started', 'failed', 'completed')),
  CONSTRAINT remaining_steps_valid CHECK (remaining_steps >= 0),
  CONSTRAINT completed_at_or_failed_at CHECK (NOT (completed_at IS NOT NULL AND failed_at IS NOT NULL)),
  CONSTRAINT completed_at_is_after_started_at CHECK (completed_at IS NULL OR completed_at >= started_at),
  CONSTRAINT failed_at_is_after_started_at CHECK (failed_at IS NULL OR failed_at >= started_at)
);
CREATE INDEX idx_runs_flow_started ON pgflow.runs (flow_slug, started_at DESC);
CREATE INDEX idx_runs_status ON pgflow.runs (status);

CREATE TABLE pgflow.step_states (
  flow_slug       text        NOT NULL REFERENCES pgflow.flows (flow_slug),
  run_id          uuid        NOT NULL REFERENCES pgflow.runs (run_id),
  step_slug       text        NOT NULL,
  status          text        NOT NULL DEFAULT 'created',
  remaining_tasks int,
  initial_tasks   int,
  remaining_deps  int         NOT NULL DEFAULT 0,
  output          jsonb,
  error_message   text,
  skip_reason     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  completed_at    timestamptz,
  failed_at       timestamptz,
  skipped_at      timestamptz,
  PRIMARY KEY (run_id, step_slug),
  FOREIGN KEY (flow_slug, step_slug) REFERENCES pgflow.steps (flow_slug, step_slug),
  CONSTRAINT status_is_valid CHECK (status IN ('created', 'started', 'completed', 'failed', 'skipped')),
  CONSTRAINT remaining_deps_valid CHECK (remaining_deps >= 0),
  CONSTRAINT initial_tasks_nonnegative CHECK (initial_tasks IS NULL OR initial_tasks >= 0),
  CONSTRAINT remaining_tasks_null_unless_started
    CHECK (status NOT IN ('created', 'skipped') OR remaining_tasks IS NULL),
  CONSTRAINT remaining_tasks_zero_when_completed CHECK (status <> 'completed' OR remaining_tasks = 0),
  CONSTRAINT initial_tasks_known_when_started CHECK (status <> 'started' OR initial_tasks IS NOT NULL),
  CONSTRAINT output_only_when_completed CHECK (output IS NULL OR status = 'completed'),
  CONSTRAINT skip_reason_iff_skipped CHECK ((status = 'skipped') = (skip_reason IS NOT NULL)),
  CONSTRAINT skip_reason_is_valid
    CHECK (skip_reason IS NULL OR skip_reason IN ('condition_unmet', 'handler_failed', 'dependency_skipped')),
  CONSTRAINT one_terminal_timestamp CHECK (
    (completed_at IS NOT NULL)::int + (failed_at IS NOT NULL)::int + (skipped_at IS NOT NULL)::int <= 1),
  CONSTRAINT started_at_is_after_created_at CHECK (started_at IS NULL OR started_at >= created_at),
  CONSTRAINT completed_at_is_after_started_at CHECK (completed_at IS NULL OR completed_at >= started_at),
  CONSTRAINT failed_at_is_after_started_at CHECK (failed_at IS NULL OR started_at IS NULL OR failed_at >= started_at),
  CONSTRAINT skipped_at_is_after_created_at CHECK (skipped_at IS NULL OR skipped_at >= created_at)
);
CREATE INDEX idx_step_states_failed ON pgflow.step_states (run_id, step_slug) WHERE status = 'failed';
CREATE INDEX idx_step_states_flow ON pgflow.step_states (flow_slug);

CREATE TABLE pgflow.workers (
  worker_id      uuid        NOT NULL PRIMARY KEY,
  queue_name     text        NOT NULL,
  function_name  text        NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  deprecated_at  timestamptz,
  stopped_at     timestamptz,
  last_heartbeat timestamptz NOT NULL DEFAULT now(),
  idle           boolean     NOT NULL DEFAULT true
);
COMMENT ON COLUMN pgflow.workers.idle IS
  'true when the last claim_tasks of this worker found fewer tasks than it asked for: new tasks of its flow then NOTIFY pgflow_tasks';
CREATE INDEX idx_workers_queue_name ON pgflow.workers (queue_name);
CREATE INDEX idx_workers_last_heartbeat ON pgflow.workers (last_heartbeat);

-- Foreign keys: (run_id, step_slug) -> step_states only (it implies the run and the flow); FKs to
-- flows and runs would add two checks per task row and KEY SHARE locks on the one hot flows row.
CREATE TABLE pgflow.step_tasks (
  flow_slug              text        NOT NULL,
  run_id                 uuid        NOT NULL,
  step_slug              text        NOT NULL,
  task_index             int         NOT NULL DEFAULT 0,
  status                 text        NOT NULL DEFAULT 'queued',
  attempts_count         int         NOT NULL DEFAULT 0,
  error_message          text,
  output                 jsonb,
  queued_at              timestamptz NOT NULL DEFAULT now(),
  started_at             timestamptz,
  completed_at           timestamptz,
  failed_at              timestamptz,
  last_worker_id         uuid        REFERENCES pgflow.workers (worker_id) ON DELETE SET NULL,
  requeued_count         int         NOT NULL DEFAULT 0,
  last_requeued_at       timestamptz,
  permanently_stalled_at timestamptz,
  visible_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT step_tasks_pkey PRIMARY KEY (run_id, step_slug, task_index),
  FOREIGN KEY (run_id, step_slug) REFERENCES pgflow.step_states (run_id, step_slug),
  CONSTRAINT valid_status CHECK (status IN ('queued', 'started', 'completed', 'failed')),
  CONSTRAINT output_valid_only_for_completed_or_failed CHECK (output IS NULL OR status IN ('completed', 'failed')),
  CONSTRAINT attempts_count_nonnegative CHECK (attempts_count >= 0),
  CONSTRAINT completed_at_or_failed_at CHECK (NOT (completed_at IS NOT NULL AND failed_at IS NOT NULL)),
  CONSTRAINT started_at_is_after_queued_at CHECK (started_at IS NULL OR started_at >= queued_at),
  CONSTRAINT completed_at_is_after_queued_at CHECK (completed_at IS NULL OR completed_at >= queued_at),
  CONSTRAINT failed_at_is_after_queued_at CHECK (failed_at IS NULL OR failed_at >= queued_at),
  CONSTRAINT completed_at_is_after_started_at CHECK (completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at),
  CONSTRAINT failed_at_is_after_started_at CHECK (failed_at IS NULL OR started_at IS NULL OR failed_at >= started_at)
);
COMMENT ON COLUMN pgflow.step_tasks.visible_at IS
  'queued: claimable when visible_at <= now (start delay, retry backoff); started: lease expiry; infinity: orphaned (run failed or step skipped)';
-- The queue: claims and lease checks walk only live tasks, so their cost does not grow with the
-- number of finished tasks in the table.
CREATE INDEX idx_step_tasks_queued ON pgflow.step_tasks (flow_slug, visible_at) WHERE status = 'queued';
CREATE INDEX idx_step_tasks_started ON pgflow.step_tasks (flow_slug, visible_at) WHERE status = 'started';

CREATE TYPE pgflow.step_task_record AS (
  flow_slug       text,
  run_id          uuid,
  step_slug       text,
  task_index      int,
  input           jsonb,
  flow_input      jsonb,
  attempts_count  int,
  timeout_seconds int
);

CREATE TABLE pgflow_internal.event_subscriptions (
  subscription_id uuid        NOT NULL PRIMARY KEY,
  run_id          uuid,
  expires_at      timestamptz NOT NULL
);
COMMENT ON TABLE pgflow_internal.event_subscriptions IS
  'Live views that want run and step events on channel pgflow_events; without a live subscription no event NOTIFY is sent';
