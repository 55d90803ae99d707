package io.pgflowee.api.flow;

/**
 * A flow definition breaks a rule: thrown by the DSL call that breaks it, so the stack trace
 * points at the offending line. The message names the flow and, where there is one, the step.
 */
public class FlowDefinitionException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String flowSlug;
    private final String stepSlug;

    public FlowDefinitionException(String flowSlug, String stepSlug, String problem) {
        super(where(flowSlug, stepSlug) + problem);
        this.flowSlug = flowSlug;
        this.stepSlug = stepSlug;
    }

    private static String where(String flowSlug, String stepSlug) {
        String flow = "Flow \"" + flowSlug + "\"";
        return stepSlug == null ? flow + ": " : flow + ", step \"" + stepSlug + "\": ";
    }

    /** The flow being defined, as given (possibly invalid). */
    public String flowSlug() {
        return flowSlug;
    }

    /** The step being defined, or null for a flow-level problem. */
    public String stepSlug() {
        return stepSlug;
    }
}
