--liquibase formatted sql

--changeset pgflow:090-queue-autovacuum
--comment: autovacuum for the queue: vacuum step_tasks after 1 % of its rows changed (default 20 %), with index cleanup, faster
-- step_tasks is a queue: every task is inserted, claimed and completed, and each change moves it
-- between the partial indexes idx_step_tasks_queued / _queued_fair / _started, leaving a dead entry
-- at the head of the index a claim reads first. With the default (vacuum after 20 % of the table
-- changed: 770,000 dead rows in a table of 3.85 million) those dead entries piled up at a sustained
-- load until every claim read over a thousand index pages (54 ms instead of 0.2; a server past its
-- saturation got slower as its backlog grew, and stayed slow after it drained). Vacuum therefore
-- runs after 5,000 + 1 % of the rows changed, always cleans the indexes (PostgreSQL would skip them
-- when few heap pages hold dead rows, which leaves exactly the queue indexes' heads in place), and
-- may do five times the default I/O per round. Measured in docs/performance.md (issue 9).
ALTER TABLE pgflow.step_tasks SET (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_threshold = 5000,
  autovacuum_vacuum_insert_scale_factor = 0.05,
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_vacuum_cost_limit = 1000,
  vacuum_index_cleanup = on
);
-- step states and runs change on every step too (counters, statuses); their indexes serve the
-- console and the API, which read them by status: vacuumed after 5 % instead of 20 %.
ALTER TABLE pgflow.step_states SET (
  autovacuum_vacuum_scale_factor = 0.05,
  autovacuum_analyze_scale_factor = 0.05,
  autovacuum_vacuum_cost_limit = 1000
);
ALTER TABLE pgflow.runs SET (
  autovacuum_vacuum_scale_factor = 0.05,
  autovacuum_analyze_scale_factor = 0.05,
  autovacuum_vacuum_cost_limit = 1000
);
--rollback ALTER TABLE pgflow.step_tasks RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_vacuum_insert_scale_factor, autovacuum_analyze_scale_factor, autovacuum_vacuum_cost_limit, vacuum_index_cleanup); ALTER TABLE pgflow.step_states RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor, autovacuum_vacuum_cost_limit); ALTER TABLE pgflow.runs RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor, autovacuum_vacuum_cost_limit);
