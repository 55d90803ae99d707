--liquibase formatted sql

--changeset pgflow:007-job-items
--comment: what a batch job instance has done, item by item, so a chunk read again after a crash does nothing twice
CREATE TABLE pgflow_internal.job_items (
  instance_key    text        NOT NULL,
  item_key        text        NOT NULL,
  outcome         text        NOT NULL,
  done_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_key, item_key)
);
COMMENT ON TABLE pgflow_internal.job_items IS
  'Items a pgflow batch job instance (its instanceKey parameter) acted on (bulk retry, restart, prune), written in the transaction of the action itself';
