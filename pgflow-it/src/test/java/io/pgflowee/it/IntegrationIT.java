package io.pgflowee.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.pgflowee.it.support.ItDatabase;
import io.pgflowee.it.support.MicroProcess;

/**
 * Integrating with pgflow from outside, on servers of its own. The OpenAPI document as generators
 * read it, at {@code /openapi} of a server deployed at "/" as the launcher and the EAR deploy it:
 * a strict validator's verdict and a Java client generated from it, compiled unmodified, signing in.
 * And one trace from a REST start to the last step across two servers, as a tracing backend receives
 * it: server "api" (workers off) takes {@code POST /api/flows/greet_user/runs} with a W3C
 * {@code traceparent}, server "worker" runs the steps; both export over OTLP/HTTP (Payara's
 * MicroProfile Telemetry, turned on with the standard {@code otel.*} settings) to a receiver in this
 * test that decodes the protobuf. The start's span continues the caller's trace, each step's span is
 * its child on the other server, with the pgflow attributes; the run keeps the context in the database.
 */
public class IntegrationIT {

    private static final String DATABASE = "tracing_it";
    private static final List<Received> SPANS = new CopyOnWriteArrayList<>();
    private static HttpServer receiver;
    private static MicroProcess api;
    private static MicroProcess worker;

    /** A span as received: the exporting server's service name, and the span's own fields. */
    public record Received(String service, String name, String traceId, String spanId, String parentSpanId, String kind,
                           java.util.Map<String, String> attributes, long startNanos, long endNanos, boolean error, List<String> links) {
    }

    @BeforeAll
    static void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/v1/traces", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
                for (ResourceSpans resource : request.getResourceSpansList()) {
                    String service = resource.getResource().getAttributesList().stream().filter(a -> a.getKey().equals("service.name"))
                            .map(a -> a.getValue().getStringValue()).findFirst().orElse("?");
                    for (ScopeSpans scope : resource.getScopeSpansList()) {
                        for (io.opentelemetry.proto.trace.v1.Span s : scope.getSpansList()) {
                            java.util.Map<String, String> attributes = new java.util.TreeMap<>();
                            for (KeyValue kv : s.getAttributesList()) {
                                attributes.put(kv.getKey(), kv.getValue().hasIntValue() ? Long.toString(kv.getValue().getIntValue())
                                        : kv.getValue().getStringValue());
                            }
                            SPANS.add(new Received(service, s.getName(), hex(s.getTraceId()), hex(s.getSpanId()), hex(s.getParentSpanId()),
                                    s.getKind().name(), attributes, s.getStartTimeUnixNano(), s.getEndTimeUnixNano(),
                                    s.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR,
                                    s.getLinksList().stream().map(l -> hex(l.getSpanId())).toList()));
                        }
                    }
                }
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        ItDatabase.fresh(DATABASE);
        String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort();
        List<String> otel = List.of("-Dotel.sdk.disabled=false", "-Dotel.traces.exporter=otlp", "-Dotel.metrics.exporter=none",
                "-Dotel.logs.exporter=none", "-Dotel.exporter.otlp.protocol=http/protobuf", "-Dotel.exporter.otlp.endpoint=" + endpoint,
                "-Dotel.bsp.schedule.delay=200", "-Dpgflow.db.url=" + url());
        api = MicroProcess.start("trace-api", false, true, concat(otel, "-Dotel.service.name=pgflow-api", "-Dpgflow.workers.enabled=false"));
        worker = MicroProcess.start("trace-worker", false, concat(otel, "-Dotel.service.name=pgflow-worker"));
        api.awaitReady();
        worker.awaitReady();
    }

    private static String[] concat(List<String> a, String... b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    @AfterAll
    static void stop() throws Exception {
        for (MicroProcess server : new MicroProcess[] {api, worker}) {
            if (server != null) {
                server.close();
            }
        }
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    private static String url() {
        return ItDatabase.jdbcUrl().replaceFirst("/postgres$", "/" + DATABASE);
    }

    private static String hex(com.google.protobuf.ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    @Test
    void aRestStartAndItsStepsOnAnotherServerAreOneTrace() throws Exception {
        String trace = HexFormat.of().formatHex(random(16));
        String callerSpan = HexFormat.of().formatHex(random(8));
        HttpResponse<String> started = HttpClient.newHttpClient().send(HttpRequest.newBuilder(api.uri("api/flows/greet_user/runs"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("it-operator:it-operator-secret"
                        .getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json").header("Prefer", "return=minimal")
                .header("traceparent", "00-" + trace + "-" + callerSpan + "-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"first_name\": \"Trace\", \"last_name\": \"Able\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
        String run = io.pgflowee.api.json.JsonCodec.parse(started.body()).asJsonObject().getJsonObject("run").getString("runId");

        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        // each server exports in batches of its own: wait for the steps' spans and for the request's spans (the one whose
        // parent is the caller's), which the API server exports when the request has ended
        while (System.nanoTime() < deadline && (!"completed".equals(sql("select status from pgflow.runs where run_id = '" + run + "'"))
                || SPANS.stream().filter(s -> s.traceId().equals(trace) && s.name().startsWith("pgflow.task")).count() < 2
                || SPANS.stream().noneMatch(s -> s.traceId().equals(trace) && s.parentSpanId().equals(callerSpan))
                || SPANS.stream().noneMatch(s -> s.traceId().equals(trace) && s.name().equals("pgflow.run greet_user")))) {
            Thread.sleep(200);
        }
        assertThat(sql("select status from pgflow.runs where run_id = '" + run + "'")).isEqualTo("completed");
        List<Received> spans = SPANS.stream().filter(s -> s.traceId().equals(trace)).toList();

        Received start = spans.stream().filter(s -> s.name().equals("pgflow.start greet_user")).findFirst().orElseThrow(
                () -> new AssertionError("no start span in " + spans));
        assertThat(start.service()).isEqualTo("pgflow-api");
        assertThat(start.kind()).isEqualTo("SPAN_KIND_PRODUCER");
        assertThat(start.attributes()).containsEntry("pgflow.flow", "greet_user").containsEntry("pgflow.run_id", run);
        // it descends from the caller's span, through the server's spans of the request (Payara's, on pgflow-api)
        Received top = start;
        for (Optional<Received> up = parentOf(top, spans); up.isPresent(); up = parentOf(top, spans)) {
            top = up.get();
            assertThat(top.service()).as("a span between the caller and the start: %s", top).isEqualTo("pgflow-api");
        }
        assertThat(top.parentSpanId()).as("the top of the start's ancestors in %s", spans).isEqualTo(callerSpan);
        assertThat(sql("select traceparent from pgflow_internal.run_traces where run_id = '" + run + "'"))
                .isEqualTo("00-" + trace + "-" + start.spanId() + "-01");

        List<Received> tasks = spans.stream().filter(s -> s.name().startsWith("pgflow.task ")).toList();
        assertThat(tasks).extracting(Received::name).containsExactlyInAnyOrder("pgflow.task greet_user/full_name",
                "pgflow.task greet_user/greeting");
        assertThat(tasks).allSatisfy(t -> {
            assertThat(t.service()).isEqualTo("pgflow-worker");
            assertThat(t.kind()).isEqualTo("SPAN_KIND_CONSUMER");
            assertThat(t.parentSpanId()).isEqualTo(start.spanId());
            assertThat(t.attributes()).containsEntry("pgflow.flow", "greet_user").containsEntry("pgflow.run_id", run)
                    .containsEntry("pgflow.task_index", "0").containsEntry("pgflow.attempt", "1").containsEntry("pgflow.outcome", "completed")
                    .containsKey("pgflow.worker_id");
        });
        assertThat(tasks).extracting(t -> t.attributes().get("pgflow.step")).containsExactlyInAnyOrder("full_name", "greeting");
        // the run's own span, made by one of the servers once the run has ended, from its start to its end
        List<Received> runSpans = spans.stream().filter(s -> s.name().equals("pgflow.run greet_user")).toList();
        assertThat(runSpans).hasSize(1);
        Received whole = runSpans.get(0);
        assertThat(whole.parentSpanId()).isEqualTo(start.spanId());
        assertThat(whole.kind()).isEqualTo("SPAN_KIND_INTERNAL");
        assertThat(whole.attributes()).containsEntry("pgflow.flow", "greet_user").containsEntry("pgflow.run_id", run)
                .containsEntry("pgflow.status", "completed");
        assertThat(whole.service()).isIn("pgflow-api", "pgflow-worker");
    }

    @Test
    void aFamilyOfRunsIsOneTreeChildRunsUnderTheirParentsSubflowTasks() throws Exception {
        String trace = HexFormat.of().formatHex(random(16));
        String callerSpan = HexFormat.of().formatHex(random(8));
        String input = "{\"orderId\": \"trace-o-1\", \"card\": \"4242\", \"parcels\": [{\"id\": \"p-1\", \"grams\": 500, \"cents\": 700},"
                + " {\"id\": \"p-2\", \"grams\": 2500, \"cents\": 300}]}";
        HttpResponse<String> started = HttpClient.newHttpClient().send(HttpRequest.newBuilder(api.uri("api/flows/order_fulfilment/runs"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("it-operator:it-operator-secret"
                        .getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json").header("Prefer", "return=minimal")
                .header("traceparent", "00-" + trace + "-" + callerSpan + "-01")
                .POST(HttpRequest.BodyPublishers.ofString(input)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
        String order = io.pgflowee.api.json.JsonCodec.parse(started.body()).asJsonObject().getJsonObject("run").getString("runId");

        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        // 4 run spans (the order, its payment, 2 shippings) and 12 task spans, exported in batches by both servers
        while (System.nanoTime() < deadline && (SPANS.stream().filter(s -> s.traceId().equals(trace) && s.name().startsWith("pgflow.run ")).count() < 4
                || SPANS.stream().filter(s -> s.traceId().equals(trace) && s.name().startsWith("pgflow.task ")).count() < 12)) {
            Thread.sleep(200);
        }
        assertThat(sql("select status from pgflow.runs where run_id = '" + order + "'")).isEqualTo("completed");
        List<Received> spans = SPANS.stream().filter(s -> s.traceId().equals(trace)).toList();
        Received start = one(spans, "pgflow.start order_fulfilment");
        Received pay = one(spans, "pgflow.task order_fulfilment/pay");
        List<Received> ship = spans.stream().filter(s -> s.name().equals("pgflow.task order_fulfilment/ship")).toList();
        assertThat(ship).hasSize(2);
        assertThat(one(spans, "pgflow.run order_fulfilment").parentSpanId()).isEqualTo(start.spanId());
        assertThat(List.of(pay, one(spans, "pgflow.task order_fulfilment/total"), one(spans, "pgflow.task order_fulfilment/parcels"),
                one(spans, "pgflow.task order_fulfilment/summary"), ship.get(0), ship.get(1)))
                .allSatisfy(t -> assertThat(t.parentSpanId()).as(t.name()).isEqualTo(start.spanId()));
        // the payment run and its tasks under the pay task
        Received payment = one(spans, "pgflow.run payment");
        assertThat(List.of(payment, one(spans, "pgflow.task payment/authorize"), one(spans, "pgflow.task payment/receipt")))
                .allSatisfy(s -> assertThat(s.parentSpanId()).as(s.name()).isEqualTo(pay.spanId()));
        assertThat(payment.attributes()).containsEntry("pgflow.parent_run_id", order).containsEntry("pgflow.status", "completed");
        // each shipping run and its tasks under the ship task of its element
        List<Received> shippings = spans.stream().filter(s -> s.name().equals("pgflow.run shipping")).toList();
        assertThat(shippings).hasSize(2);
        for (Received shipTask : ship) {
            List<Received> under = spans.stream().filter(s -> s.parentSpanId().equals(shipTask.spanId())).toList();
            assertThat(under).extracting(Received::name).as("under %s", shipTask).containsExactlyInAnyOrder("pgflow.run shipping",
                    "pgflow.task shipping/label", "pgflow.task shipping/dispatch");
        }
        // a span ends after it starts, a run's span after its tasks
        Received whole = one(spans, "pgflow.run order_fulfilment");
        assertThat(spans.stream().filter(s -> s.name().startsWith("pgflow.task order_fulfilment/")))
                .allSatisfy(t -> assertThat(t.endNanos()).isLessThanOrEqualTo(whole.endNanos()));
        io.pgflowee.it.support.ZipkinViewer.screenshotIfAsked(spans, trace, "trace-zipkin.png");
    }

    private static Received one(List<Received> spans, String name) {
        List<Received> named = spans.stream().filter(s -> s.name().equals(name)).toList();
        assertThat(named).as("spans named %s in %s", name, spans).hasSize(1);
        return named.get(0);
    }

    @Test
    void theOpenApiDocumentPassesAStrictValidatorInYamlAndJson() throws Exception {
        io.pgflowee.it.support.OpenApiChecks.validate(api.uri("openapi"));
    }

    @Test
    void aClientGeneratedFromTheDocumentSignsInStartsReadsAndLists() throws Exception {
        java.nio.file.Path dir = MicroProcess.TARGET.resolve("generated-client");
        String base = api.uri("").toString().replaceAll("/$", "");
        String key = "generated-" + java.util.UUID.randomUUID();
        java.util.function.Function<String[], String> client = io.pgflowee.it.support.OpenApiChecks.generatedClient(
                api.uri("openapi").toString(), dir);
        List<String> lines = client.apply(new String[] {base, "it-operator", "it-operator-secret", key}).lines().toList();
        assertThat(lines.get(0)).matches("started greet_user (started|completed)");
        // the API server runs no workers: the run completes on the other one
        assertThat(lines.subList(1, 3)).containsExactly("read completed {greeting=Hello, Gen Erated!}", "listed 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.apply(new String[] {base, "it-operator", "wrong", key + "-2"}))
                .isInstanceOf(IllegalStateException.class).cause().hasFieldOrPropertyWithValue("code", 401);
    }

    private static Optional<Received> parentOf(Received span, List<Received> spans) {
        return spans.stream().filter(s -> s.spanId().equals(span.parentSpanId())).findFirst();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1; // never all zero
        return b;
    }

    private static String sql(String query) throws Exception {
        try (Connection c = DriverManager.getConnection(url(), "postgres", "postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
