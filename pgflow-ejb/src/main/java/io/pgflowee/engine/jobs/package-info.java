/**
 * Jakarta Batch jobs over many runs: backfill (start runs from a file), bulk retry, cancel stuck
 * runs, prune old data; their readers, processors and writers, the job repository in PostgreSQL,
 * and {@link io.pgflowee.engine.jobs.JobService}, which starts, stops and lists them. The jobs'
 * bookkeeping tables ({@code pgflow_internal.job_*}) are the only tables Java writes.
 */
package io.pgflowee.engine.jobs;
