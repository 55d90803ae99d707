package io.pgflowee.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A primary and a streaming replica of it, both real PostgreSQL 17 (zonky's embedded binaries, the
 * ones the tests already use), for the tests of reads on replicas. The replica is made with
 * PostgreSQL's own means only: a physical replication slot on the primary, a base backup taken with
 * the low-level backup API ({@code pg_backup_start}, a copy of the data directory, {@code
 * pg_backup_stop}'s backup label: the embedded binaries have no {@code pg_basebackup}), then
 * {@code standby.signal} and {@code primary_conninfo}: the replica streams the primary's WAL and
 * answers read-only queries ({@code pg_is_in_recovery()} is true there). It can be stopped and
 * started again ({@link #stopReplica()}, {@link #startReplica()}) and catches up when it is back.
 */
public final class StreamingReplica implements AutoCloseable {

    private static final String SLOT = "pgflow_test_replica";
    private final Path root;
    private final EmbeddedPostgres primary;
    private EmbeddedPostgres replica;
    private int replicaPort;

    private StreamingReplica(Path root, EmbeddedPostgres primary) {
        this.root = root;
        this.primary = primary;
    }

    /** Starts a primary (data under {@code root/primary}) and a replica of it (under {@code root/replica}). */
    public static StreamingReplica start(Path root) throws IOException, SQLException {
        return start(root, 0, Map.of("fsync", "off", "synchronous_commit", "off"));
    }

    /**
     * As {@link #start(Path)}, the primary on {@code port} (0: any free one) with {@code settings}
     * besides the replication ones (a benchmark's durable settings, for example).
     */
    public static StreamingReplica start(Path root, int port, Map<String, String> settings) throws IOException, SQLException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setDataDirectory(root.resolve("primary")).setCleanDataDirectory(true)
                .setServerConfig("max_connections", "200").setServerConfig("wal_level", "replica").setServerConfig("max_wal_senders", "4")
                .setServerConfig("max_replication_slots", "4");
        settings.forEach(builder::setServerConfig);
        if (port != 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres primary = builder.start();
        StreamingReplica pair = new StreamingReplica(root, primary);
        try (Connection c = pair.primaryConnection("postgres"); Statement st = c.createStatement()) {
            st.execute("SELECT pg_create_physical_replication_slot('" + SLOT + "', true)");
        }
        pair.baseBackup();
        pair.startReplica();
        return pair;
    }

    public EmbeddedPostgres primary() {
        return primary;
    }

    public String primaryUrl(String database) {
        return "jdbc:postgresql://localhost:" + primary.getPort() + "/" + database;
    }

    public String replicaUrl(String database) {
        return "jdbc:postgresql://localhost:" + replicaPort + "/" + database;
    }

    public int replicaPort() {
        return replicaPort;
    }

    public Connection primaryConnection(String database) throws SQLException {
        return DriverManager.getConnection(primaryUrl(database), "postgres", "postgres");
    }

    public Connection replicaConnection(String database) throws SQLException {
        return DriverManager.getConnection(replicaUrl(database), "postgres", "postgres");
    }

    /** The low-level base backup: the data directory copied between pg_backup_start and pg_backup_stop. */
    private void baseBackup() throws IOException, SQLException {
        Path from = root.resolve("primary");
        Path to = root.resolve("replica");
        TestFiles.deleteRecursively(to);
        try (Connection c = primaryConnection("postgres"); Statement st = c.createStatement()) {
            st.execute("SELECT pg_backup_start('pgflow-test-replica', true)");
            Set<String> skipped = Set.of("postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal");
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : files.toList()) {
                    Path rel = from.relativize(f);
                    String first = rel.getNameCount() == 0 ? "" : rel.getName(0).toString();
                    if (first.equals("pg_replslot") && rel.getNameCount() > 1) {
                        continue; // the primary's slots are not the replica's
                    }
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(to.resolve(rel));
                    } else if (!skipped.contains(rel.toString()) && !first.equals("pg_wal") && !first.equals("pg_replslot")
                            && !first.equals("pg_stat_tmp")) {
                        try {
                            Files.copy(f, to.resolve(rel), StandardCopyOption.REPLACE_EXISTING);
                        } catch (java.nio.file.NoSuchFileException gone) {
                            // a file the running primary removed meanwhile: the WAL replay recreates what is needed
                        }
                    }
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT labelfile FROM pg_backup_stop(false)")) {
                rs.next();
                Files.writeString(to.resolve("backup_label"), rs.getString(1));
            }
        }
        // pg_wal copied empty (its subdirectories only): the replica streams from the slot
        try (Stream<Path> wal = Files.list(to.resolve("pg_wal"))) {
            for (Path f : wal.filter(Files::isRegularFile).toList()) {
                Files.delete(f);
            }
        }
        Files.createFile(to.resolve("standby.signal"));
        // in the configuration file, not on the command line: zonky passes options through pg_ctl -o, which splits them at spaces
        Files.writeString(to.resolve("postgresql.auto.conf"), "primary_conninfo = 'host=localhost port=" + primary.getPort()
                + " user=postgres application_name=pgflow_test_replica'\nprimary_slot_name = '" + SLOT + "'\n",
                java.nio.file.StandardOpenOption.APPEND);
        // PostgreSQL starts only on a data directory of its owner alone (0700)
        Files.setPosixFilePermissions(to, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    /** Starts (or starts again) the replica on its data directory; it catches up from the slot. */
    public void startReplica() throws IOException {
        if (replica != null) {
            return;
        }
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setDataDirectory(root.resolve("replica")).setCleanDataDirectory(false)
                .setServerConfig("fsync", "off").setServerConfig("max_connections", "200").setServerConfig("hot_standby", "on")
                .setPGStartupWait(Duration.ofSeconds(60))
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(root.resolve("replica.log").toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(root.resolve("replica.log").toFile()));
        if (replicaPort != 0) {
            builder.setPort(replicaPort); // the same address when it comes back
        }
        replica = builder.start();
        replicaPort = replica.getPort();
    }

    /** Stops the replica (its data directory stays; {@link #startReplica()} brings it back). */
    public void stopReplica() throws IOException {
        if (replica != null) {
            replica.close();
            replica = null;
        }
    }

    /** Waits until the replica has replayed everything the primary has written so far. */
    public void awaitCaughtUp(Duration timeout) throws SQLException, InterruptedException {
        String target;
        try (Connection c = primaryConnection("postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            target = rs.getString(1);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Connection c = replicaConnection("postgres"); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the replica did not replay up to " + target + " within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            stopReplica();
        } finally {
            primary.close();
        }
    }
}
