package io.pgflowee.engine.worker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT (a service manager's stop, Ctrl-C, the launcher's reload) stop the workers
 * gracefully <em>before</em> the server begins to stop. Payara Micro answers these signals by
 * exiting the JVM, and its own shutdown hook tears down connection pools and executors while other
 * hooks run, so a graceful stop that starts then finds nothing to report through. Here the first
 * signal runs the graceful stop with the whole server still up, then does what the signal did
 * before (the JVM's exit, which stops Payara). A second signal while the workers drain skips the wait.
 */
final class StopSignals {

    private static final Logger LOG = Logger.getLogger(StopSignals.class.getName());

    private final Runnable gracefulStop;
    private final Map<String, SignalHandler> previous = new HashMap<>();
    private final AtomicBoolean signalled = new AtomicBoolean();
    /** The application's class loader: the JVM runs signal handlers on a thread with none, where CDI and JNDI find nothing. */
    private final ClassLoader application = Thread.currentThread().getContextClassLoader();

    StopSignals(Runnable gracefulStop) {
        this.gracefulStop = gracefulStop;
    }

    /** Takes SIGTERM and SIGINT over (where the platform lets it; elsewhere the JVM's shutdown hook remains). */
    synchronized void install() {
        for (String name : List.of("TERM", "INT")) {
            try {
                previous.put(name, Signal.handle(new Signal(name), this::handle));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                LOG.fine(() -> "SIG" + name + " is not available here: " + e.getMessage());
            }
        }
    }

    /** Gives the signals back to what handled them before (an undeploy; a redeployed application installs its own). */
    synchronized void uninstall() {
        previous.forEach((name, handler) -> {
            try {
                Signal.handle(new Signal(name), handler);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                LOG.fine(() -> "SIG" + name + " could not be given back: " + e.getMessage());
            }
        });
        previous.clear();
    }

    private void handle(Signal signal) {
        SignalHandler next;
        synchronized (this) {
            next = previous.get(signal.getName());
        }
        if (signalled.compareAndSet(false, true)) {
            LOG.info("PGFLOW-045 SIG" + signal.getName() + ": stopping the workers gracefully before the server stops");
            Thread thread = Thread.currentThread();
            ClassLoader before = thread.getContextClassLoader();
            thread.setContextClassLoader(application);
            try {
                gracefulStop.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "PGFLOW-048 the graceful stop failed; the server stops anyway", e);
            } finally {
                thread.setContextClassLoader(before);
            }
        }
        if (next == null || next == SignalHandler.SIG_DFL) {
            System.exit(128 + signal.getNumber());
        } else if (next != SignalHandler.SIG_IGN) {
            next.handle(signal);
        }
    }
}
