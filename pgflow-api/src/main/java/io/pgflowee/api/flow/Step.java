package io.pgflowee.api.flow;

import java.lang.reflect.Type;
import java.util.List;

import io.pgflowee.api.json.JsonCodec;
import jakarta.json.JsonValue;

/**
 * A step of a flow, and the typed handle later steps depend on: a {@code Step<String>} hands its
 * dependents a {@code String}. Created by the DSL ({@code flow.step(...).run(...)}), immutable.
 *
 * @param <O> what the step's handler returns (for a map step: the list of per-element results)
 */
public final class Step<O> {

    /** How the DSL turns a task's input into a handler call. */
    @FunctionalInterface
    interface Invoker {
        Object invoke(JsonValue input, TaskContext context, JsonCodec codec) throws Exception;
    }

    private final Flow<?> flow;
    private final String slug;
    private final int index;
    private final StepType stepType;
    private final List<Step<?>> dependencies;
    private final Type outputType;
    private final StepOptions options;
    private final Invoker invoker;
    private final Class<?> subflow;
    private volatile String subflowSlug;

    Step(Flow<?> flow, String slug, int index, StepType stepType, List<Step<?>> dependencies, Type outputType,
         StepOptions options, Invoker invoker) {
        this(flow, slug, index, stepType, dependencies, outputType, options, invoker, null);
    }

    Step(Flow<?> flow, String slug, int index, StepType stepType, List<Step<?>> dependencies, Type outputType,
         StepOptions options, Invoker invoker, Class<?> subflow) {
        this.flow = flow;
        this.slug = slug;
        this.index = index;
        this.stepType = stepType;
        this.dependencies = List.copyOf(dependencies);
        this.outputType = outputType;
        this.options = options;
        this.invoker = invoker;
        this.subflow = subflow;
    }

    public String slug() {
        return slug;
    }

    public String flowSlug() {
        return flow.slug();
    }

    Flow<?> flow() {
        return flow;
    }

    /** Position in the flow, 0 for the first step defined. */
    public int index() {
        return index;
    }

    public StepType stepType() {
        return stepType;
    }

    /** The steps this one waits for, in the order they were given. */
    public List<Step<?>> dependencies() {
        return dependencies;
    }

    /** The slugs of {@link #dependencies()}, in the order given. */
    public List<String> dependencySlugs() {
        return dependencies.stream().map(Step::slug).toList();
    }

    /** The Java type of the step's output (for a map step, {@code List<element result>}). */
    public Type outputType() {
        return outputType;
    }

    public StepOptions options() {
        return options;
    }

    /** A subflow step's child flow definition ({@link TypedFlow}); null for other steps. */
    public Class<?> subflowDefinition() {
        return subflow;
    }

    /**
     * A subflow step's child flow slug ({@code pgflow.steps.subflow_slug}); null for other steps.
     * Learned by building the child definition the first time it is asked (not while the flow is
     * defined: a flow may run itself as a child).
     *
     * @throws FlowDefinitionException when the child definition cannot be built
     */
    public String subflowSlug() {
        if (subflow == null) {
            return null;
        }
        String known = subflowSlug;
        if (known == null) {
            known = TypedFlow.slugOf(subflow, flowSlug(), slug);
            subflowSlug = known;
        }
        return known;
    }

    /**
     * Runs the handler on one task as {@code pgflow.claim_tasks} returned it: a root step's handler
     * gets the flow input ({@code context.flowInput()}), a dependent step's the
     * {@code {dependency: output}} object in {@code input}, a map task the element in {@code input}.
     * Returns the handler's output as JSON text.
     *
     * @throws StepDataException when the input cannot be read as the handler's types, or the
     *         output cannot be written as JSON (the message names the step and the type)
     * @throws Exception whatever the handler throws
     */
    public String execute(JsonValue input, TaskContext context, JsonCodec codec) throws Exception {
        Object output = invoker.invoke(input, context, codec);
        try {
            return codec.encode(output);
        } catch (RuntimeException e) {
            throw new StepDataException("Step \"" + slug + "\" of flow \"" + flowSlug() + "\" returned a value of type "
                    + output.getClass().getName() + " that cannot be serialised to JSON: " + rootMessage(e), e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return t == e ? m : e.getMessage() + " (" + m + ")";
    }

    @Override
    public String toString() {
        return "Step[" + flowSlug() + "." + slug + "]";
    }
}
