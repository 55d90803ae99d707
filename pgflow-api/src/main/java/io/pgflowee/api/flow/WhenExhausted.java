package io.pgflowee.api.flow;

/**
 * What happens when a step's task has failed on its last attempt: {@link #FAIL} (the default)
 * fails the run, {@link #SKIP} skips the step (its dependents run without its output),
 * {@link #SKIP_CASCADE} skips it and every step that depends on it.
 */
public enum WhenExhausted {
    FAIL("fail"), SKIP("skip"), SKIP_CASCADE("skip-cascade");

    private final String sql;

    WhenExhausted(String sql) {
        this.sql = sql;
    }

    /** The value stored in {@code pgflow.steps.when_exhausted}. */
    public String sqlValue() {
        return sql;
    }
}
