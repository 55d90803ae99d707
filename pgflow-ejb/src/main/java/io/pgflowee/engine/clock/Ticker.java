package io.pgflowee.engine.clock;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.flows.FlowsVerified;
import io.pgflowee.engine.system.ApplicationStopping;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonReader;

/**
 * Calls {@code pgflow.tick()} every {@code pgflow.tick.intervalMillis} (1000) on this server, from
 * the moment the flows are verified until the application stops: signal steps whose wait passed
 * its deadline fail or are skipped. Every server of a pool ticks; the database makes concurrent
 * ticks safe (each deadline applied once, nobody waits), so a pool loses nothing when a server
 * goes. When a call finds more deadlines due than it applies, it calls again at once (up to 10
 * times a tick). A failing tick (a database down) is logged once and again when ticks work again;
 * the deadlines wait for it. {@code pgflow.tick.enabled=false} stops this server ticking (another
 * server, or a cron job calling {@code SELECT pgflow.tick()}, must then do it).
 * <p>
 * Runs on a managed scheduled executor of its own ({@value #EXECUTOR_JNDI_NAME}, one thread,
 * declared by the web module), so a slow database holds no other timer of the server back; in an
 * EAR, whose EJB module starts before the web module binds it, on the server's default one.
 */
@ApplicationScoped
public class Ticker {

    /** The managed scheduled executor the ticks run on (declared where Payara Micro reads it: the web module). */
    public static final String EXECUTOR_JNDI_NAME = "java:app/concurrent/pgflow-clock";

    private static final Logger LOG = Logger.getLogger(Ticker.class.getName());
    private static final int CALLS_PER_TICK = 10;

    /**
     * The server's default managed scheduled executor: used when {@value #EXECUTOR_JNDI_NAME} is not
     * bound when ticking starts (in an EAR the EJB module starts, and verifies the flows, before the
     * web module that declares it is deployed).
     */
    @Resource
    ManagedScheduledExecutorService defaultScheduler;

    /** The workers' pool (granted pgflow_worker's functions, tick among them), apart from the API's load. */
    @Resource(lookup = PgflowDataSource.WORKERS_JNDI_NAME)
    DataSource dataSource;

    @Inject
    @ConfigProperty(name = "pgflow.tick.enabled", defaultValue = "true")
    boolean enabled;

    @Inject
    @ConfigProperty(name = "pgflow.tick.intervalMillis", defaultValue = "1000")
    long intervalMillis;

    private ScheduledFuture<?> ticks;
    private boolean stopped;
    private volatile boolean failing;
    private volatile long expiredTotal;

    void onFlowsVerified(@Observes FlowsVerified event) {
        start();
    }

    /** Starts ticking (once; not after the application began stopping). */
    public synchronized void start() {
        if (ticks != null || stopped) {
            return;
        }
        if (!enabled) {
            LOG.info("PGFLOW-099 this server does not call pgflow.tick() (pgflow.tick.enabled=false): another server or a cron job"
                    + " calling SELECT pgflow.tick() must apply the signal deadlines");
            return;
        }
        long every = Math.max(50L, intervalMillis);
        ticks = scheduler().scheduleWithFixedDelay(this::tickQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    private ManagedScheduledExecutorService scheduler() {
        try {
            return (ManagedScheduledExecutorService) new javax.naming.InitialContext().lookup(EXECUTOR_JNDI_NAME);
        } catch (javax.naming.NamingException | ClassCastException e) {
            LOG.info("PGFLOW-099 " + EXECUTOR_JNDI_NAME + " is not bound yet (an EAR starts its EJB module first): pgflow.tick()"
                    + " runs on the server's default managed scheduled executor");
            return defaultScheduler;
        }
    }

    /** Whether this server ticks now. */
    public synchronized boolean isTicking() {
        return ticks != null && !ticks.isDone();
    }

    /** Deadlines this server's ticks applied since it started. */
    public long expiredTotal() {
        return expiredTotal;
    }

    /** One {@code pgflow.tick()} call, now, on the caller's thread. */
    public TickSummary tickOnce() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pgflow.tick()::text")) {
            rs.next();
            try (JsonReader reader = Json.createReader(new StringReader(rs.getString(1)))) {
                return TickSummary.of(reader.readObject());
            }
        }
    }

    /** The schedules whose last firing the flow refused, with why (at most 5): for the log line. */
    private String refusedFirings() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT schedule_name || ' (flow ' || flow_slug || '): ' || last_error FROM pgflow_internal.schedules"
                     + " WHERE last_error IS NOT NULL ORDER BY next_fire_at DESC LIMIT 5")) {
            java.util.List<String> lines = new java.util.ArrayList<>();
            while (rs.next()) {
                lines.add(rs.getString(1));
            }
            return String.join("; ", lines);
        }
    }

    private void tickQuietly() {
        try {
            TickSummary summary;
            int calls = 0;
            do {
                summary = tickOnce();
                calls++;
                if (summary.changedSomething()) {
                    expiredTotal += summary.waitsExpired();
                    LOG.info("PGFLOW-100 " + summary.waitsExpired() + " signal wait(s) passed their deadline: " + summary.runsFailed()
                            + " run(s) failed, the other steps skipped as their when_exhausted says");
                }
                if (summary.schedulesFired() > 0) {
                    int fired = summary.schedulesFired();
                    LOG.fine(() -> "PGFLOW-101 started " + fired + " scheduled run(s)");
                }
                if (summary.scheduleErrors() > 0) {
                    LOG.warning("PGFLOW-102 " + summary.scheduleErrors() + " scheduled firing(s) could not start, the schedules moved on: "
                            + refusedFirings());
                }
            } while (summary.more() && calls < CALLS_PER_TICK);
            if (failing) {
                failing = false;
                LOG.info("PGFLOW-099 pgflow.tick() works again: signal deadlines are applied");
            }
        } catch (SQLException | RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.log(Level.WARNING, "PGFLOW-098 pgflow.tick() failed: " + e.getMessage() + " (tried again every "
                        + intervalMillis + " ms; signal deadlines wait until it works; said once until it does)");
            }
        }
    }

    void onApplicationStopping(@Observes ApplicationStopping event) {
        stop();
    }

    @PreDestroy
    synchronized void stop() {
        stopped = true;
        if (ticks != null) {
            ticks.cancel(false);
            ticks = null;
        }
    }
}
