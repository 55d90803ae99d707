package io.pgflowee.engine.model;

/** {@code pgflow.step_states.status}. */
public enum StepStatus implements DbValue {
    CREATED("created"), STARTED("started"), COMPLETED("completed"), FAILED("failed"), SKIPPED("skipped"), CANCELLED("cancelled");

    private final String db;

    StepStatus(String db) {
        this.db = db;
    }

    @Override
    public String dbValue() {
        return db;
    }
}
