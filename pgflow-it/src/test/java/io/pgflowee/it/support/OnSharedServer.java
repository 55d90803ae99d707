package io.pgflowee.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.junit.jupiter.api.extension.ExtendWith;

import jakarta.annotation.Resource;
import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * The base of every test class on the shared Payara Micro ({@link SharedDeployment}, {@link ItDeployment}):
 * the server's URL, its data source (in-container tests) and the helpers they all use. In-container
 * tests use JUnit's own assertions (the deployment carries no AssertJ). The test users and their
 * passwords ({@code <name>-secret}) are PGFLOW_USERS in the module's pom.
 */
@ExtendWith(ArquillianExtension.class)
public abstract class OnSharedServer {

    /** How long any wait of these tests may take before it fails. */
    private static final long PATIENCE_SECONDS = 180;

    @ArquillianResource
    protected URL base;

    @Resource(lookup = "java:app/jdbc/pgflow")
    protected DataSource dataSource;

    /** {@code path} of the server's root (outside the application), as {@code /health/ready}. */
    protected URI server(String path) {
        return URI.create(base.getProtocol() + "://" + base.getHost() + ":" + base.getPort() + path);
    }

    /** An RFC 9457 problem with this status, title and detail. */
    protected static void assertProblem(HttpResponse<String> r, int status, String title, String detail) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("content-type").orElse(""), r.body());
        JsonObject problem = Json.createReader(new StringReader(r.body())).readObject();
        assertEquals(title, problem.getString("title"), r.body());
        assertEquals(detail, problem.getString("detail"), r.body());
        assertEquals(status, problem.getInt("status"), r.body());
    }

    /** A JSON POST signed in as it-admin. */
    protected HttpResponse<String> post(String path, String body) throws Exception {
        return post(path, body, null);
    }

    /** A JSON POST signed in as it-admin with this Idempotency-Key header (none when null). */
    protected HttpResponse<String> post(String path, String body, String idempotencyKey) throws Exception {
        return postAs("it-admin", path, body, idempotencyKey);
    }

    /** A JSON POST signed in as {@code user} (password {@code <user>-secret}), or anonymous for null. */
    protected HttpResponse<String> postAs(String user, String path, String body, String idempotencyKey) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.toURI().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            request.header("Authorization", basic(user, user + "-secret"));
        }
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A GET signed in as it-admin. */
    protected static HttpResponse<String> get(URI uri) throws Exception {
        return getAs("it-admin", "it-admin-secret", uri);
    }

    /** A GET with these credentials, or anonymous when {@code user} is null. */
    protected static HttpResponse<String> getAs(String user, String password, URI uri) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        if (user != null) {
            request.header("Authorization", basic(user, password));
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The Authorization header value of HTTP Basic for these credentials. */
    protected static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The run's status once it is no longer started, or what its tasks are doing after the patience ran out. */
    protected String awaitRunEnd(String run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (System.nanoTime() < deadline) {
            String status = query("select status from pgflow.runs where run_id = '" + run + "'").get(0);
            if (!"started".equals(status)) {
                return status;
            }
            Thread.sleep(100);
        }
        return "still started after " + PATIENCE_SECONDS + " s: " + query("select step_slug || ' ' || status || ' attempts='"
                + " || attempts_count || ' error=' || coalesce(error_message, '') from pgflow.step_tasks where run_id = '" + run + "'");
    }

    /** Returns once {@code condition} holds; fails naming {@code what} after the patience ran out. */
    protected void awaitTrue(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (System.nanoTime() < deadline) {
            if (condition.call()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not within " + PATIENCE_SECONDS + " s: " + what);
    }

    /** The rows of {@code sql} as column-to-text maps (in-container). */
    protected List<Map<String, String>> rows(String sql) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            return ItSql.rows(c, sql);
        }
    }

    /** The rows of {@code sql}, each its columns' text joined by spaces (in-container). */
    protected List<String> query(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                StringBuilder row = new StringBuilder(String.valueOf(rs.getString(1)));
                for (int i = 2; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.append(' ').append(rs.getString(i));
                }
                rows.add(row.toString());
            }
            return rows;
        }
    }

    /** The records a logger publishes while this is open (closing removes the handler again). */
    protected static final class CapturedLog extends Handler implements AutoCloseable {
        public final List<LogRecord> records = new CopyOnWriteArrayList<>();
        private final Logger logger;

        public CapturedLog(String loggerName) {
            logger = Logger.getLogger(loggerName);
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
