package io.pgflowee.engine.model;

/** {@code pgflow.runs.status}. */
public enum RunStatus implements DbValue {
    STARTED("started"), COMPLETED("completed"), FAILED("failed"), CANCELLED("cancelled");

    private final String db;

    RunStatus(String db) {
        this.db = db;
    }

    @Override
    public String dbValue() {
        return db;
    }

    /** True once the run can no longer change by itself (completed, failed or cancelled). */
    public boolean finished() {
        return this != STARTED;
    }
}
