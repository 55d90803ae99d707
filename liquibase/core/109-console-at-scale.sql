--liquibase formatted sql

--changeset pgflow:109-error-text-search splitStatements:false
--comment: runs found by the text of their errors, with a trigram index when pg_trgm is available
-- The console's runs list and GET /api/runs?error= find runs whose tasks failed with a text
-- (case-insensitive substring: error_message ILIKE '%text%'). Every ended attempt that did not
-- complete its task is a row of task_attempts (fail_task writes the last failure too, a child
-- run's failure and an expired lease as well), so the search reads only that table, which the
-- engine writes on failures alone: the index costs nothing where tasks succeed (an index on
-- step_tasks would sit on the hot path). A trigram index answers it without reading every error.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so the database owner may
-- create it; it goes to pgflow_internal unless the database has it already. Without it (a server
-- built without contrib) the search still works, by reading the errors.
DO $$
DECLARE
  v_schema text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
     AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION pg_trgm SCHEMA pgflow_internal;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pgflow: pg_trgm could not be created (%): searching runs by error text reads every error', SQLERRM;
    END;
  END IF;
  SELECT n.nspname INTO v_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF v_schema IS NULL THEN
    RAISE NOTICE 'pgflow: pg_trgm is not available: searching runs by error text reads every error';
    RETURN;
  END IF;
  -- partial: an expired lease's row without a message is not indexed
  EXECUTE format('CREATE INDEX idx_task_attempts_error_text ON pgflow_internal.task_attempts USING gin (error_message %I.gin_trgm_ops)'
                 ' WHERE error_message IS NOT NULL', v_schema);
END;
$$;
--rollback DROP INDEX IF EXISTS pgflow_internal.idx_task_attempts_error_text;

--changeset pgflow:109-run-retries
--comment: who retried a run and when, one row per retry_run, for the run page's attempt history
-- retry_run resets a run's unfinished tasks (their attempts count from 1 again); this keeps each
-- retry: its number (runs.retry_count after it), when, and by whom: the setting pgflow.actor of the
-- retrying transaction (the console and the REST API set it to the signed-in user), else
-- "database role <session_user>". Deleted with its run.
CREATE TABLE pgflow_internal.run_retries (
  run_id       uuid        NOT NULL REFERENCES pgflow.runs (run_id) ON DELETE CASCADE,
  retry_number int         NOT NULL,
  retried_at   timestamptz NOT NULL,
  retried_by   text        NOT NULL,
  PRIMARY KEY (run_id, retry_number)
);
COMMENT ON TABLE pgflow_internal.run_retries IS 'Each retry_run of a run: its number, when, and by whom (setting pgflow.actor, else the database role)';
--rollback DROP TABLE pgflow_internal.run_retries;

--changeset pgflow:109-job-totals
--comment: how many items a batch job instance will act on, counted when it starts, for its progress and ETA
-- A job's reader counts what it will read when its instance first opens (a backfill's lines or
-- rows, the runs a bulk selection or a prune partition matches) and keeps it here once; the items
-- done are counted in the transactions that do them (job_items, job_partitions, the runs a
-- backfill started and job_skips), so the console shows done of total, the rate and the time left
-- while a job runs. Kept like the job's other rows (job_items, job_partitions): one row per instance.
CREATE TABLE pgflow_internal.job_totals (
  instance_key text        NOT NULL,
  partition    text        NOT NULL DEFAULT '',
  total        bigint      NOT NULL,
  counted_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_key, partition),
  CONSTRAINT total_nonnegative CHECK (total >= 0)
);
COMMENT ON TABLE pgflow_internal.job_totals IS 'Items a pgflow batch job instance (its instanceKey parameter) will act on, counted when it started (per partition for pgflow-prune)';
--rollback DROP TABLE pgflow_internal.job_totals;

--changeset pgflow:109-grants splitStatements:false
--comment: the new tables for the engine's roles: readers see retries and job totals, operators keep job totals
-- (095-roles granted SELECT on the pgflow_internal tables that existed then; retry_run writes
-- run_retries as the owner, being SECURITY DEFINER)
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_operator') THEN
    GRANT SELECT, INSERT ON pgflow_internal.job_totals TO pgflow_operator;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgflow_reader') THEN
    GRANT SELECT ON pgflow_internal.run_retries, pgflow_internal.job_totals TO pgflow_reader;
  END IF;
END;
$$;
--rollback SELECT 1;
