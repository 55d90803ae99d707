package io.pgflowee.engine.db;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Properties;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * A dedicated connection that LISTENs on one channel and hands each payload on; while the database
 * is away it reconnects every 2 s. Used for the workers' wake-ups ({@code pgflow_tasks}) and the
 * run events ({@code pgflow_events}); what to log and do on (re)connection is the user's.
 */
public final class NotificationListener implements Runnable {

    /** What the listener reports, on its own thread. */
    public interface Events {
        /** Listening now; {@code afterProblem}: a problem was reported since the last time it was listening. */
        void connected(boolean afterProblem);

        void notification(String payload);

        /** The connection failed or was lost; {@code newProblem}: not the problem reported just before. */
        void lost(String problem, boolean newProblem);
    }

    private final String url;
    private final Properties properties = new Properties();
    private final String channel;
    private final Events events;
    private volatile boolean stopped;
    private volatile Connection connection;

    public NotificationListener(String url, String user, String password, String applicationName, String channel, Events events) {
        this.url = url;
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("ApplicationName", applicationName);
        properties.setProperty("tcpKeepAlive", "true");
        this.channel = channel;
        this.events = events;
    }

    @Override
    public void run() {
        String lastProblem = null;
        while (!stopped) {
            try (Connection c = new org.postgresql.Driver().connect(url, properties)) {
                connection = c;
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + channel);
                }
                events.connected(lastProblem != null);
                lastProblem = null;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!stopped) {
                    PGNotification[] batch = pg.getNotifications(1000);
                    if (batch != null) {
                        for (PGNotification n : batch) {
                            events.notification(n.getParameter());
                        }
                    }
                }
            } catch (Exception e) {
                if (stopped) {
                    break;
                }
                String problem = String.valueOf(e.getMessage());
                events.lost(problem, !problem.equals(lastProblem));
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

    /** Stops listening: closing the connection ends the blocked wait for notifications. */
    public void stop() {
        stopped = true;
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
