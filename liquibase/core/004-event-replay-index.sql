--liquibase formatted sql

--changeset pgflow:004-event-replay-index
--comment: the runs of a flow that are still going, for replaying a flow's live events after a reconnect (Last-Event-ID)
-- Partial: only unfinished runs are in it, so it stays small however many runs the table keeps.
CREATE INDEX idx_runs_flow_active ON pgflow.runs (flow_slug) WHERE status = 'started';
