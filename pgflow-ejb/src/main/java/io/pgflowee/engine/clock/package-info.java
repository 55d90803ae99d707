/**
 * What the engine does by the clock: {@link io.pgflowee.engine.clock.Ticker} calls
 * {@code pgflow.tick()} on every server about once a second (signal waits past their deadline).
 */
package io.pgflowee.engine.clock;
