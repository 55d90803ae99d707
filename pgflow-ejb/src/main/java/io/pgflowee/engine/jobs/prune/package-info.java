/**
 * The pgflow-prune job: one partition per flow ({@code FlowPartitions}); each reads the flow's runs
 * finished before the cutoff ({@code PrunableRunsReader}) and exports and deletes a chunk in one
 * transaction ({@code PruneWriter}); {@code PruneSchedule} starts it daily at 03:00 UTC on one server
 * only. Its SQL is {@code PruneDatabase}; its parameters are checked by {@code PruneCheck}.
 */
package io.pgflowee.engine.jobs.prune;
