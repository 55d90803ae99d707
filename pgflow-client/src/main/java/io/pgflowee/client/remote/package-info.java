/**
 * {@link io.pgflowee.client.Pgflow} over the REST API ({@code /api}) from any JVM, with the JDK's
 * HTTP client, HTTP Basic sign-in and the run's server-sent events for {@code await} and
 * {@code events()}.
 */
package io.pgflowee.client.remote;
