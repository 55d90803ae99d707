--liquibase formatted sql

--changeset pgflow:113-run-partitioning-attach-retry
--comment: when tick() tries to attach the next run partition again after a try that could not get its locks
-- An attach locks the default partition ACCESS EXCLUSIVE, and every claim and completion locks it too
-- (generic plans lock every partition): under load a try often waits out its short lock_timeout, and
-- each such wait holds up every statement on the run tables behind it. One try a second (every
-- server's tick) made that a stall of up to 50 ms every second for minutes (the soak of issue 36);
-- create_run_partitions() now waits 10 s after a refused try. set_run_partitioning() clears it.
ALTER TABLE pgflow_internal.run_partitioning ADD COLUMN attach_retry_at timestamptz;
COMMENT ON COLUMN pgflow_internal.run_partitioning.attach_retry_at IS
  'Set 10 s ahead when an attach could not get its locks: create_run_partitions() (tick) does not try again before it';
--rollback ALTER TABLE pgflow_internal.run_partitioning DROP COLUMN attach_retry_at;
