package io.pgflowee.it.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.exporter.ZipExporter;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/**
 * A Payara Micro server of its own, started from the test JVM as a user would start one (the built
 * WAR plus the test flows of {@link ItFlows}, the test database from the environment failsafe
 * passes on), for the tests that kill servers. Stopped with SIGTERM by {@link #close()} if still alive.
 */
public final class MicroProcess implements AutoCloseable {

    public static final Path TARGET = Path.of(System.getProperty("it.target", "target"));

    private static boolean warBuilt;

    public final String name;
    public final int port;
    public final Process process;
    private final String contextPath;

    private MicroProcess(String name, int port, Process process, String contextPath) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.contextPath = contextPath;
    }

    /**
     * Starts a server named {@code name} on a free port with the extra system properties given
     * ({@code -Dkey=value} each); with {@code jobRepository}, its Jakarta Batch job repository is the
     * test database's, as for the Arquillian-managed server.
     */
    public static MicroProcess start(String name, boolean jobRepository, String... properties) throws IOException {
        return start(name, jobRepository, false, properties);
    }

    /**
     * {@link #start(String, boolean, String...)}, with {@code atRoot} at the context root "/" as the
     * launcher deploys it (then {@code /openapi} is the application's).
     */
    public static MicroProcess start(String name, boolean jobRepository, boolean atRoot, String... properties) throws IOException {
        Path war = TARGET.resolve("servers/pgflow.war");
        synchronized (MicroProcess.class) {
            if (!warBuilt) { // once per test JVM: a WAR of an earlier build would lack changed test flows
                Files.createDirectories(war.getParent());
                ShrinkWrap.create(ZipImporter.class, "pgflow.war").importFrom(TARGET.resolve("pgflow.war").toFile()).as(WebArchive.class)
                        .addClasses(ItFlows.class).as(ZipExporter.class).exportTo(war.toFile(), true);
                warBuilt = true;
            }
        }
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dit.server=" + name, "-Dpgflow.flows.autoCompile=true", "-Dhazelcast.phone.home.enabled=false"));
        command.addAll(List.of(properties));
        // deployed as Arquillian deploys (application and context root "pgflow"): Jakarta Batch tags job
        // instances with the application's name, and only that application may see or restart them
        command.addAll(List.of("-jar", TARGET.resolve("payara-micro.jar").toString(), "--deploy", war.toString(),
                "--port", Integer.toString(port), "--nocluster", "--disablephonehome"));
        if (atRoot) {
            command.addAll(List.of("--contextroot", "/"));
        }
        if (jobRepository) {
            command.addAll(List.of("--postbootcommandfile", TARGET.resolve("it-post-boot.asadmin").toString(),
                    "--addlibs", TARGET.resolve("postgresql.jar").toString()));
        }
        Path log = TARGET.resolve("servers/server-" + name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new MicroProcess(name, port, p, atRoot ? "/" : "/pgflow/");
    }

    /** A TCP port free on this machine now (for a server, a database of a test's own). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A path of the application (context root /pgflow, or / when started at the root). */
    public URI uri(String path) {
        return URI.create("http://localhost:" + port + contextPath + path);
    }

    /** Waits until /health/ready answers 200 (at most 45 minutes: a loaded CI machine is slow to boot). */
    public MicroProcess awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(45);
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("server " + name + " exited with " + process.exitValue() + "; see " + TARGET.resolve("servers"));
            }
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/ready"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return this;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("server " + name + " not ready within 45 min: " + last);
    }

    /** SIGKILL: no shutdown hook, no finally block runs; returns the exit code (137). */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("server " + name + " still alive 60 s after SIGKILL");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: Payara's shutdown hook stops the workers
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
