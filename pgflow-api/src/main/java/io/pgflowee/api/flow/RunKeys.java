package io.pgflowee.api.flow;

/**
 * A run's concurrency key (null: none) and priority (-100..100, higher claimed first), as
 * {@link Flow#runKeysOf} computes them from the run input.
 *
 * @param concurrencyKey the key the run shares limits and turns with, or null
 * @param priority the run's priority, 0 by default
 */
public record RunKeys(String concurrencyKey, int priority) {

    /** No key, priority 0. */
    public static final RunKeys NONE = new RunKeys(null, 0);

    /** These keys, with {@code key} and {@code level} taking the place of the ones they are not null for. */
    public RunKeys or(String key, Integer level) {
        return new RunKeys(key != null ? key : concurrencyKey, level != null ? level : priority);
    }
}
