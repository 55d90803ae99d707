package io.pgflowee.engine.model;

/** {@code pgflow.steps.when_unmet} and {@code when_exhausted}: what happens to the step. */
public enum SkipMode implements DbValue {
    FAIL("fail"), SKIP("skip"), SKIP_CASCADE("skip-cascade");

    private final String db;

    SkipMode(String db) {
        this.db = db;
    }

    @Override
    public String dbValue() {
        return db;
    }
}
