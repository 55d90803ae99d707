package io.pgflowee.engine.model;

/** {@code pgflow.step_states.skip_reason}. */
public enum SkipReason implements DbValue {
    CONDITION_UNMET("condition_unmet"), HANDLER_FAILED("handler_failed"), DEPENDENCY_SKIPPED("dependency_skipped");

    private final String db;

    SkipReason(String db) {
        this.db = db;
    }

    @Override
    public String dbValue() {
        return db;
    }
}
