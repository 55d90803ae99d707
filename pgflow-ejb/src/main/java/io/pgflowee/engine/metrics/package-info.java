/**
 * The engine's Micrometer meters (runs by outcome and active runs; tasks queued, delayed and
 * running; task and claim durations; live workers; database up), served in Prometheus text by the
 * web module.
 */
package io.pgflowee.engine.metrics;
