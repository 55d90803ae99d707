package io.pgflowee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import io.pgflowee.migrations.PgflowMigrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * JUnit 5 extension giving tests a real PostgreSQL 17 (zonky's embedded binaries) with the pgflow
 * changelogs applied. One server per test JVM, started on first use; tests receive a
 * {@link DataSource} parameter and isolate themselves with {@link #resetRuntimeData(DataSource)} or
 * by using their own flow slugs.
 *
 * <pre>{@code
 * @ExtendWith(PgflowDatabaseExtension.class)
 * class StartFlowTest {
 *     @Test void startsARun(DataSource db) { ... }
 * }
 * }</pre>
 */
public final class PgflowDatabaseExtension implements ParameterResolver {

    private static volatile EmbeddedPostgres server;
    private static volatile DataSource dataSource;

    /** The shared, migrated database; starts it on first call. */
    public static synchronized DataSource dataSource() {
        if (dataSource == null) {
            try {
                server = EmbeddedPostgres.builder()
                        // Test-only durability settings: a crash loses nothing a test needs.
                        .setServerConfig("fsync", "off")
                        .setServerConfig("full_page_writes", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("max_connections", "200")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start embedded PostgreSQL", e);
            }
            DataSource ds = server.getPostgresDatabase();
            try (Connection c = ds.getConnection()) {
                PgflowMigrations.apply(c);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            dataSource = ds;
        }
        return dataSource;
    }

    /** JDBC URL of the shared database (user postgres, no password). */
    public static String jdbcUrl() {
        dataSource();
        return server.getJdbcUrl("postgres", "postgres");
    }

    /** Deletes every run, task, flow, worker and event subscription, keeping the schema and its functions. */
    public static void resetRuntimeData(DataSource ds) {
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("do $$ begin if to_regclass('pgflow.flows') is not null then "
                    + "truncate pgflow.flows, pgflow.workers, pgflow_internal.event_subscriptions cascade; end if; end $$");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == DataSource.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return dataSource();
    }
}
