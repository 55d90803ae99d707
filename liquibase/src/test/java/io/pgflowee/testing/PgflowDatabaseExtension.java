package io.pgflowee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.pgflowee.migrations.PgflowMigrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * JUnit 5 extension giving each test class a real PostgreSQL 17 database (zonky's embedded
 * binaries) with the pgflow changelogs applied. One server per test JVM, started on first use; the
 * changelogs are applied once, to a template database, and copied ({@code CREATE DATABASE ...
 * TEMPLATE}) into as many databases as test classes run at once; a class holds one of them from its
 * first test to its last. So test classes run in parallel (junit-platform.properties) without
 * seeing each other's flows, runs or notifications; tests isolate themselves from the classes that
 * used the database before with {@link #resetRuntimeData(DataSource)} or by using their own flow
 * slugs. (A fresh copy per class was measured too: 0.6 s more per class, mostly cold connections;
 * slower than running the classes one after the other.) Tests receive a {@link DataSource} parameter; the static
 * helpers ({@link #dataSource()}, {@link #newConnection()}, {@link #jdbcUrl()}) answer for the test
 * class running on the calling thread (or the thread that started it).
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
public final class PgflowDatabaseExtension implements ParameterResolver, BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private static final String TEMPLATE = "pgflow_template";

    private static volatile EmbeddedPostgres server;
    private static final AtomicInteger CREATED = new AtomicInteger();
    private static final java.util.concurrent.BlockingQueue<ClassDatabase> FREE = new java.util.concurrent.LinkedBlockingQueue<>();
    private static final Map<Class<?>, ClassDatabase> LEASES = new ConcurrentHashMap<>();
    /** The database of the test class running on this thread (inherited by threads a test starts). */
    private static final InheritableThreadLocal<ClassDatabase> CURRENT = new InheritableThreadLocal<>();

    /** A test class's own database and its pool. */
    private record ClassDatabase(String url, HikariDataSource pool) {
    }

    /** The server, with the template database migrated; starts both on first call. */
    private static synchronized EmbeddedPostgres server() {
        if (server == null) {
            EmbeddedPostgres started;
            try {
                started = EmbeddedPostgres.builder()
                        // Test-only durability settings: a crash loses nothing a test needs.
                        .setServerConfig("fsync", "off")
                        .setServerConfig("full_page_writes", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("max_connections", "300")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start embedded PostgreSQL", e);
            }
            try (Connection admin = started.getPostgresDatabase().getConnection(); Statement st = admin.createStatement()) {
                st.execute("create database " + TEMPLATE);
            } catch (SQLException e) {
                throw new IllegalStateException("could not create the template database", e);
            }
            // one connection, closed before any copy is made (a template must have no sessions)
            try (Connection c = DriverManager.getConnection(started.getJdbcUrl("postgres", TEMPLATE))) {
                PgflowMigrations.apply(c);
            } catch (SQLException e) {
                throw new IllegalStateException("could not apply the changelogs to the template database", e);
            }
            server = started;
        }
        return server;
    }

    /**
     * Leases a database to {@code testClass} for the whole class: a free one, else a new copy of the
     * template while there are fewer than test classes may run at once (JUnit's fixed parallelism,
     * junit-platform.properties; 1 when classes run one after the other), else waits for one to be
     * freed.
     * A class never shares its database with a class running at the same time; classes that follow
     * each other in one database see what earlier ones left (as they did when the whole module
     * shared one database), and their pools' connections stay warm.
     */
    private static ClassDatabase databaseOf(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        ClassDatabase leased = LEASES.get(testClass);
        if (leased != null) {
            return leased;
        }
        ClassDatabase db = FREE.poll();
        if (db == null) {
            synchronized (FREE) {
                if (CREATED.get() < atOnce(context)) {
                    db = newDatabase("pgflow_test_" + CREATED.incrementAndGet());
                }
            }
        }
        try {
            if (db == null) {
                db = FREE.take();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a test database", e);
        }
        LEASES.put(testClass, db);
        return db;
    }

    private static ClassDatabase newDatabase(String name) {
        EmbeddedPostgres pg = server();
        try (Connection admin = pg.getPostgresDatabase().getConnection(); Statement st = admin.createStatement()) {
            st.execute("create database " + name + " template " + TEMPLATE);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the test database " + name, e);
        }
        String url = pg.getJdbcUrl("postgres", name);
        HikariConfig config = new HikariConfig();
        config.setPoolName("pgflow-tests-" + name);
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(24);
        config.setMinimumIdle(2);
        config.setConnectionTimeout(120_000);
        config.setInitializationFailTimeout(120_000);
        return new ClassDatabase(url, new HikariDataSource(config));
    }

    /**
     * A database of its own (a new copy of the migrated template named {@code name}, dropped first if
     * it exists), for a test that changes what the other classes share, such as the run partitions.
     * The caller closes it ({@link HikariDataSource#close()}).
     */
    public static HikariDataSource privateDatabase(String name) {
        try (Connection admin = server().getPostgresDatabase().getConnection(); Statement st = admin.createStatement()) {
            st.execute("drop database if exists " + name + " with (force)");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop the test database " + name, e);
        }
        return newDatabase(name).pool();
    }

    /** How many test classes JUnit runs at once: its fixed parallelism when classes run concurrently, else 1. */
    private static int atOnce(ExtensionContext context) {
        boolean parallel = context.getConfigurationParameter("junit.jupiter.execution.parallel.enabled", Boolean::parseBoolean)
                .orElse(false);
        return parallel ? context.getConfigurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism",
                Integer::parseInt).orElse(1) : 1;
    }

    /** The database of the test class running on this thread. */
    private static ClassDatabase current() {
        ClassDatabase db = CURRENT.get();
        if (db == null) {
            throw new IllegalStateException("no pgflow test database on thread " + Thread.currentThread().getName()
                    + ": call from a test class extended with PgflowDatabaseExtension (or a thread it started)");
        }
        return db;
    }

    /** The migrated database of the test class running on this thread. */
    public static DataSource dataSource() {
        return current().pool();
    }

    /**
     * A new, unpooled connection to the test class's database, for a session of the caller's own
     * (LISTEN, session settings); the caller closes it.
     */
    public static Connection newConnection() throws SQLException {
        return DriverManager.getConnection(current().url());
    }

    /** JDBC URL of the test class's database (user postgres, no password). */
    public static String jdbcUrl() {
        return current().url();
    }

    /** JDBC URL of another database of the same server (for tests that create databases of their own). */
    public static String jdbcUrl(String database) {
        return server().getJdbcUrl("postgres", database);
    }

    /** A new, unpooled connection to the server's {@code postgres} database (to create and drop databases). */
    public static Connection adminConnection() throws SQLException {
        return server().getPostgresDatabase().getConnection();
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
    public void beforeAll(ExtensionContext context) {
        CURRENT.set(databaseOf(context));
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        CURRENT.set(databaseOf(context));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        CURRENT.remove();
        ClassDatabase db = LEASES.remove(context.getRequiredTestClass());
        if (db != null) {
            FREE.add(db);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == DataSource.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return databaseOf(context).pool();
    }
}
