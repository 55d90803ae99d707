package io.pgflowee.client;

import java.util.UUID;

/**
 * How to start a run; immutable, each {@code with...} returns a copy.
 *
 * <pre>{@code
 * StartOptions.idempotencyKey("signup-42").withPriority(10).withConcurrencyKey("customer-7")
 * }</pre>
 *
 * @param idempotencyKey 1 to 200 characters: a repeat with the same input returns the same run; null for none
 * @param runId          the run id to use (a UUID), or null for a new one
 * @param concurrencyKey the run's concurrency key, or null for the flow's {@code concurrencyKey} function
 * @param priority       -100..100, or null for the flow's {@code priority} function (else 0)
 * @param ownTransaction in the server: start in a transaction of its own even inside the caller's
 *                       (the run exists even when the caller's transaction rolls back); the remote
 *                       client always starts in a transaction of its own
 */
public record StartOptions(String idempotencyKey, UUID runId, String concurrencyKey, Integer priority, boolean ownTransaction) {

    private static final StartOptions DEFAULTS = new StartOptions(null, null, null, null, false);

    public StartOptions {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            throw new IllegalArgumentException("an idempotency key holds 1 to 200 characters, got " + idempotencyKey.length());
        }
        if (concurrencyKey != null && (concurrencyKey.isBlank() || concurrencyKey.length() > 200)) {
            throw new IllegalArgumentException("a concurrency key holds 1 to 200 characters, got " + concurrencyKey.length());
        }
        if (priority != null && (priority < -100 || priority > 100)) {
            throw new IllegalArgumentException("a priority is from -100 to 100, got " + priority);
        }
    }

    /** No key, a new run id, the flow's own concurrency key and priority, the caller's transaction. */
    public static StartOptions defaults() {
        return DEFAULTS;
    }

    /** Defaults with an idempotency key. */
    public static StartOptions idempotencyKey(String key) {
        return DEFAULTS.withIdempotencyKey(key);
    }

    public StartOptions withIdempotencyKey(String key) {
        return new StartOptions(key, runId, concurrencyKey, priority, ownTransaction);
    }

    public StartOptions withRunId(UUID id) {
        return new StartOptions(idempotencyKey, id, concurrencyKey, priority, ownTransaction);
    }

    public StartOptions withConcurrencyKey(String key) {
        return new StartOptions(idempotencyKey, runId, key, priority, ownTransaction);
    }

    public StartOptions withPriority(Integer value) {
        return new StartOptions(idempotencyKey, runId, concurrencyKey, value, ownTransaction);
    }

    /** In the server: start in a transaction of its own, not the caller's. */
    public StartOptions withOwnTransaction() {
        return new StartOptions(idempotencyKey, runId, concurrencyKey, priority, true);
    }
}
