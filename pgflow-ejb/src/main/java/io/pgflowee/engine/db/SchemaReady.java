package io.pgflowee.engine.db;

/**
 * CDI event: the pgflow schema is in place (migrations applied, or managed outside with
 * {@code pgflow.migrate=false}). Fired at startup and after a successful retry.
 */
public record SchemaReady(SchemaMigrator.State state) {
}
