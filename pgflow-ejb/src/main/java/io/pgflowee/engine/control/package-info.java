/**
 * Operator actions as Java calls, one {@code pgflow.*} SQL function each: start (one or a batch),
 * cancel, retry, restart, pause and resume a flow, limit its concurrency ({@link
 * io.pgflowee.engine.control.EngineOperations}). The database's refusals come back typed ({@link
 * io.pgflowee.engine.control.EngineRefusal}) with the engine's own message. REST and the console
 * call this, never the tables.
 */
package io.pgflowee.engine.control;
