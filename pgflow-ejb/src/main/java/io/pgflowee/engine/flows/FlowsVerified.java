package io.pgflowee.engine.flows;

/** CDI event: the registered flows were compared with the database; runnable ones may get workers. */
public record FlowsVerified(int runnable) {
}
