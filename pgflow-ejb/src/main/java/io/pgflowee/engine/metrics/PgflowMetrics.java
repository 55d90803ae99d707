package io.pgflowee.engine.metrics;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgflowee.engine.db.PgflowDataSource;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * pgflow's metrics in Prometheus text format (served at {@code /metrics}). Two kinds:
 * <ul>
 * <li>measured by this server: {@code pgflow_task_duration_seconds} (histogram of this server's
 * handlers per flow, step and outcome) and {@code pgflow_claim_duration_seconds} (its
 * {@code claim_tasks} calls per flow);</li>
 * <li>read from the database, for the whole pool, at most once per
 * {@code pgflow.metrics.refreshSeconds} (10) however often it is scraped: runs started, completed,
 * failed and cancelled per flow since this server first served its metrics ({@code pgflow_runs_*_total}, counted
 * from the runs' own timestamps, so runs started from psql count too; every server reports the
 * same numbers: aggregate with {@code max}, not {@code sum}), runs going on, tasks queued, delayed
 * and running per flow, and live workers per flow.</li>
 * </ul>
 * Plus the JVM's memory, GC, threads, classes, CPU and uptime.
 */
@ApplicationScoped
public class PgflowMetrics {

    private static final Logger LOG = Logger.getLogger(PgflowMetrics.class.getName());
    /** Runs are counted once their time is this much in the past: transactions commit after their now(). */
    static final Duration COUNT_LAG = Duration.ofSeconds(5);
    private static final Duration[] TASK_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300);
    private static final Duration[] CLAIM_BUCKETS = seconds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1);

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    /** The gauges' reads go to the replica while reads are there ({@link io.pgflowee.engine.db.ReadReplicas}). */
    @Resource(lookup = PgflowDataSource.READ_JNDI_NAME)
    DataSource readDataSource;

    @Inject
    io.pgflowee.engine.db.ReadReplicas replicas;

    @Inject
    @ConfigProperty(name = "pgflow.metrics.refreshSeconds", defaultValue = "10")
    int refreshSeconds;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
    private JvmGcMetrics gc;
    private long lastRefreshNanos;
    private boolean refreshedOnce;
    private OffsetDateTime countedUpTo;
    private String lastProblem;
    private final AtomicLong databaseUp = new AtomicLong();
    private volatile io.pgflowee.engine.system.SystemInfoService.RunPartitions runPartitions;

    @PostConstruct
    void bindJvm() {
        new JvmMemoryMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder("pgflow.database.up", databaseUp, AtomicLong::get)
                .description("1 when the last metrics read from the database worked, else 0").register(registry);
        Gauge.builder("pgflow.run.partitions", this, m -> m.runPartitions == null ? Double.NaN : m.runPartitions.ranges())
                .description("Time ranges of the partitioned run tables (0 while they are plain)").register(registry);
        Gauge.builder("pgflow.run.partitions.ahead.seconds", this,
                        m -> m.runPartitions == null ? Double.NaN : m.runPartitions.aheadSeconds(java.time.Instant.now()))
                .description("How far ahead the run tables' time ranges reach (negative: new runs land in the default partition;"
                        + " NaN while the tables are plain)").register(registry);
        if (replicas != null && replicas.configured()) {
            io.pgflowee.engine.db.ReadReplicas reads = replicas;
            Gauge.builder("pgflow.reads.on.replica", reads, r -> r.status().readsOnReplica() ? 1 : 0)
                    .description("1 while the read model reads the replica (pgflow.db.readUrl), 0 while it reads the primary").register(registry);
            Gauge.builder("pgflow.reads.replica.lag.seconds", reads, r -> r.status().lagMillis() < 0 ? Double.NaN : r.status().lagMillis() / 1000.0)
                    .description("How far the replica's replayed state is behind the primary (NaN: it cannot be read)").register(registry);
        }
    }

    @PreDestroy
    void close() {
        if (gc != null) {
            gc.close();
        }
        registry.close();
    }

    /** A handler of this server finished: {@code outcome} is completed, failed or timed_out. */
    public void taskFinished(String flow, String step, String outcome, long nanos) {
        Timer.builder("pgflow.task.duration").description("How long this server's handlers ran, per flow, step and outcome")
                .tags("flow", flow, "step", step, "outcome", outcome).serviceLevelObjectives(TASK_BUCKETS)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One claim_tasks call of this server's worker of {@code flow}. */
    public void claimed(String flow, long nanos) {
        Timer.builder("pgflow.claim.duration").description("How long this server's claim_tasks calls took, per flow")
                .tags("flow", flow).serviceLevelObjectives(CLAIM_BUCKETS)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The Prometheus text (format 0.0.4), after reading the database if the last read is older than the refresh interval. */
    public String scrape() {
        refreshIfStale();
        return registry.scrape();
    }

    private synchronized void refreshIfStale() {
        long now = System.nanoTime();
        if (refreshedOnce && now - lastRefreshNanos < TimeUnit.SECONDS.toNanos(Math.max(refreshSeconds, 1))) {
            return;
        }
        lastRefreshNanos = now;
        refreshedOnce = true;
        DataSource from = replicas != null && replicas.configured() && replicas.readOnReplica(null) ? readDataSource : dataSource;
        try (Connection c = from.getConnection()) {
            refresh(c);
            databaseUp.set(1);
            lastProblem = null;
        } catch (SQLException | RuntimeException e) {
            databaseUp.set(0);
            String problem = String.valueOf(e.getMessage());
            if (!problem.equals(lastProblem)) {
                LOG.warning("PGFLOW-070 metrics could not read the database (" + problem + "); the database's numbers keep their"
                        + " last values and pgflow_database_up is 0");
                lastProblem = problem;
            }
        }
    }

    private void refresh(Connection c) throws SQLException {
        Set<String> flows = new HashSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT flow_slug FROM pgflow.flows")) {
            while (rs.next()) {
                flows.add(rs.getString(1));
            }
        }
        Map<String, long[]> tasks = new HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT t.flow_slug,"
                        + " count(*) FILTER (WHERE t.status = 'queued' AND t.visible_at <= now()),"
                        + " count(*) FILTER (WHERE t.status = 'queued' AND t.visible_at > now() AND t.visible_at < 'infinity'),"
                        + " count(*) FILTER (WHERE t.status = 'started' AND t.visible_at < 'infinity')"
                        + " FROM pgflow.step_tasks t WHERE t.status IN ('queued', 'started') GROUP BY t.flow_slug")) {
            while (rs.next()) {
                tasks.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4)});
            }
        }
        Map<String, Long> workers = counts(c, "SELECT w.queue_name, count(*) FROM pgflow.workers w WHERE w.stopped_at IS NULL"
                + " AND w.last_heartbeat > clock_timestamp() - interval '15 seconds' GROUP BY w.queue_name");
        Map<String, Long> active = counts(c, "SELECT r.flow_slug, count(*) FROM pgflow.runs r WHERE r.status = 'started'"
                + " GROUP BY r.flow_slug");
        for (String flow : flows) {
            long[] t = tasks.getOrDefault(flow, new long[3]);
            gauge("pgflow.tasks.queued", "Tasks of the flow waiting for a worker (visible now)", flow).set(t[0]);
            gauge("pgflow.tasks.delayed", "Tasks of the flow waiting for their start delay or retry backoff", flow).set(t[1]);
            gauge("pgflow.tasks.running", "Tasks of the flow claimed by a worker and not yet reported", flow).set(t[2]);
            gauge("pgflow.workers.live", "Workers of the flow (all servers) with a heartbeat in the last 15 s", flow)
                    .set(workers.getOrDefault(flow, 0L));
            gauge("pgflow.runs.active", "Runs of the flow started and not yet finished", flow).set(active.getOrDefault(flow, 0L));
            for (String outcome : new String[] {"started", "completed", "failed", "cancelled"}) {
                runCounter(outcome, flow);
            }
        }
        countRuns(c);
        runPartitions = io.pgflowee.engine.system.SystemInfoService.readRunPartitions(c);
    }

    /** Adds the runs started and finished since the last read (up to now minus {@link #COUNT_LAG}) to the run counters. */
    private void countRuns(Connection c) throws SQLException {
        OffsetDateTime upTo;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT clock_timestamp() - interval '" + COUNT_LAG.toSeconds() + " seconds'")) {
            rs.next();
            upTo = rs.getObject(1, OffsetDateTime.class);
        }
        if (countedUpTo == null) {
            countedUpTo = upTo; // counters count from this server's first read on
            return;
        }
        try (PreparedStatement started = c.prepareStatement("SELECT r.flow_slug, 'started', count(*) FROM pgflow.runs r"
                + " WHERE r.started_at > ? AND r.started_at <= ? GROUP BY r.flow_slug");
             PreparedStatement finished = c.prepareStatement("SELECT r.flow_slug, r.status, count(*) FROM pgflow.runs r"
                     + " WHERE coalesce(r.completed_at, r.failed_at, r.cancelled_at) > ?"
                     + " AND coalesce(r.completed_at, r.failed_at, r.cancelled_at) <= ? GROUP BY r.flow_slug, r.status")) {
            for (PreparedStatement ps : new PreparedStatement[] {started, finished}) {
                ps.setObject(1, countedUpTo);
                ps.setObject(2, upTo);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        runCounter(rs.getString(2), rs.getString(1)).increment(rs.getLong(3));
                    }
                }
            }
        }
        countedUpTo = upTo;
    }

    private Counter runCounter(String outcome, String flow) {
        return Counter.builder("pgflow.runs." + outcome)
                .description("Runs of the flow " + outcome + " since this server first served /metrics (read from the database: all servers' runs)")
                .tag("flow", flow).register(registry);
    }

    private AtomicLong gauge(String name, String description, String flow) {
        return gauges.computeIfAbsent(name + "|" + flow, k -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder(name, value, AtomicLong::get).description(description).tag("flow", flow).register(registry);
            return value;
        });
    }

    private static Map<String, Long> counts(Connection c, String sql) throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counts;
    }

    private static Duration[] seconds(double... values) {
        Duration[] d = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = Duration.ofNanos((long) (values[i] * 1e9));
        }
        return d;
    }
}
