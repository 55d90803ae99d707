package io.pgflowee.engine.events;

import io.pgflowee.api.json.Jsonp;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.pgflowee.engine.db.DatabaseSettings;
import io.pgflowee.engine.db.NotificationListener;
import io.pgflowee.engine.db.PgflowDataSource;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;


/**
 * The server's one event pipe: a single connection LISTENs on {@code pgflow_events} while anyone
 * watches, and hands each run and step transition to the {@link Watcher}s of that run or flow.
 * Watchers hold no database connection. While a run is watched this server keeps a subscription
 * for it ({@code pgflow.subscribe_events}, renewed every 20 s, 60 s lifetime), and one for all runs
 * while any flow is watched, so the engine sends events only while someone looks.
 *
 * <p>Gaps: events are NOTIFYs, lost while the listener is disconnected. After it reconnects every
 * watcher gets {@link Watcher#reconnected()} and re-reads what it missed from the tables
 * ({@link #runHistory}, {@link #flowHistory}); the tables record every transition's time, and
 * events carry the same time, so both give the same {@link RunEvent#id()}.
 */
@ApplicationScoped
public class RunEventHub {

    private static final Logger LOG = Logger.getLogger(RunEventHub.class.getName());
    static final String CHANNEL = "pgflow_events";
    private static final int RENEW_SECONDS = 20;
    private static final int TTL_SECONDS = 60;

    /** Receives events; called on the listener's thread, so it must not block. */
    public interface Watcher {
        void event(RunEvent event);

        /** The listener lost its connection and is listening again: events in between may be missing. */
        void reconnected();
    }

    /** A registration; closing it ends the watch. */
    public final class Watch implements AutoCloseable {
        private final UUID runId;
        private final String flowSlug;
        private final Watcher watcher;

        private Watch(UUID runId, String flowSlug, Watcher watcher) {
            this.runId = runId;
            this.flowSlug = flowSlug;
            this.watcher = watcher;
        }

        boolean wants(RunEvent e) {
            return runId != null ? runId.equals(e.runId()) : flowSlug == null || flowSlug.equals(e.flowSlug());
        }

        @Override
        public void close() {
            if (watches.remove(this)) {
                releaseSubscriptions();
            }
        }
    }

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Resource
    ManagedThreadFactory threads;

    @Resource
    ManagedScheduledExecutorService scheduler;

    @Inject
    DatabaseSettings database;

    private final UUID serverId = UUID.randomUUID();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final Set<UUID> subscribedRuns = new HashSet<>();
    private boolean subscribedAll;
    private Listener listener;
    private ScheduledFuture<?> renewal;

    /**
     * Watches one run ({@code runId}) or all runs of one flow ({@code flowSlug}): once this returns,
     * the listener is listening and the subscription is committed, so every transition that commits
     * from now on reaches the watcher. A transition whose transaction checked for subscribers just
     * before can commit without an event: callers re-read the tables about a second later.
     *
     * @throws SQLException when the listener cannot connect or the subscription cannot be written
     */
    public Watch watch(UUID runId, String flowSlug, Watcher watcher) throws SQLException {
        if ((runId == null) == (flowSlug == null)) {
            throw new IllegalArgumentException("watch a run or a flow");
        }
        return open(new Watch(runId, flowSlug, watcher));
    }

    /** Watches every run of every flow (the console's one live feed); as {@link #watch}. */
    public Watch watchAll(Watcher watcher) throws SQLException {
        return open(new Watch(null, null, watcher));
    }

    private Watch open(Watch watch) throws SQLException {
        watches.add(watch);
        try {
            awaitListening();
            renewSubscriptions();
        } catch (SQLException | RuntimeException e) {
            watch.close();
            throw e;
        }
        return watch;
    }

    /** How many watches are open (all streams of this server). */
    public int watchCount() {
        return watches.size();
    }

    /**
     * Every transition of a run recorded in the tables at or after {@code sinceMicros}, in order; empty
     * when the run does not exist. A step that was retried shows its current attempt only.
     */
    public Optional<List<RunEvent>> runHistory(UUID runId, long sinceMicros) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement run = c.prepareStatement(RUN_SQL + " WHERE r.run_id = ?");
             PreparedStatement steps = c.prepareStatement(STEP_SQL + " WHERE ss.run_id = ?")) {
            run.setObject(1, runId);
            List<RunEvent> events = new ArrayList<>();
            try (ResultSet rs = run.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                runEvents(rs, events);
            }
            steps.setObject(1, runId);
            try (ResultSet rs = steps.executeQuery()) {
                while (rs.next()) {
                    stepEvents(rs, events);
                }
            }
            childEvents(c, new Object[] {runId}, events);
            return Optional.of(since(events, sinceMicros));
        }
    }

    /**
     * The transitions of a flow's runs recorded at or after {@code sinceMicros}, in order: of runs
     * still going, and of runs started, retried or finished since then. At most {@code max + 1}
     * events (more than {@code max} means the caller should not replay but re-read).
     */
    public List<RunEvent> flowHistory(String flowSlug, long sinceMicros, int max) throws SQLException {
        OffsetDateTime since = java.time.Instant.EPOCH.plus(sinceMicros, java.time.temporal.ChronoUnit.MICROS)
                .atOffset(java.time.ZoneOffset.UTC);
        String runs = "SELECT r.run_id FROM pgflow.runs r WHERE r.flow_slug = ? AND r.status = 'started'"
                + " UNION SELECT r.run_id FROM pgflow.runs r WHERE r.flow_slug = ? AND r.started_at >= ?"
                + " UNION SELECT r.run_id FROM pgflow.runs r WHERE r.flow_slug = ?"
                + " AND coalesce(r.completed_at, r.failed_at, r.cancelled_at) >= ?";
        List<RunEvent> events = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        // the runs once, then their steps by id
        try (Connection c = dataSource.getConnection();
             PreparedStatement run = c.prepareStatement(RUN_SQL + " WHERE r.run_id IN (" + runs + ")");
             PreparedStatement steps = c.prepareStatement(STEP_SQL + " WHERE ss.run_id = ANY (?)")) {
            run.setString(1, flowSlug);
            run.setString(2, flowSlug);
            run.setObject(3, since);
            run.setString(4, flowSlug);
            run.setObject(5, since);
            try (ResultSet rs = run.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getObject(1, UUID.class));
                    runEvents(rs, events);
                }
            }
            steps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet rs = steps.executeQuery()) {
                while (rs.next()) {
                    stepEvents(rs, events);
                }
            }
            childEvents(c, ids.toArray(), events);
        }
        List<RunEvent> result = since(events, sinceMicros);
        return result.size() > max + 1 ? result.subList(0, max + 1) : result;
    }

    private static final String RUN_SQL = "SELECT r.run_id, r.flow_slug, r.started_at, r.last_retried_at, r.completed_at,"
            + " r.failed_at, r.cancelled_at FROM pgflow.runs r";
    private static final String STEP_SQL = "SELECT ss.run_id, ss.flow_slug, ss.step_slug, ss.started_at, ss.completed_at,"
            + " ss.failed_at, ss.skipped_at, ss.cancelled_at, ss.skip_reason, ss.initial_tasks, st.step_type = 'signal'"
            + " FROM pgflow.step_states ss JOIN pgflow.steps st ON st.flow_slug = ss.flow_slug AND st.step_slug = ss.step_slug";

    /** The children the runs started, and how the children their tasks still wait for (or last waited for) ended. */
    private static final String CHILD_SQL = "SELECT c.parent_run_id, p.flow_slug, c.parent_step_slug, c.parent_task_index, c.run_id,"
            + " c.flow_slug, c.started_at, c.status, coalesce(c.completed_at, c.failed_at, c.cancelled_at)"
            + " FROM pgflow.runs c JOIN pgflow.runs p ON p.run_id = c.parent_run_id WHERE c.parent_run_id = ANY (?)";

    private static void childEvents(Connection c, Object[] parents, List<RunEvent> events) throws SQLException {
        try (PreparedStatement children = c.prepareStatement(CHILD_SQL)) {
            children.setArray(1, c.createArrayOf("uuid", parents));
            try (ResultSet rs = children.executeQuery()) {
                while (rs.next()) {
                    UUID parent = rs.getObject(1, UUID.class);
                    String flow = rs.getString(2);
                    String step = rs.getString(3);
                    int task = rs.getInt(4);
                    UUID child = rs.getObject(5, UUID.class);
                    String childFlow = rs.getString(6);
                    events.add(new RunEvent("run:child_started", parent, flow, step, "started", null,
                            RunEvent.micros(rs.getObject(7, OffsetDateTime.class)), task, child, childFlow));
                    OffsetDateTime ended = rs.getObject(9, OffsetDateTime.class);
                    if (ended != null) {
                        events.add(new RunEvent("run:child_finished", parent, flow, step, rs.getString(8), null, RunEvent.micros(ended),
                                task, child, childFlow));
                    }
                }
            }
        }
    }

    private static void runEvents(ResultSet rs, List<RunEvent> events) throws SQLException {
        UUID runId = rs.getObject(1, UUID.class);
        String flow = rs.getString(2);
        add(events, "run:started", runId, flow, null, "started", null, rs.getObject(3, OffsetDateTime.class));
        add(events, "run:retried", runId, flow, null, "started", null, rs.getObject(4, OffsetDateTime.class));
        add(events, "run:completed", runId, flow, null, "completed", null, rs.getObject(5, OffsetDateTime.class));
        add(events, "run:failed", runId, flow, null, "failed", null, rs.getObject(6, OffsetDateTime.class));
        add(events, "run:cancelled", runId, flow, null, "cancelled", null, rs.getObject(7, OffsetDateTime.class));
    }

    private static void stepEvents(ResultSet rs, List<RunEvent> events) throws SQLException {
        UUID runId = rs.getObject(1, UUID.class);
        String flow = rs.getString(2);
        String step = rs.getString(3);
        OffsetDateTime started = rs.getObject(4, OffsetDateTime.class);
        Integer tasks = (Integer) rs.getObject(10);
        boolean signal = rs.getBoolean(11);
        OffsetDateTime completed = rs.getObject(5, OffsetDateTime.class);
        // steps without tasks complete in the transaction that makes them ready: no step:started is sent;
        // nor for a signal step that a buffered signal completed as it started
        if (signal ? started != null && !started.equals(completed) : tasks == null || tasks > 0) {
            add(events, "step:started", runId, flow, step, "started", null, started);
            if (signal) {
                add(events, "step:waiting", runId, flow, step, "waiting", null, started);
            }
        }
        add(events, "step:completed", runId, flow, step, "completed", null, completed);
        add(events, "step:failed", runId, flow, step, "failed", null, rs.getObject(6, OffsetDateTime.class));
        add(events, "step:skipped", runId, flow, step, "skipped", rs.getString(9), rs.getObject(7, OffsetDateTime.class));
        add(events, "step:cancelled", runId, flow, step, "cancelled", null, rs.getObject(8, OffsetDateTime.class));
    }

    private static void add(List<RunEvent> events, String type, UUID runId, String flow, String step, String status,
                            String skipReason, OffsetDateTime at) {
        if (at != null) {
            events.add(new RunEvent(type, runId, flow, step, status, skipReason, RunEvent.micros(at)));
        }
    }

    private static List<RunEvent> since(List<RunEvent> events, long sinceMicros) {
        List<RunEvent> result = new ArrayList<>();
        for (RunEvent e : events) {
            if (e.atMicros() >= sinceMicros) {
                result.add(e);
            }
        }
        result.sort(RunEvent.ORDER);
        return result;
    }

    /** Parses a {@code pgflow_events} payload. */
    static RunEvent parse(String payload) {
        try (JsonReader reader = Jsonp.createReader(new StringReader(payload))) {
            JsonObject o = reader.readObject();
            return new RunEvent(o.getString("event_type"), UUID.fromString(o.getString("run_id")), o.getString("flow_slug"),
                    o.getString("step_slug", null), o.getString("status", null), o.getString("skip_reason", null),
                    ((JsonNumber) o.get("at")).longValueExact(),
                    o.containsKey("task_index") ? Integer.valueOf(o.getInt("task_index")) : null,
                    o.containsKey("child_run_id") ? UUID.fromString(o.getString("child_run_id")) : null,
                    o.getString("child_flow_slug", null));
        }
    }

    private void dispatch(String payload) {
        RunEvent event;
        try {
            event = parse(payload);
        } catch (RuntimeException e) {
            LOG.warning("PGFLOW-061 unreadable event on " + CHANNEL + " ignored: " + e.getMessage() + " ("
                    + payload.substring(0, Math.min(payload.length(), 200)) + ")");
            return;
        }
        for (Watch w : watches) {
            if (w.wants(event)) {
                try {
                    w.watcher.event(event);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "PGFLOW-062 an event watcher failed; it is closed", e);
                    w.close();
                }
            }
        }
    }

    private void reconnected() {
        for (Watch w : watches) {
            try {
                w.watcher.reconnected();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "PGFLOW-062 an event watcher failed; it is closed", e);
                w.close();
            }
        }
    }

    private void awaitListening() throws SQLException {
        Listener l;
        synchronized (this) {
            if (listener == null) {
                listener = new Listener();
                Thread thread = threads.newThread(listener);
                thread.setName("pgflow-events");
                thread.setDaemon(true);
                thread.start();
            }
            if (renewal == null) {
                renewal = scheduler.scheduleWithFixedDelay(this::renewQuietly, RENEW_SECONDS, RENEW_SECONDS, TimeUnit.SECONDS);
            }
            l = listener;
        }
        try {
            l.ready.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            throw new SQLException("the event listener is not connected to the database (" + l.lastProblem + ")", "08001");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while connecting the event listener", "08001");
        }
    }

    private void renewQuietly() {
        try {
            renewSubscriptions();
        } catch (SQLException | RuntimeException e) {
            LOG.warning("PGFLOW-063 event subscriptions not renewed (" + e.getMessage() + "); retried in " + RENEW_SECONDS + " s");
        }
    }

    /** Writes (or extends) this server's subscriptions for what is watched now, and drops the others. */
    private synchronized void renewSubscriptions() throws SQLException {
        Set<UUID> runs = new HashSet<>();
        boolean all = false;
        for (Watch w : watches) {
            if (w.runId != null) {
                runs.add(w.runId);
            } else {
                all = true;
            }
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement sub = c.prepareStatement("SELECT pgflow.subscribe_events(?, ?, ?)");
             PreparedStatement unsub = c.prepareStatement("SELECT pgflow.unsubscribe_events(?)")) {
            for (UUID run : runs) {
                sub.setObject(1, subscriptionId(run));
                sub.setObject(2, run);
                sub.setInt(3, TTL_SECONDS);
                sub.execute();
            }
            if (all) {
                sub.setObject(1, serverId);
                sub.setObject(2, null);
                sub.setInt(3, TTL_SECONDS);
                sub.execute();
            }
            for (UUID run : subscribedRuns) {
                if (!runs.contains(run)) {
                    unsub.setObject(1, subscriptionId(run));
                    unsub.execute();
                }
            }
            if (subscribedAll && !all) {
                unsub.setObject(1, serverId);
                unsub.execute();
            }
        }
        subscribedRuns.clear();
        subscribedRuns.addAll(runs);
        subscribedAll = all;
    }

    private void releaseSubscriptions() {
        try {
            scheduler.execute(this::renewQuietly);
        } catch (RuntimeException e) {
            // shutting down: the subscriptions expire by themselves
        }
    }

    private UUID subscriptionId(UUID run) {
        return UUID.nameUUIDFromBytes((serverId + "/" + run).getBytes(StandardCharsets.UTF_8));
    }

    @PreDestroy
    void stop() {
        Listener l;
        synchronized (this) {
            l = listener;
            listener = null;
            if (renewal != null) {
                renewal.cancel(false);
            }
        }
        watches.clear();
        if (l != null) {
            l.stop();
        }
    }

    /** The LISTEN connection ({@link NotificationListener}); reconnects every 2 s while the database is away. */
    private final class Listener implements Runnable, NotificationListener.Events {
        volatile CompletableFuture<Void> ready = new CompletableFuture<>();
        volatile String lastProblem = "not connected yet";
        private final NotificationListener connection = new NotificationListener(database.url(), database.user(),
                database.password(), "pgflow events", CHANNEL, this);
        private boolean connectedBefore;

        @Override
        public void run() {
            connection.run();
        }

        @Override
        public void connected(boolean afterProblem) {
            if (connectedBefore) {
                LOG.info("PGFLOW-064 event listener reconnected; open streams re-read what they missed");
                reconnected();
            }
            connectedBefore = true;
            ready.complete(null);
        }

        @Override
        public void notification(String payload) {
            dispatch(payload);
        }

        @Override
        public void lost(String problem, boolean newProblem) {
            lastProblem = problem;
            if (ready.isDone()) {
                ready = new CompletableFuture<>();
            }
            if (newProblem) {
                LOG.warning("PGFLOW-065 event listener lost its connection (" + problem + "); reconnecting every 2 s");
            }
        }

        void stop() {
            connection.stop();
        }
    }
}
