package io.pgflowee.engine.worker;

import java.util.function.Consumer;
import java.util.logging.Logger;

import io.pgflowee.engine.db.NotificationListener;

/**
 * One dedicated connection per server that LISTENs on {@code pgflow_tasks} and hands each
 * notified flow slug to the workers, so an idle worker claims within milliseconds instead of at
 * its next poll. Reconnects (every 2 s) after the database restarts; polling covers the gap.
 */
final class WakeUpListener implements Runnable {

    private static final Logger LOG = Logger.getLogger(WakeUpListener.class.getName());
    static final String CHANNEL = "pgflow_tasks";

    private final NotificationListener listener;

    WakeUpListener(String url, String user, String password, Consumer<String> wake) {
        listener = new NotificationListener(url, user, password, "pgflow wake-ups", CHANNEL, new NotificationListener.Events() {
            @Override
            public void connected(boolean afterProblem) {
                if (afterProblem) {
                    LOG.info("PGFLOW-040 wake-up listener reconnected");
                }
            }

            @Override
            public void notification(String payload) {
                wake.accept(payload);
            }

            @Override
            public void lost(String problem, boolean newProblem) {
                if (newProblem) {
                    LOG.warning("PGFLOW-041 wake-up listener lost its connection (" + problem
                            + "); workers keep polling; reconnecting every 2 s");
                }
            }
        });
    }

    @Override
    public void run() {
        listener.run();
    }

    void stop() {
        listener.stop();
    }
}
