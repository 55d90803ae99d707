/**
 * Jakarta Batch jobs over many runs, one package each ({@code backfill}: start runs from a file or a
 * query; {@code bulk}: retry, restart or cancel the runs a selection matches; {@code prune}: export
 * and delete old runs), and what they share: {@link io.pgflowee.engine.jobs.JobService}, which checks
 * parameters (each job's {@link io.pgflowee.engine.jobs.JobCheck}), starts, stops and lists them; the
 * job repository in PostgreSQL; which server runs an execution ({@code JobExecutions}); the keyset
 * reader over runs; and {@link io.pgflowee.engine.jobs.JobDatabase}, the shared bookkeeping. The
 * jobs' tables ({@code pgflow_internal.job_*}) are the only tables Java writes.
 */
package io.pgflowee.engine.jobs;
