package io.pgflowee.engine.worker;

import java.time.Duration;
import java.util.Optional;

import org.eclipse.microprofile.config.Config;

/**
 * A worker's settings, from MicroProfile Config: {@code pgflow.worker.<flow>.<key>}, else
 * {@code pgflow.worker.<key>}, else the default.
 *
 * @param maxConcurrent handlers running at once (default 50: with 10, slots freed one claim at a time
 *        capped greet_user at 563 runs/s on this machine type, with 50 it sustained 928; see
 *        docs/performance.md; lower it for handlers that are heavy on CPU or memory)
 * @param batchSize tasks claimed per {@code claim_tasks} call at most (default 50; a claim asks for as
 *        many as slots are free)
 * @param pollInterval pause between claims while idle (default 200 ms)
 * @param heartbeatInterval between heartbeats (default 5 s: the seed's Worker Activity query looks 6 s back)
 * @param shutdownTimeout how long running handlers may finish at shutdown (default 30 s)
 * @param cancelCheckInterval how often the tasks of running handlers are checked for a cancelled run
 *        (default 1 s; one query per interval while handlers run, none while idle)
 * @param reportLinger how long a completion or failure may wait for others to be reported with it in
 *        one {@code complete_tasks} / {@code fail_tasks} call (default 2 ms; 0 reports each at once)
 * @param reportBatchSize outcomes reported in one call at most (default 50)
 * @param maxOutputBytes the largest handler output (UTF-8 JSON) a task may report (default 16 MiB);
 *        a larger one fails the attempt with a message naming the limit, and nothing of it reaches
 *        the database
 * @param claimWithReports whether a batch of completions also claims the worker's next tasks, into
 *        its free slots, in the same call ({@code complete_tasks_and_claim}; default true): the steps
 *        the completions made ready start without a wake-up or a second transaction
 */
public record WorkerSettings(int maxConcurrent, int batchSize, Duration pollInterval, Duration heartbeatInterval,
                             Duration shutdownTimeout, Duration cancelCheckInterval, Duration reportLinger, int reportBatchSize,
                             int maxOutputBytes, boolean claimWithReports) {

    /** The default {@link #maxOutputBytes}: 16 MiB. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

    /** With the default report linger (2 ms), batch (50), output limit (16 MiB), claiming with reports. */
    public WorkerSettings(int maxConcurrent, int batchSize, Duration pollInterval, Duration heartbeatInterval, Duration shutdownTimeout,
                          Duration cancelCheckInterval) {
        this(maxConcurrent, batchSize, pollInterval, heartbeatInterval, shutdownTimeout, cancelCheckInterval, Duration.ofMillis(2), 50,
                DEFAULT_MAX_OUTPUT_BYTES, true);
    }

    public WorkerSettings {
        if (maxOutputBytes < 1) {
            throw new IllegalArgumentException("pgflow.worker maxOutputBytes must be at least 1, got " + maxOutputBytes);
        }
        if (maxConcurrent < 1 || batchSize < 1 || reportBatchSize < 1) {
            throw new IllegalArgumentException("pgflow.worker maxConcurrent, batchSize and reportBatchSize must be at least 1, got "
                    + maxConcurrent + ", " + batchSize + " and " + reportBatchSize);
        }
    }

    /** The settings of {@code flowSlug}'s worker. */
    public static WorkerSettings of(Config config, String flowSlug) {
        return new WorkerSettings(
                integer(config, flowSlug, "maxConcurrent", 50),
                integer(config, flowSlug, "batchSize", 50),
                Duration.ofMillis(integer(config, flowSlug, "pollIntervalMs", 200)),
                Duration.ofMillis(integer(config, flowSlug, "heartbeatIntervalMs", 5000)),
                Duration.ofMillis(integer(config, flowSlug, "shutdownTimeoutMs", 30_000)),
                Duration.ofMillis(integer(config, flowSlug, "cancelCheckIntervalMs", 1000)),
                Duration.ofMillis(integer(config, flowSlug, "reportLingerMs", 2)),
                integer(config, flowSlug, "reportBatchSize", 50),
                integer(config, flowSlug, "maxOutputBytes", DEFAULT_MAX_OUTPUT_BYTES),
                value(config, flowSlug, "claimWithReports", Boolean.class, true));
    }

    private static int integer(Config config, String flowSlug, String key, int defaultValue) {
        return value(config, flowSlug, key, Integer.class, defaultValue);
    }

    /** {@code pgflow.worker.<flow>.<key>}, else {@code pgflow.worker.<key>}, else the default. */
    private static <T> T value(Config config, String flowSlug, String key, Class<T> type, T defaultValue) {
        Optional<T> perFlow = config.getOptionalValue("pgflow.worker." + flowSlug + "." + key, type);
        return perFlow.orElseGet(() -> config.getOptionalValue("pgflow.worker." + key, type).orElse(defaultValue));
    }
}
