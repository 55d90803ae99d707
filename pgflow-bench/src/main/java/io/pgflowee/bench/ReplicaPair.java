package io.pgflowee.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;

import org.postgresql.ds.PGSimpleDataSource;

import io.pgflowee.migrations.PgflowMigrations;
import io.pgflowee.testing.StreamingReplica;

/**
 * A primary and a streaming replica of it for the measurements of reads on a replica: the tests'
 * {@link StreamingReplica} (PostgreSQL's own physical replication: a slot, a base backup by the
 * low-level backup API, {@code standby.signal} and {@code primary_conninfo}), the primary with a
 * benchmark's durable settings (fsync and synchronous_commit on, shared_buffers 256MB) on
 * {@code port} (default 15432, the launcher's), the schema migrated and, with {@code load=n}, n
 * synthetic runs of history ({@link ReadModelBenchmark#load}) for the console to read. Prints both
 * URLs (and writes them to {@code dir/urls}), then keeps both running until its standard input
 * closes or it is stopped; point a server at them with {@code PGFLOW_DB_URL} and
 * {@code PGFLOW_DB_READ_URL} (docs/performance.md, "Reads on a replica under load").
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.ReplicaPair -Dexec.args="dir=/tmp/pair load=200000"
 * </pre>
 */
public final class ReplicaPair {

    private ReplicaPair() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        Path dir = Path.of(opts.getOrDefault("dir", "/tmp/pgflow-replica-pair"));
        int port = Integer.parseInt(opts.getOrDefault("port", "15432"));
        int load = Integer.parseInt(opts.getOrDefault("load", "0"));
        Files.createDirectories(dir);
        StreamingReplica pair = StreamingReplica.start(dir, port, Map.of("fsync", "on", "synchronous_commit", "on", "shared_buffers", "256MB"));
        // stopped with this process, however it ends (standard input closed, SIGTERM, an error below)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                pair.close();
            } catch (Exception e) {
                System.err.println("stopping the pair: " + e.getMessage());
            }
        }));
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(pair.primaryUrl("postgres"));
        ds.setUser("postgres");
        ds.setPassword("postgres");
        try (Connection c = ds.getConnection()) {
            PgflowMigrations.apply(c);
        }
        Calibration.print(ds, 4, 5);
        if (load > 0) {
            long t0 = System.nanoTime();
            ReadModelBenchmark.load(ds, load);
            System.out.printf("loaded %,d runs in %.0f s%n", load, (System.nanoTime() - t0) / 1e9);
        }
        pair.awaitCaughtUp(java.time.Duration.ofMinutes(5));
        String urls = "primary " + pair.primaryUrl("postgres") + "\nreplica " + pair.replicaUrl("postgres") + "\n";
        Files.writeString(dir.resolve("urls"), urls);
        System.out.print(urls);
        System.out.println("# running until standard input closes (or this process is stopped)");
        while (System.in.read() >= 0) {
            // keep running
        }
        System.exit(0);
    }
}
