package io.pgflowee.api.flow;

/**
 * What happens to a step whose condition ({@code when} / {@code unless}) does not hold:
 * {@link #SKIP} (the default) skips it and its dependents still run without its output,
 * {@link #SKIP_CASCADE} skips it and every step that depends on it, {@link #FAIL} fails the run.
 */
public enum WhenUnmet {
    FAIL("fail"), SKIP("skip"), SKIP_CASCADE("skip-cascade");

    private final String sql;

    WhenUnmet(String sql) {
        this.sql = sql;
    }

    /** The value stored in {@code pgflow.steps.when_unmet}. */
    public String sqlValue() {
        return sql;
    }
}
