package io.pgflowee.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Starts the real PostgreSQL that the servers under test use, before any test class (and so
 * before Arquillian boots Payara Micro, whose migrations need it), on the port Maven reserved
 * ({@code it.pg.port}); failsafe passes the matching {@code PGFLOW_DB_URL} to the servers.
 */
public class ItDatabase implements LauncherSessionListener {

    private static EmbeddedPostgres server;

    @Override
    public synchronized void launcherSessionOpened(LauncherSession session) {
        String port = System.getProperty("it.pg.port");
        if (server != null || port == null) {
            return; // not under failsafe (an IDE run of a unit test): nothing to start
        }
        try {
            server = EmbeddedPostgres.builder()
                    .setPort(Integer.parseInt(port))
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("fsync", "off")
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the integration-test PostgreSQL on port " + port, e);
        }
        writeBatchRepositoryCommands(port);
    }

    /**
     * The post-boot commands (arquillian.xml, {@code --postbootcommandfile}) that keep Payara Micro's
     * Jakarta Batch job repository in this PostgreSQL, as the launcher does for {@code ./pgflow}.
     */
    private static void writeBatchRepositoryCommands(String port) {
        java.nio.file.Path file = java.nio.file.Path.of(System.getProperty("it.target", "target"), "it-post-boot.asadmin");
        try {
            java.nio.file.Files.writeString(file, "create-jdbc-connection-pool --datasourceclassname=org.postgresql.ds.PGSimpleDataSource"
                    + " --restype=javax.sql.DataSource --steadypoolsize=0 --maxpoolsize=8 --property url=jdbc\\:postgresql\\://localhost\\:"
                    + port + "/postgres:user=postgres:password=postgres pgflow-batch-pool\n"
                    + "create-jdbc-resource --connectionpoolid=pgflow-batch-pool jdbc/pgflow-batch\n"
                    + "set-batch-runtime-configuration --datasourcelookupname=jdbc/pgflow-batch\n");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    @Override
    public synchronized void launcherSessionClosed(LauncherSession session) {
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                // the closer hook of zonky stops it at JVM exit anyway
            }
            server = null;
        }
    }

    /** JDBC URL of the integration-test database. */
    public static String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + System.getProperty("it.pg.port") + "/postgres";
    }

    /**
     * A new, empty database {@code name} on the test PostgreSQL (dropped first if an earlier run left
     * it), for a class whose servers must not share the others' flows and runs; returns its JDBC URL.
     */
    public static String fresh(String name) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), "postgres", "postgres"); var st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + name);
        }
        return jdbcUrl().replaceFirst("/postgres$", "/" + name);
    }
}
