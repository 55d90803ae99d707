--liquibase formatted sql

--changeset pgflow:009-job-partitions
--comment: progress of a partitioned batch job (pgflow-prune: a partition per flow), counted in the transactions that do the work
CREATE TABLE pgflow_internal.job_partitions (
  instance_key    text        NOT NULL,
  partition       text        NOT NULL,
  items           bigint      NOT NULL DEFAULT 0,
  done            boolean     NOT NULL DEFAULT false,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_key, partition)
);
COMMENT ON TABLE pgflow_internal.job_partitions IS
  'Per partition of a pgflow batch job instance (its instanceKey parameter): items done (pgflow-prune: runs exported and deleted, counted in the same transaction) and whether the partition has read everything';
