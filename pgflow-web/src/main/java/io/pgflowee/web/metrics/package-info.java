/**
 * {@code /metrics}: the engine's meters in Prometheus text, protected unless {@code
 * pgflow.metrics.public=true}.
 */
package io.pgflowee.web.metrics;
