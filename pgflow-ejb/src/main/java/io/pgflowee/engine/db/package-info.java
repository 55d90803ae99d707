/**
 * The engine's database: the connection pool ({@link io.pgflowee.engine.db.PgflowDataSource}) and
 * its settings, the migrations at deployment and their retries ({@link
 * io.pgflowee.engine.db.SchemaMigrator}), the one {@code LISTEN} connection per server ({@link
 * io.pgflowee.engine.db.NotificationListener}), and how database failures are worded for users.
 */
package io.pgflowee.engine.db;
