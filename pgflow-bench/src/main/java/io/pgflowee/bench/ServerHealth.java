package io.pgflowee.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the benchmarks read from the server under test ({@code /health/live}), and their percentiles. */
final class ServerHealth {

    private static final Pattern HEAP_AFTER_GC = Pattern.compile("\"heapAfterGcMiB\":\"?(\\d+)");

    private ServerHealth() {
    }

    /** The body of {@code /health/live} (the liveness check carries the heap figures). */
    static String live(String http) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(URI.create(http + "/health/live")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The server's heap after its last GC, MiB; -1 when it cannot be read. */
    static long heapAfterGcMiB(String http) {
        try {
            Matcher m = HEAP_AFTER_GC.matcher(live(http));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** The p-th percentile (nearest rank) of sorted values; NaN when there are none. */
    static double percentile(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
