package io.pgflowee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.pgflowee.migrations.PgflowMigrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * JUnit 5 extension giving tests a real PostgreSQL 17 (zonky's embedded binaries) with the pgflow
 * changelogs applied. One server per test JVM, started on first use; tests receive a
 * {@link DataSource} parameter and isolate themselves with {@link #resetRuntimeData(DataSource)} or
 * by using their own flow slugs.
 *
 * <p>The data source is a HikariCP pool: opening a PostgreSQL connection per statement costs a
 * backend fork, and on a loaded 2-core CI machine a single connect once failed outright ("The
 * connection attempt failed"), failing the build. The pool reuses connections and keeps retrying
 * a failed connect for up to two minutes. Tests that need a session of their own (LISTEN) take
 * one from {@link #newConnection()}.
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
    private static volatile HikariDataSource dataSource;

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
            HikariConfig pool = new HikariConfig();
            pool.setPoolName("pgflow-tests");
            pool.setJdbcUrl(server.getJdbcUrl("postgres", "postgres"));
            pool.setMaximumPoolSize(24);
            pool.setMinimumIdle(2);
            pool.setConnectionTimeout(120_000);
            pool.setInitializationFailTimeout(120_000);
            HikariDataSource ds = new HikariDataSource(pool);
            try (Connection c = ds.getConnection()) {
                PgflowMigrations.apply(c);
            } catch (SQLException e) {
                ds.close();
                throw new IllegalStateException(e);
            }
            dataSource = ds;
        }
        return dataSource;
    }

    /**
     * A new, unpooled connection to the shared database, for a session of the caller's own (LISTEN,
     * session settings); the caller closes it.
     */
    public static Connection newConnection() throws SQLException {
        dataSource();
        return server.getPostgresDatabase().getConnection();
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
