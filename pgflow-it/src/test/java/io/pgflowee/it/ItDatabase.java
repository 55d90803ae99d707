package io.pgflowee.it;

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
}
