--liquibase formatted sql

--changeset pgflow:008-job-executions
--comment: which server runs a batch job execution, and its heartbeat: an execution whose server died (SIGKILL, power loss) stays STARTED in the job repository; its server's heartbeat going stale is how the others know it may be restarted
CREATE TABLE pgflow_internal.job_executions (
  instance_key    text        NOT NULL,
  execution_id    bigint      NOT NULL,
  server_id       uuid        NOT NULL,
  server          text        NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  heartbeat_at    timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz,
  PRIMARY KEY (instance_key, execution_id)
);
CREATE INDEX idx_job_executions_running ON pgflow_internal.job_executions (server_id) WHERE ended_at IS NULL;
COMMENT ON TABLE pgflow_internal.job_executions IS
  'Batch job executions of pgflow jobs (by instanceKey and the job repository''s execution id) with the server running them and its heartbeat; ended_at is set when the execution ends on that server';
