package io.pgflowee.engine.model;

/** {@code pgflow.steps.step_type}. */
public enum StepType implements DbValue {
    SINGLE("single"), MAP("map");

    private final String db;

    StepType(String db) {
        this.db = db;
    }

    @Override
    public String dbValue() {
        return db;
    }
}
