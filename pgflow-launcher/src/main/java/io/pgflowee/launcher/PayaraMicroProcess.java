package io.pgflowee.launcher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Payara Micro running the pgflow WAR as a child process. Its pid is kept in
 * {@code PGFLOW_HOME/payara.pid} so that a launcher killed with SIGKILL leaves nothing that the
 * next start cannot clean up.
 */
final class PayaraMicroProcess {

    static final String MARKER = "payara-micro.jar";

    private final Path payaraJar;
    private Path war;
    private final Path pidFile;
    private final int httpPort;
    private final String javaOpts;
    private final Path home;
    private volatile Process process;
    private volatile Thread pump;
    private Path log;

    PayaraMicroProcess(Path payaraJar, Path war, Path home, int httpPort, String javaOpts) {
        this.payaraJar = payaraJar;
        this.war = war;
        this.home = home;
        this.pidFile = home.resolve("payara.pid");
        this.httpPort = httpPort;
        this.javaOpts = javaOpts;
    }

    /** Stops a Payara Micro left running by a launcher that was killed. */
    void stopLeftover() {
        Processes.fromPidFile(pidFile, MARKER).ifPresent(stale -> {
            System.out.println("pgflow: stopping Payara Micro (pid " + stale.pid() + ") left running by an earlier launcher");
            Processes.stop(stale, 60);
        });
    }

    /** Starts Payara Micro again with another build of the WAR, or the exploded WAR's directory (a reload). */
    void start(Map<String, String> environment, Path newWar) throws IOException {
        this.war = newWar;
        start(environment);
    }

    void start(Map<String, String> environment) throws IOException {
        if (!Ports.isFree(httpPort)) {
            throw new LaunchException("PGFLOW-013 HTTP port " + httpPort + " is in use by another program:"
                    + " stop it, or set PGFLOW_HTTP_PORT to a free port");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String opt : javaOpts.trim().split("\\s+")) {
            if (!opt.isEmpty()) {
                command.add(opt);
            }
        }
        command.add("-Dhazelcast.phone.home.enabled=false");
        command.add("-jar");
        command.add(payaraJar.toString());
        Path postBoot = home.resolve("payara-post-boot.asadmin");
        Files.writeString(postBoot, batchRepositoryCommands(environment.get("PGFLOW_DB_URL"), environment.get("PGFLOW_DB_USER")));
        command.addAll(List.of(
                "--postbootcommandfile", postBoot.toString(),
                "--addlibs", payaraJar.resolveSibling("postgresql.jar").toString(),
                "--deploy", war.toString(),
                "--contextroot", "/",
                "--port", Integer.toString(httpPort),
                "--nocluster",
                "--disablephonehome"));
        // Payara's output goes to the server log file; the console gets pgflow's lines, warnings,
        // errors and the ready line (ServerLog)
        Path log = ServerLog.prepare(home);
        this.log = log;
        System.out.println("pgflow: server log: " + log);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment);
        process = builder.start();
        Process started = process;
        Thread pump = new Thread(() -> new ServerLog().pump(started.getInputStream(), log, System.out),
                "pgflow-server-log");
        pump.setDaemon(true);
        pump.start();
        this.pump = pump;
        Files.writeString(pidFile, process.pid() + "\n");
    }

    /**
     * The asadmin commands that keep Jakarta Batch's job repository in the engine's PostgreSQL (the
     * {@code jdbc/pgflow-batch} pool; the runtime creates its tables in {@code public} at the first
     * job): job history and checkpoints survive restarts and are shared by every server. The
     * password is not in the file: Payara reads it from the environment ({@code PGFLOW_DB_PASSWORD}).
     */
    static String batchRepositoryCommands(String jdbcUrl, String user) {
        String escapedUrl = jdbcUrl.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=");
        return "create-jdbc-connection-pool --datasourceclassname=org.postgresql.ds.PGSimpleDataSource --restype=javax.sql.DataSource"
                + " --steadypoolsize=0 --maxpoolsize=8 --property url=" + escapedUrl + ":user=" + user
                + ":password=${ENV=PGFLOW_DB_PASSWORD} pgflow-batch-pool\n"
                + "create-jdbc-resource --connectionpoolid=pgflow-batch-pool jdbc/pgflow-batch\n"
                + "set-batch-runtime-configuration --datasourcelookupname=jdbc/pgflow-batch\n";
    }

    /**
     * Waits until readiness answers UP, printing each reason readiness gives for being DOWN as soon as
     * it appears ({@link ReadinessReasons}: a flow that differs from the database, an unreachable
     * database, with the fix). Fails early when Payara exits, and after the timeout with the last
     * readiness answer.
     *
     * @return readiness's UP answer (it lists each flow's verdict)
     */
    String awaitReady(int timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        Readiness readiness = readiness();
        while (System.nanoTime() < deadline) {
            if (!isAlive()) {
                throw new LaunchException(exitedWhileStarting());
            }
            String up = readiness.poll();
            if (up != null) {
                return up;
            }
            Thread.sleep(250);
        }
        throw new LaunchException("PGFLOW-009 pgflow was not ready after " + timeoutSeconds
                + " s (PGFLOW_STARTUP_TIMEOUT); last readiness answer: " + readiness.last);
    }

    /** Readiness's answer now, UP or DOWN (null when the server does not answer). */
    String readinessAnswer() {
        try {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build()
                    .send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + "/health/ready"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A readiness probe for this start: what readiness says is wrong is printed as it appears, each reason once. */
    Readiness readiness() {
        return new Readiness(null);
    }

    /** The same, for a deployment whose readiness answers with this build id (an answer of the one before it is not UP). */
    Readiness readiness(String build) {
        return new Readiness(build);
    }

    String exitedWhileStarting() {
        return "PGFLOW-014 Payara Micro exited with code " + process.exitValue()
                + " while starting; the errors are above, the whole log is in " + log;
    }

    final class Readiness {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        private final URI ready = URI.create("http://localhost:" + httpPort + "/health/ready");
        private final ReadinessReasons reasons =
                new ReadinessReasons(reason -> System.out.println("pgflow: not ready yet: " + reason));
        private final String build;
        private String last = "no answer yet";

        Readiness(String build) {
            this.build = build;
        }

        /** Asks once: readiness's answer when UP, else null (after printing any new reason). */
        String poll() throws InterruptedException {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && (build == null || build.equals(ReadinessReasons.build(r.body())))) {
                    return r.body();
                }
                if (r.statusCode() == 200) {
                    last = "the deployment before build " + build + " still answers";
                    return null;
                }
                last = "HTTP " + r.statusCode() + " " + r.body();
                reasons.seen(r.body());
            } catch (IOException e) {
                last = e.getClass().getSimpleName();
            }
            return null;
        }
    }

    boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The exit code of a Payara that exited by itself (-1 when it was stopped or never started). */
    int exitCode() {
        Process p = process;
        return p == null || p.isAlive() ? -1 : p.exitValue();
    }

    /** SIGTERM, then waits up to {@code seconds} for Payara's graceful shutdown. */
    synchronized void stop(int seconds) {
        if (process != null) {
            long pid = process.pid();
            long began = System.nanoTime();
            boolean graceful = Processes.stop(process.toHandle(), seconds);
            process = null;
            try {
                // Payara's last lines ("Payara Micro STOPPED.") are still in the pipe: copy them before going
                pump.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.println(graceful
                    ? String.format(Locale.ROOT, "pgflow: Payara Micro stopped (pid %d, %.1f s)",
                            pid, (System.nanoTime() - began) / 1e9)
                    : "pgflow: Payara Micro did not stop within " + seconds + " s; killed it (pid " + pid + ")");
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                // a stale pid file is checked against the live process next time
            }
        }
    }

    int waitFor() throws InterruptedException {
        return process.waitFor();
    }
}
