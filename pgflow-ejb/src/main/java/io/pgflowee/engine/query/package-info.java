/**
 * Queries for pages and {@code GET} endpoints: runs with filters and keyset pages, one run's
 * detail, flows, workers, the dashboard's totals. Read-only; built on the entities of {@code
 * engine.model} and plain SQL where JPA is slower.
 */
package io.pgflowee.engine.query;
