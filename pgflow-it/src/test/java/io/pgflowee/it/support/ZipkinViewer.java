package io.pgflowee.it.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pgflowee.it.IntegrationIT.Received;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;

/**
 * The trace screenshot of docs/operations.md ("Tracing"), from a real viewer: with
 * {@code PGFLOW_DOCS_SCREENSHOTS} set to the repository's {@code docs} folder (never by default), the
 * spans an IT received over OTLP are handed to a Zipkin server (the {@code io.zipkin:zipkin-server}
 * exec jar from Maven Central, started here and stopped by its PID) in Zipkin's JSON v2, and its UI's
 * trace page is photographed in headless Chromium. Payara's OpenTelemetry exports OTLP only, and
 * Zipkin takes no OTLP, hence the conversion: span and parent ids, name, kind, times, the exporting
 * server as the local endpoint, attributes as tags, ERROR as the tag {@code error}.
 */
public final class ZipkinViewer {

    /** Fetched by {@code ./mvnw dependency:get -Dartifact=io.zipkin:zipkin-server:3.5.1:jar:exec -Dtransitive=false}. */
    static final Path JAR = Path.of(System.getProperty("user.home"), ".m2/repository/io/zipkin/zipkin-server/3.5.1/zipkin-server-3.5.1-exec.jar");

    private ZipkinViewer() {
    }

    public static void screenshotIfAsked(List<Received> spans, String traceId, String name) throws Exception {
        String docs = System.getenv("PGFLOW_DOCS_SCREENSHOTS");
        if (docs == null || !Files.isDirectory(Path.of(docs))) {
            return;
        }
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException("The trace screenshot needs Zipkin's server: ./mvnw dependency:get"
                    + " -Dartifact=io.zipkin:zipkin-server:3.5.1:jar:exec -Dtransitive=false");
        }
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path log = MicroProcess.TARGET.resolve("zipkin.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", JAR.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("QUERY_PORT", Integer.toString(port));
        Process zipkin = builder.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port + "/");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!healthy(http, base)) {
                if (System.nanoTime() > deadline || !zipkin.isAlive()) {
                    throw new IllegalStateException("Zipkin did not start: see " + log);
                }
                Thread.sleep(500);
            }
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(base.resolve("api/v2/spans"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(zipkinJson(spans))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (posted.statusCode() != 202) {
                throw new IllegalStateException("Zipkin refused the spans: " + posted.statusCode() + " " + posted.body());
            }
            try (ConsoleBrowser browser = new ConsoleBrowser()) {
                browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1400, 820));
                browser.driver.get(base.resolve("zipkin/traces/" + traceId).toString());
                new org.openqa.selenium.support.ui.WebDriverWait(browser.driver, Duration.ofSeconds(30)).until(d ->
                        d.getPageSource().contains("pgflow.run order_fulfilment") || d.getPageSource().contains("pgflow.start"));
                Thread.sleep(1500); // the span bars animate in
                Path shot = browser.screenshot("trace-zipkin");
                Files.copy(shot, Path.of(System.getenv("PGFLOW_DOCS_SCREENSHOTS"), name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            zipkin.destroy();
            if (!zipkin.waitFor(20, TimeUnit.SECONDS)) {
                zipkin.destroyForcibly();
            }
        }
    }

    private static boolean healthy(HttpClient http, URI base) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String zipkinJson(List<Received> spans) {
        JsonArrayBuilder all = Json.createArrayBuilder();
        for (Received s : spans) {
            JsonObjectBuilder span = Json.createObjectBuilder().add("traceId", s.traceId()).add("id", s.spanId()).add("name", s.name())
                    .add("timestamp", s.startNanos() / 1_000).add("duration", Math.max(1, (s.endNanos() - s.startNanos()) / 1_000))
                    .add("localEndpoint", Json.createObjectBuilder().add("serviceName", s.service()));
            if (!s.parentSpanId().isEmpty()) {
                span.add("parentId", s.parentSpanId());
            }
            String kind = s.kind().replace("SPAN_KIND_", "");
            if (List.of("SERVER", "CLIENT", "PRODUCER", "CONSUMER").contains(kind)) {
                span.add("kind", kind);
            }
            JsonObjectBuilder tags = Json.createObjectBuilder();
            s.attributes().forEach(tags::add);
            if (s.error()) {
                tags.add("error", "true");
            }
            all.add(span.add("tags", tags));
        }
        return all.build().toString();
    }
}
