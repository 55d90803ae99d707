package io.pgflowee.engine.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Where the read model reads: a streaming replica ({@code pgflow.db.readUrl},
 * {@code PGFLOW_DB_READ_URL}) while it is up and close behind, the primary otherwise.
 *
 * <p>Every {@value #CHECK_MILLIS} ms the server compares the primary's WAL position with what the
 * replica has replayed: {@link State#UP} while the replica is a replica ({@code pg_is_in_recovery()})
 * and at most {@code pgflow.db.readMaxLagMillis} (default {@value #DEFAULT_MAX_LAG_MILLIS}) behind,
 * {@link State#LAGGING} past that, {@link State#DOWN} when it cannot be reached or is not a replica;
 * reads go to the replica only while it is UP, and the change is logged once (PGFLOW-069).
 *
 * <p>Read-your-writes: after a person's action (any request that is not a read, {@link #wrote}),
 * the primary's WAL position is remembered for that person; their reads in the next
 * {@value #REMEMBER_SECONDS} s go to the replica only once it has replayed that position, waiting for
 * it at most {@code pgflow.db.readYourWritesWaitMillis} (default {@value #DEFAULT_WAIT_MILLIS} ms),
 * and to the primary after that. Other people's reads are not held up. The reads of a request that
 * may write (the answer to a start, the page after an action's post) go to the primary ({@link #serving}).
 */
@ApplicationScoped
public class ReadReplicas {

    private static final Logger LOG = Logger.getLogger(ReadReplicas.class.getName());
    static final long CHECK_MILLIS = 1_000;
    static final long DEFAULT_MAX_LAG_MILLIS = 5_000;
    static final long DEFAULT_WAIT_MILLIS = 500;
    static final long REMEMBER_SECONDS = 30;

    /** Where reads go. */
    public enum State {
        /** No replica configured: every read on the primary. */
        OFF,
        /** Reads on the replica. */
        UP,
        /** The replica is further behind than the bound: reads on the primary. */
        LAGGING,
        /** The replica cannot be reached, or is not a replica: reads on the primary. */
        DOWN
    }

    /**
     * The last check.
     *
     * @param lagMillis how long the replica's replayed state is behind (0 when it has replayed all), -1 when unknown
     * @param lagBytes  how many bytes of WAL it has still to replay, -1 when unknown
     * @param reason    why reads are on the primary, null when UP or OFF
     */
    public record Status(State state, long lagMillis, long lagBytes, Instant checkedAt, String reason) {
        public boolean readsOnReplica() {
            return state == State.UP;
        }
    }

    @Inject
    @ConfigProperty(name = "pgflow.db.readUrl")
    Optional<String> readUrl;

    @Inject
    @ConfigProperty(name = "pgflow.db.readMaxLagMillis", defaultValue = "" + DEFAULT_MAX_LAG_MILLIS)
    long maxLagMillis;

    @Inject
    @ConfigProperty(name = "pgflow.db.readYourWritesWaitMillis", defaultValue = "" + DEFAULT_WAIT_MILLIS)
    long waitMillis;

    @Inject
    DatabaseSettings database;

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource primary;

    @Resource(lookup = PgflowDataSource.READ_JNDI_NAME)
    DataSource replica;

    @Resource
    ManagedScheduledExecutorService scheduler;

    /** Set while the thread serves a request that may write: its reads (the answer to a start, say) see its own changes. */
    private static final ThreadLocal<Boolean> WRITING = new ThreadLocal<>();

    private volatile Status status = new Status(State.OFF, 0, 0, Instant.now(), null);
    private final Map<String, Written> written = new ConcurrentHashMap<>();
    private ScheduledFuture<?> checks;

    private final LagClock lag = new LagClock();

    /** A WAL position {@code X/Y} as a number. */
    static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }

    /**
     * How long ago the primary was where the replica now is: the primary's WAL position is noted at
     * every check, and the replica's replay position is placed between two notes (linearly), so the
     * lag is the age of the replica's state, to a fraction of the check interval. Not
     * {@code now() - pg_last_xact_replay_timestamp()} alone: after an idle minute on the primary that
     * says a minute the moment anything is written. Past the notes kept (2 minutes), that measure is
     * the floor.
     */
    static final class LagClock {
        private static final long KEPT_MILLIS = 120_000;
        private final java.util.ArrayDeque<long[]> notes = new java.util.ArrayDeque<>(); // {millis, lsn}

        synchronized long millisBehind(long nowMillis, long primaryLsn, long replayedLsn, long replayAgeMillis) {
            notes.addLast(new long[] {nowMillis, primaryLsn});
            while (notes.size() > 1 && nowMillis - notes.peekFirst()[0] > KEPT_MILLIS) {
                notes.removeFirst();
            }
            if (replayedLsn >= primaryLsn) {
                return 0;
            }
            long[] later = null;
            for (java.util.Iterator<long[]> it = notes.descendingIterator(); it.hasNext();) {
                long[] note = it.next();
                if (note[1] <= replayedLsn) {
                    if (later == null || later[1] == note[1]) {
                        return Math.max(0, nowMillis - note[0]);
                    }
                    double share = (double) (replayedLsn - note[1]) / (later[1] - note[1]);
                    return Math.max(0, nowMillis - (note[0] + Math.round(share * (later[0] - note[0]))));
                }
                later = note;
            }
            // further behind than the notes go back
            return Math.max(nowMillis - notes.peekFirst()[0], Math.max(0, replayAgeMillis));
        }
    }

    /** A person's last write: the primary's WAL position after it, and when. */
    private record Written(String lsn, long atNanos) {
    }

    public ReadReplicas() {
    }

    /** Outside a container (tests): a replica at {@code replica}, or none when it is null. */
    public ReadReplicas(DataSource primary, DataSource replica, long maxLagMillis, long waitMillis) {
        this.primary = primary;
        this.replica = replica;
        this.readUrl = Optional.ofNullable(replica == null ? null : "(test)");
        this.maxLagMillis = maxLagMillis;
        this.waitMillis = waitMillis;
        if (replica != null) {
            status = new Status(State.DOWN, -1, -1, Instant.now(), "not checked yet");
        }
    }

    @PostConstruct
    void init() {
        if (configured()) {
            status = new Status(State.DOWN, -1, -1, Instant.now(), "not checked yet");
            check();
            checks = scheduler.scheduleWithFixedDelay(this::check, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    @PreDestroy
    void stop() {
        if (checks != null) {
            checks.cancel(false);
        }
    }

    /** Whether a replica is configured at all. */
    public boolean configured() {
        return readUrl != null && readUrl.filter(u -> !u.isBlank() && (database == null || !u.equals(database.url()))).isPresent();
    }

    public Status status() {
        return status;
    }

    /** Checks the replica now (the scheduler does it every second) and returns the new status. */
    public Status check() {
        if (!configured()) {
            return status;
        }
        Status before = status;
        Status now;
        try {
            String primaryLsn = primaryLsn();
            try (Connection c = replica.getConnection(); Statement st = c.createStatement()) {
                st.setQueryTimeout(2);
                try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                        + " (extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint")) {
                    rs.next();
                    if (!rs.getBoolean(1) || rs.getString(2) == null) {
                        now = new Status(State.DOWN, -1, -1, Instant.now(), "the read database is not a replica (pg_is_in_recovery() is false)");
                    } else {
                        long primaryAt = lsn(primaryLsn);
                        long replayed = lsn(rs.getString(2));
                        long bytes = Math.max(0, primaryAt - replayed);
                        long millis = lag.millisBehind(System.currentTimeMillis(), primaryAt, replayed, rs.getLong(3));
                        now = millis > maxLagMillis
                                ? new Status(State.LAGGING, millis, bytes, Instant.now(), "the replica is " + millis + " ms behind the primary,"
                                        + " over pgflow.db.readMaxLagMillis=" + maxLagMillis)
                                : new Status(State.UP, millis, bytes, Instant.now(), null);
                    }
                }
            }
        } catch (SQLException e) {
            now = new Status(State.DOWN, -1, -1, Instant.now(), "the replica cannot be read: " + e.getMessage());
        }
        status = now;
        if (before.state() != now.state()) {
            Status changed = now;
            LOG.info(() -> "PGFLOW-069 reads " + (changed.readsOnReplica() ? "are on the replica again" : "are on the primary: " + changed.reason()));
        }
        expireWrites();
        return now;
    }

    private String primaryLsn() throws SQLException {
        try (Connection c = primary.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Remembers that {@code person} has just changed something (their request committed): their
     * reads go to the replica only once it has replayed it.
     */
    public void wrote(String person) {
        if (!configured() || person == null) {
            return;
        }
        try {
            written.put(person, new Written(primaryLsn(), System.nanoTime()));
        } catch (SQLException e) {
            // the primary cannot say where it is: this person reads from the primary for a while
            written.put(person, new Written(null, System.nanoTime()));
        }
    }

    /**
     * Whether a read for {@code person} (null: nobody in particular) may go to the replica: it is
     * UP, and has replayed the person's last write (waiting for it a little).
     */
    public boolean readOnReplica(String person) {
        if (!status.readsOnReplica() || Boolean.TRUE.equals(WRITING.get())) {
            return false;
        }
        Written last = person == null ? null : written.get(person);
        if (last == null || System.nanoTime() - last.atNanos() > TimeUnit.SECONDS.toNanos(REMEMBER_SECONDS)) {
            return true;
        }
        if (last.lsn() == null) {
            return false;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        try (Connection c = replica.getConnection(); Statement st = c.createStatement()) {
            st.setQueryTimeout(2);
            while (true) {
                try (ResultSet rs = st.executeQuery("SELECT pg_last_wal_replay_lsn() >= '" + last.lsn() + "'::pg_lsn")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        written.remove(person, last);
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(10);
            }
        } catch (SQLException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Marks the calling thread as serving a request that may write ({@code true}) until it is
     * cleared ({@code false}): its reads go to the primary, which has what it just did.
     */
    public static void serving(boolean mayWrite) {
        if (mayWrite) {
            WRITING.set(Boolean.TRUE);
        } else {
            WRITING.remove();
        }
    }

    private void expireWrites() {
        long now = System.nanoTime();
        written.values().removeIf(w -> now - w.atNanos() > TimeUnit.SECONDS.toNanos(REMEMBER_SECONDS));
    }
}
