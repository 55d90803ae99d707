package io.pgflowee.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;

/** A batch job started and followed over the REST API ({@code /api/jobs}), as the benchmarks use it. */
final class ApiJobs {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String http;
    private final String authorization;

    ApiJobs(String http, String authorization) {
        this.http = http;
        this.authorization = authorization;
    }

    /** Starts {@code job} with the JSON parameters: the answer's body (202) and its Location; fails on any other answer. */
    String[] start(String job, String parametersJson) throws Exception {
        HttpResponse<String> started = client.send(HttpRequest.newBuilder(URI.create(http + "/api/jobs/" + job))
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(parametersJson)).build(), HttpResponse.BodyHandlers.ofString());
        if (started.statusCode() != 202) {
            throw new IllegalStateException("start refused: " + started.statusCode() + " " + started.body());
        }
        return new String[] {started.body(), started.headers().firstValue("Location").orElseThrow()};
    }

    /** Polls the execution at {@code location} every 500 ms until it is no longer starting or started: its last answer. */
    String awaitEnd(String location) throws Exception {
        String body;
        do {
            Thread.sleep(500);
            body = client.send(HttpRequest.newBuilder(URI.create(location)).header("Authorization", authorization).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } while (body.contains("\"status\":\"STARTED\"") || body.contains("\"status\":\"STARTING\""));
        return body;
    }

    /** The execution's own duration (startedAt to endedAt) in an answer about it. */
    static long millis(String body) {
        return Duration.between(OffsetDateTime.parse(BenchOptions.field(body, "startedAt")),
                OffsetDateTime.parse(BenchOptions.field(body, "endedAt"))).toMillis();
    }
}
