/**
 * A flow's shape: the structure the database stores and compares (steps, types, dependencies,
 * conditions, options), as {@code pgflow.get_flow_shape} returns it. The flow compiler writes it
 * into each compiled changelog's check, and the engine compares the Java flow with the database
 * through it.
 */
package io.pgflowee.api.shape;
