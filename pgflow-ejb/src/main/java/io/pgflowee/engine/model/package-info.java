/**
 * The read model: JPA entities mapped onto the {@code pgflow} tables, read-only ({@link
 * io.pgflowee.engine.model.ReadOnlyGuard} refuses every write), with converters for the SQL enums.
 */
package io.pgflowee.engine.model;
