/**
 * Run and step events as they happen: the SQL functions {@code NOTIFY pgflow_events} while someone
 * subscribes; {@link io.pgflowee.engine.events.RunEventHub} subscribes for this server and fans
 * the events out to listeners (SSE streams of the REST API, the console's live updates).
 */
package io.pgflowee.engine.events;
