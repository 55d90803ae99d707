package io.pgflowee.engine.model;

/** {@code pgflow.step_tasks.status}. */
public enum TaskStatus implements DbValue {
    QUEUED("queued"), STARTED("started"), COMPLETED("completed"), FAILED("failed"), CANCELLED("cancelled");

    private final String db;

    TaskStatus(String db) {
        this.db = db;
    }

    @Override
    public String dbValue() {
        return db;
    }
}
