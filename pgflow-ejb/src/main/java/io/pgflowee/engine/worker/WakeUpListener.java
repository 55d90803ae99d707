package io.pgflowee.engine.worker;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Logger;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * One dedicated connection per server that LISTENs on {@code pgflow_tasks} and hands each
 * notified flow slug to the workers, so an idle worker claims within milliseconds instead of at
 * its next poll. Reconnects (every 2 s) after the database restarts; polling covers the gap.
 */
final class WakeUpListener implements Runnable {

    private static final Logger LOG = Logger.getLogger(WakeUpListener.class.getName());
    static final String CHANNEL = "pgflow_tasks";

    private final String url;
    private final Properties credentials = new Properties();
    private final Consumer<String> wake;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile Connection connection;

    WakeUpListener(String url, String user, String password, Consumer<String> wake) {
        this.url = url;
        credentials.setProperty("user", user);
        credentials.setProperty("password", password);
        credentials.setProperty("ApplicationName", "pgflow wake-ups");
        credentials.setProperty("tcpKeepAlive", "true");
        this.wake = wake;
    }

    @Override
    public void run() {
        String lastProblem = null;
        while (!stopped.get()) {
            try (Connection c = new org.postgresql.Driver().connect(url, credentials)) {
                connection = c;
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                }
                if (lastProblem != null) {
                    LOG.info("PGFLOW-040 wake-up listener reconnected");
                }
                lastProblem = null;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!stopped.get()) {
                    PGNotification[] notifications = pg.getNotifications(1000);
                    if (notifications != null) {
                        for (PGNotification n : notifications) {
                            wake.accept(n.getParameter());
                        }
                    }
                }
            } catch (Exception e) {
                if (stopped.get()) {
                    break;
                }
                String problem = String.valueOf(e.getMessage());
                if (!problem.equals(lastProblem)) {
                    LOG.warning("PGFLOW-041 wake-up listener lost its connection (" + problem
                            + "); workers keep polling; reconnecting every 2 s");
                }
                lastProblem = problem;
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            } finally {
                connection = null;
            }
        }
    }

    void stop() {
        stopped.set(true);
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing wakes the blocked getNotifications; nothing else to do
            }
        }
    }
}
