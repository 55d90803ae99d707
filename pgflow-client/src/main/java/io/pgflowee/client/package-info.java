/**
 * The typed Java client of pgflow: {@link io.pgflowee.client.Pgflow} starts runs of a flow with the
 * flow's own {@code Input} record and hands back a {@link io.pgflowee.client.RunHandle} whose
 * {@code await} returns the flow's {@code Output} record, or throws a typed exception carrying the
 * failure. Two implementations share every type here: the engine's, injected in the server
 * ({@code @Inject Pgflow}, joining the caller's transaction), and
 * {@link io.pgflowee.client.remote.RemotePgflow}, over the REST API from any JVM.
 */
package io.pgflowee.client;
