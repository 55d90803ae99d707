package io.pgflowee.client;

import io.pgflowee.api.flow.FlowDefinitionException;
import io.pgflowee.api.flow.TypedFlow;

import java.lang.reflect.Type;
import java.util.UUID;

/**
 * What a {@link TypedFlow} class tells a client: its slug and the Java types of its input and of
 * its run's output. Learned once per class (the flow is built once to read its slug).
 *
 * @param slug       the flow's slug
 * @param inputType  {@code I} of {@code TypedFlow<I, O>}
 * @param outputType {@code O} of {@code TypedFlow<I, O>}
 */
public record FlowType(String slug, Type inputType, Type outputType) {

    private static final ClassValue<FlowType> TYPES = new ClassValue<>() {
        @Override
        protected FlowType computeValue(Class<?> definition) {
            String where = definition.getSimpleName();
            try {
                Type[] types = TypedFlow.typesOf(definition, where, "client");
                return new FlowType(TypedFlow.slugOf(definition, where, "client"), types[0], types[1]);
            } catch (FlowDefinitionException e) {
                throw new IllegalArgumentException(definition.getName() + " cannot be started by type: " + e.getMessage(), e);
            }
        }
    };

    /**
     * The slug and types of {@code definition}.
     *
     * @throws IllegalArgumentException when it is not a public concrete {@code TypedFlow<I, O>} with
     *                                  concrete types and a public no-argument constructor, or its
     *                                  {@code flow()} cannot be built
     */
    /**
     * Refuses a run of another flow than this one: {@code find(runId, Flow.class)} with the wrong class.
     *
     * @throws RefusedException INVALID, naming the run's flow, this flow and {@code definition}
     */
    public void requireRunOf(UUID runId, String runFlowSlug, Class<?> definition) {
        if (!runFlowSlug.equals(slug)) {
            throw new RefusedException(RefusedException.Kind.INVALID, "Another flow's run", "run " + runId + " is a run of flow '"
                    + runFlowSlug + "', not of '" + slug + "' (" + definition.getName() + ")");
        }
    }

    public static FlowType of(Class<?> definition) {
        if (definition == null) {
            throw new IllegalArgumentException("the flow class is null");
        }
        return TYPES.get(definition);
    }
}
