package io.pgflowee.engine.flows;

import java.util.List;

/**
 * Whether a registered flow may run, and why not.
 *
 * @param slug the flow's slug (as defined; for an invalid definition, the class name)
 * @param state see {@link State}
 * @param differences for {@link State#MISMATCH}: each difference, compiled (first) vs database (second)
 * @param message one sentence for logs and health
 * @param scheduleDifferences how the database's schedules differ from those the Java definition
 *        declares, one sentence each (informational: the flow runs all the same)
 */
public record FlowStatus(String slug, State state, List<String> differences, String message, List<String> scheduleDifferences) {

    public enum State {
        /** Not checked yet (the schema is not applied). */
        UNCHECKED,
        /** In the database with exactly the Java shape: runs. */
        VERIFIED,
        /** Was missing and was created from its Java definition ({@code pgflow.flows.autoCompile=true}): runs. */
        COMPILED,
        /** Not in the database and auto-compilation is off: does not run. */
        MISSING,
        /** In the database with another shape: does not run. */
        MISMATCH,
        /** The Java definition is broken (or its slug is taken by another definition): does not run. */
        INVALID
    }

    public FlowStatus {
        differences = List.copyOf(differences);
        scheduleDifferences = List.copyOf(scheduleDifferences);
    }

    /** A status without schedule differences. */
    public FlowStatus(String slug, State state, List<String> differences, String message) {
        this(slug, state, differences, message, List.of());
    }

    /** This status with the schedule differences found. */
    public FlowStatus withScheduleDifferences(List<String> found) {
        return new FlowStatus(slug, state, differences, message, found);
    }

    /** True when the engine may run this flow's tasks. */
    public boolean runnable() {
        return state == State.VERIFIED || state == State.COMPILED;
    }
}
