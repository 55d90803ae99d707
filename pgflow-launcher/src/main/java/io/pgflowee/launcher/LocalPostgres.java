package io.pgflowee.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;

/**
 * A real PostgreSQL 17 whose data survives restarts, from the binaries zonky publishes on Maven
 * Central. We drive {@code initdb} and {@code pg_ctl} ourselves (rather than through zonky's
 * EmbeddedPostgres) so that the launcher decides the shutdown order: Payara first, then the
 * database, and so that a server left running by a killed launcher is recovered.
 *
 * <p>Layout under {@code PGFLOW_HOME}: {@code postgres/bin-<arch>/} (the extracted binaries),
 * {@code postgres/data/} (the cluster), {@code postgres/postgres.log} (the server log).
 */
final class LocalPostgres {

    private final Path root;
    private final Path data;
    private final Path log;
    private final int port;
    private Path bin;
    private boolean running;

    LocalPostgres(Path home, int port) {
        this.root = home.resolve("postgres");
        this.data = root.resolve("data");
        this.log = root.resolve("postgres.log");
        this.port = port;
    }

    Path dataDirectory() {
        return data;
    }

    int port() {
        return port;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port + "/postgres";
    }

    /** Extracts binaries if needed, creates the cluster on first use, recovers a stale server, starts. */
    void start() {
        try {
            Files.createDirectories(root);
            bin = extractBinaries();
            stopLeftoverServer();
            if (!Files.exists(data.resolve("PG_VERSION"))) {
                initdb();
            }
            if (!Ports.isFree(port)) {
                throw new LaunchException("PGFLOW-005 port " + port + " for the embedded PostgreSQL is in use by"
                        + " another program: stop it, or set PGFLOW_EMBEDDED_PG_PORT to a free port");
            }
            int exit = Processes.run(tool("pg_ctl", "-D", data.toString(), "-l", log.toString(),
                    "-w", "-t", "60",
                    "-o", "-p " + port + " -c listen_addresses=localhost -c max_connections=200"
                            + " -c shared_buffers=256MB",
                    "start"), log);
            if (exit != 0) {
                throw new LaunchException("PGFLOW-008 the embedded PostgreSQL did not start (pg_ctl exit " + exit
                        + "); its log is " + log);
            }
            running = true;
        } catch (IOException e) {
            throw new LaunchException("PGFLOW-008 cannot prepare the embedded PostgreSQL in " + root + ": " + e, e);
        }
    }

    /** Fast shutdown (open sessions are disconnected, the data is kept). */
    synchronized void stop() {
        if (running) {
            running = false;
            fastStop();
        }
    }

    private void fastStop() {
        Processes.run(tool("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop"), log);
    }

    private void stopLeftoverServer() {
        if (!Files.exists(data.resolve("postmaster.pid"))) {
            return;
        }
        int status = Processes.run(tool("pg_ctl", "-D", data.toString(), "status"), log);
        if (status == 0) {
            System.out.println("pgflow: stopping the embedded PostgreSQL left running by an earlier launcher");
            fastStop();
        } else {
            try {
                Files.deleteIfExists(data.resolve("postmaster.pid"));
            } catch (IOException e) {
                throw new LaunchException("PGFLOW-008 cannot remove the stale " + data.resolve("postmaster.pid"), e);
            }
        }
    }

    private void initdb() throws IOException {
        System.out.println("pgflow: creating the embedded PostgreSQL cluster in " + data);
        Files.createDirectories(data);
        Path pw = root.resolve("initdb.pw");
        Files.writeString(pw, "postgres\n");
        try {
            int exit = Processes.run(tool("initdb", "-D", data.toString(), "-U", "postgres",
                    "-E", "UTF-8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                    "--pwfile=" + pw), log);
            if (exit != 0) {
                throw new LaunchException("PGFLOW-008 initdb failed (exit " + exit + "); see " + log);
            }
        } finally {
            Files.deleteIfExists(pw);
        }
    }

    /**
     * A PostgreSQL tool's command. PostgreSQL refuses to run as root; as zonky does, we then run it
     * in a user namespace ({@code unshare -U}) where it is an unprivileged user.
     */
    private List<String> tool(String name, String... args) {
        List<String> command = new java.util.ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.add("unshare");
            command.add("-U");
        }
        command.add(bin.resolve("bin").resolve(name).toString());
        command.addAll(List.of(args));
        return command;
    }

    private Path extractBinaries() throws IOException {
        String os = System.getProperty("os.name").toLowerCase().contains("mac") ? "Darwin" : "Linux";
        String arch = System.getProperty("os.arch");
        Path target = root.resolve("bin-" + os.toLowerCase() + "-" + arch);
        Path marker = target.resolve(".complete");
        if (Files.exists(marker)) {
            return target;
        }
        System.out.println("pgflow: extracting the PostgreSQL binaries to " + target);
        Files.createDirectories(target);
        try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(os, arch);
             TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(in))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new IOException("archive entry outside the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.deleteIfExists(out);
                    Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    if ((entry.getMode() & 0100) != 0) {
                        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                }
            }
        } catch (IllegalStateException e) {
            throw new LaunchException("PGFLOW-008 no embedded PostgreSQL binaries for " + os + "/" + arch
                    + ": set PGFLOW_DB_URL to an existing PostgreSQL instead", e);
        }
        Files.createFile(marker);
        return target;
    }
}
