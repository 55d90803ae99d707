/**
 * JSON for step inputs and outputs: one JSON-B/JSON-P codec that maps handlers' Java types to the
 * {@code jsonb} the SQL functions store, and back.
 */
package io.pgflowee.api.json;
