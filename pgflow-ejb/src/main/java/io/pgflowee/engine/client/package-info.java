/**
 * The engine's {@link io.pgflowee.client.Pgflow}: what {@code @Inject Pgflow} gives a bean of the
 * WAR or EAR. Starts go through {@link io.pgflowee.engine.control.EngineOperations} on the engine's
 * data source (joining the caller's JTA transaction), reads are one SQL statement, and
 * {@code await} and {@code events()} follow {@link io.pgflowee.engine.events.RunEventHub}.
 */
package io.pgflowee.engine.client;
