package io.pgflowee.bench;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * People reading the console while a benchmark loads the server: {@code n} signed-in sessions, each
 * fetching the console's read pages (dashboard, runs list, runs of a flow by status, a run, flows,
 * workers) one after another without pause. {@link #window()} says what they did since the last
 * call: pages per second, p50 and p95 of a page, errors. Used by {@link EndToEndBenchmark}
 * ({@code readers=n}) to measure the end-to-end rate with the console's reads on the primary or on a
 * replica ({@code PGFLOW_DB_READ_URL}).
 */
final class ConsoleReaders implements AutoCloseable {

    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Long> times = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong errors = new AtomicLong();
    private volatile String lastError = "";
    private long windowStart = System.nanoTime();

    /** What the readers did in a window. */
    record Window(double pagesPerSecond, double p50Millis, double p95Millis, long errors, String lastError) {
        @Override
        public String toString() {
            return String.format("console readers: %.1f pages/s, page p50 %.1f ms, p95 %.1f ms, %d errors%s", pagesPerSecond, p50Millis,
                    p95Millis, errors, errors > 0 ? " (last: " + lastError + ")" : "");
        }
    }

    /** Signs in {@code n} sessions and starts them; {@code runId} (may be null) is the run whose page they read. */
    static ConsoleReaders start(String http, String user, String password, int n, String runId) throws Exception {
        ConsoleReaders readers = new ConsoleReaders();
        List<String> pages = new ArrayList<>(List.of(http + "/", http + "/runs.xhtml", http + "/runs.xhtml?flow=greet_user&status=completed",
                http + "/flows.xhtml", http + "/workers.xhtml"));
        if (runId != null) {
            pages.add(http + "/run.xhtml?id=" + runId);
        }
        for (int i = 0; i < n; i++) {
            HttpClient client = ConsoleBenchmark.signIn(http, user, password);
            int first = i;
            Thread t = new Thread(() -> readers.read(client, pages, first), "console-reader-" + i);
            t.setDaemon(true);
            readers.threads.add(t);
        }
        readers.threads.forEach(Thread::start);
        return readers;
    }

    private void read(HttpClient client, List<String> pages, int first) {
        for (int i = first; !stop.get(); i++) {
            long t0 = System.nanoTime();
            try {
                ConsoleBenchmark.get(client, pages.get(i % pages.size()));
                times.add(System.nanoTime() - t0);
            } catch (Exception e) {
                errors.incrementAndGet();
                lastError = String.valueOf(e.getMessage());
            }
        }
    }

    /** Pages per second and page times since the previous call (or the start); resets them. */
    synchronized Window window() {
        List<Long> sorted;
        synchronized (times) {
            sorted = new ArrayList<>(times);
            times.clear();
        }
        long now = System.nanoTime();
        double seconds = (now - windowStart) / 1e9;
        windowStart = now;
        Collections.sort(sorted);
        return new Window(sorted.size() / seconds, sorted.isEmpty() ? Double.NaN : BenchOptions.percentileMillis(sorted, 50),
                sorted.isEmpty() ? Double.NaN : BenchOptions.percentileMillis(sorted, 95), errors.getAndSet(0), lastError);
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
    }
}
