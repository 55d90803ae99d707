--liquibase formatted sql

--changeset pgflow:006-job-skips
--comment: items a batch job skipped (pgflow-backfill's invalid lines), with where and why
CREATE TABLE pgflow_internal.job_skips (
  instance_key    text        NOT NULL,
  item_key        text        NOT NULL,
  reason          text        NOT NULL,
  skipped_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_key, item_key)
);
COMMENT ON TABLE pgflow_internal.job_skips IS
  'Items skipped by a pgflow batch job instance (its instanceKey parameter): the item (a line number, a key) and the reason; one row per item however often it was retried';
