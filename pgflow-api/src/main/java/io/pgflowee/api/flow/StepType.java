package io.pgflowee.api.flow;

/**
 * A step runs one task ({@link #SINGLE}), one task per element of an array ({@link #MAP}), or no
 * task: it waits for {@code pgflow.send_signal} ({@link #SIGNAL}, {@code flow.signal(...)}).
 */
public enum StepType {
    SINGLE("single"), MAP("map"), SIGNAL("signal");

    private final String sql;

    StepType(String sql) {
        this.sql = sql;
    }

    /** The value stored in {@code pgflow.steps.step_type}. */
    public String sqlValue() {
        return sql;
    }
}
