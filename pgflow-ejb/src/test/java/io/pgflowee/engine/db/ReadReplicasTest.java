package io.pgflowee.engine.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import io.pgflowee.testing.StreamingReplica;

/**
 * Where reads go, against a real primary and a real streaming replica of it: to the replica while
 * it is close behind (and it is one: {@code pg_is_in_recovery()}), to the primary while it lags past
 * the bound, while it is stopped, and when the "replica" is no replica; back to the replica when it
 * has caught up or is started again. Read-your-writes: a person who has just written reads the
 * replica only once it has replayed the write (others are not held up).
 */
class ReadReplicasTest {

    private static StreamingReplica pair;
    private static DataSource primary;
    private static DataSource replica;

    @BeforeAll
    static void start() throws Exception {
        pair = StreamingReplica.start(Path.of("target", "read-replicas-test"));
        primary = dataSource(pair.primaryUrl("postgres"));
        replica = dataSource(pair.replicaUrl("postgres"));
        exec(primary, "CREATE TABLE IF NOT EXISTS marks (n int)");
        pair.awaitCaughtUp(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        if (pair != null) {
            pair.close();
        }
    }

    private static DataSource dataSource(String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setUser("postgres");
        ds.setPassword("postgres");
        ds.setConnectTimeout(2);
        return ds;
    }

    private static void exec(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String one(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void readsFollowTheReplicasHealthAndAPersonReadsTheirOwnWrites() throws Exception {
        ReadReplicas reads = new ReadReplicas(primary, replica, 1_000, 300);
        assertThat(one(replica, "SELECT pg_is_in_recovery()")).as("a real replica").isEqualTo("t");

        ReadReplicas.Status up = reads.check();
        assertThat(up.state()).isEqualTo(ReadReplicas.State.UP);
        // caught up but for what the primary wrote since (its own background records): well within the bound
        assertThat(up.lagBytes()).isBetween(0L, 1_000_000L);
        assertThat(up.lagMillis()).isBetween(0L, 1_000L);
        assertThat(up.reason()).isNull();
        assertThat(reads.readOnReplica(null)).isTrue();
        assertThat(reads.readOnReplica("ann")).isTrue();

        // read-your-writes: Ann writes while the replica's replay is paused
        exec(replica, "SELECT pg_wal_replay_pause()");
        try {
            exec(primary, "INSERT INTO marks VALUES (1)");
            reads.wrote("ann");
            long t0 = System.nanoTime();
            assertThat(reads.readOnReplica("ann")).as("Ann's write is not on the replica: the primary").isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("after waiting for it a little").isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(reads.readOnReplica("bob")).as("others read the replica").isTrue();
            assertThat(one(replica, "SELECT count(*) FROM marks")).isEqualTo("0");

            // past the bound it lags: everyone reads the primary
            Thread.sleep(1_200);
            ReadReplicas.Status lagging = reads.check();
            assertThat(lagging.state()).isEqualTo(ReadReplicas.State.LAGGING);
            assertThat(lagging.lagBytes()).isPositive();
            assertThat(lagging.lagMillis()).isGreaterThan(1_000);
            assertThat(lagging.reason()).matches("the replica is \\d+ ms behind the primary, over pgflow.db.readMaxLagMillis=1000");
            assertThat(reads.readOnReplica("bob")).isFalse();
        } finally {
            exec(replica, "SELECT pg_wal_replay_resume()");
        }
        pair.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(reads.check().state()).isEqualTo(ReadReplicas.State.UP);
        assertThat(reads.readOnReplica("ann")).as("her write has reached the replica").isTrue();
        assertThat(one(replica, "SELECT count(*) FROM marks")).isEqualTo("1");

        // stopped: the primary, and the reason; started again: the replica once it has caught up
        pair.stopReplica();
        ReadReplicas.Status down = reads.check();
        assertThat(down.state()).isEqualTo(ReadReplicas.State.DOWN);
        assertThat(down.reason()).startsWith("the replica cannot be read: ");
        assertThat(reads.readOnReplica(null)).isFalse();
        exec(primary, "INSERT INTO marks VALUES (2)");
        pair.startReplica();
        pair.awaitCaughtUp(Duration.ofSeconds(60));
        assertThat(reads.check().state()).isEqualTo(ReadReplicas.State.UP);
        assertThat(one(replica, "SELECT count(*) FROM marks")).as("it caught up from its slot").isEqualTo("2");
    }

    @Test
    void aReadDatabaseThatIsNoReplicaIsNotReadAndNoReplicaMeansThePrimary() throws Exception {
        ReadReplicas notAReplica = new ReadReplicas(primary, primary, 1_000, 300);
        ReadReplicas.Status status = notAReplica.check();
        assertThat(status.state()).isEqualTo(ReadReplicas.State.DOWN);
        assertThat(status.reason()).isEqualTo("the read database is not a replica (pg_is_in_recovery() is false)");
        assertThat(notAReplica.readOnReplica(null)).isFalse();

        ReadReplicas none = new ReadReplicas(primary, null, 1_000, 300);
        assertThat(none.configured()).isFalse();
        assertThat(none.check().state()).isEqualTo(ReadReplicas.State.OFF);
        assertThat(none.readOnReplica(null)).isFalse();
        none.wrote("ann"); // nothing to remember
    }

    @Test
    void theLagIsTheAgeOfTheReplicasStatePlacedBetweenThePrimarysPositionsNotedAtEachCheck() {
        ReadReplicas.LagClock clock = new ReadReplicas.LagClock();
        assertThat(clock.millisBehind(10_000, 100, 100, 60_000)).as("caught up, however old its last transaction").isZero();
        assertThat(clock.millisBehind(11_000, 200, 150, 60_000)).as("halfway between the notes of 10 s and 11 s").isEqualTo(500);
        assertThat(clock.millisBehind(12_000, 300, 150, 60_000)).as("replay stopped: the age grows").isEqualTo(1_500);
        assertThat(clock.millisBehind(13_000, 400, 300, 60_000)).as("at the note of 12 s").isEqualTo(1_000);
        assertThat(clock.millisBehind(14_000, 500, 50, 60_000)).as("older than every note: the last transaction's age").isEqualTo(60_000);
        assertThat(ReadReplicas.lsn("0/2000028")).isEqualTo(0x2000028L);
        assertThat(ReadReplicas.lsn("1A/FF")).isEqualTo((0x1AL << 32) | 0xFF);
    }
}
