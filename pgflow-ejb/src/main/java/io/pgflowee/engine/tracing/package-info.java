/**
 * OpenTelemetry traces of runs (off unless {@code otel.sdk.disabled=false}, Payara's MicroProfile
 * Telemetry): a span where a run starts, kept as the run's trace context in the database, and a span
 * per task attempt, a child of it, on whichever server runs the task.
 */
package io.pgflowee.engine.tracing;
