package io.pgflowee.api.flow;

/** A step runs one task ({@link #SINGLE}) or one task per element of an array ({@link #MAP}). */
public enum StepType {
    SINGLE("single"), MAP("map");

    private final String sql;

    StepType(String sql) {
        this.sql = sql;
    }

    /** The value stored in {@code pgflow.steps.step_type}. */
    public String sqlValue() {
        return sql;
    }
}
