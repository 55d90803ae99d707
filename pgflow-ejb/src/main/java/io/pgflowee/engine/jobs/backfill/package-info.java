/**
 * The pgflow-backfill job: reads a CSV or JSON-lines file, or an operator's query, item by item
 * ({@code BackfillReader}), checks each input against the flow ({@code BackfillProcessor}, bad items
 * skipped with their line and reason) and starts a chunk's runs in one transaction
 * ({@code BackfillWriter}, keyed by the job instance, so a restart starts nothing twice). Its SQL is
 * {@code BackfillDatabase}; its parameters are checked by {@code BackfillCheck}.
 */
package io.pgflowee.engine.jobs.backfill;
