/**
 * The pgflow-bulk-retry and pgflow-cancel-stuck jobs: the runs a selection matches
 * ({@code RunSelection}, read in keyset pages by {@code MatchingRunsReader}) are retried, restarted
 * or cancelled once each ({@code BulkRetryWriter}), however often a chunk is read again. Their SQL is
 * {@code BulkDatabase}; their parameters are checked by {@code BulkRetryCheck} and
 * {@code CancelStuckCheck}.
 */
package io.pgflowee.engine.jobs.bulk;
