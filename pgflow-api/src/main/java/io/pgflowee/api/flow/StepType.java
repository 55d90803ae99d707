package io.pgflowee.api.flow;

/**
 * A step runs one task ({@link #SINGLE}), one task per element of an array ({@link #MAP}), or no
 * task: it waits for {@code pgflow.send_signal} ({@link #SIGNAL}, {@code flow.signal(...)}); or it
 * runs a whole flow as a child run, once ({@link #SUBFLOW}, {@code flow.subflow(...)}) or once per
 * element ({@link #MAP_SUBFLOW}, {@code flow.mapSubflow(...)}).
 */
public enum StepType {
    SINGLE("single"), MAP("map"), SIGNAL("signal"), SUBFLOW("subflow"), MAP_SUBFLOW("map_subflow");

    private final String sql;

    StepType(String sql) {
        this.sql = sql;
    }

    /** True for the steps with one task per element of an array: {@link #MAP} and {@link #MAP_SUBFLOW}. */
    public boolean isMap() {
        return this == MAP || this == MAP_SUBFLOW;
    }

    /** True for the steps whose tasks start a child run: {@link #SUBFLOW} and {@link #MAP_SUBFLOW}. */
    public boolean isSubflow() {
        return this == SUBFLOW || this == MAP_SUBFLOW;
    }

    /** The value stored in {@code pgflow.steps.step_type}. */
    public String sqlValue() {
        return sql;
    }
}
