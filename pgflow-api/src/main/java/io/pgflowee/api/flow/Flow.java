package io.pgflowee.api.flow;

import io.pgflowee.api.json.Jsonp;

import java.io.StringReader;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;

/**
 * A flow: a directed acyclic graph of steps over an input of type {@code I}.
 *
 * <pre>{@code
 * Flow<Input> flow = Flow.define("greet_user", Input.class).maxAttempts(3).baseDelay(5).timeout(60);
 * Step<String> fullName = flow.step("full_name", String.class)
 *         .run(in -> in.firstName() + " " + in.lastName());
 * Step<String> greeting = flow.step("greeting", String.class).after(fullName)
 *         .run(name -> "Hello, " + name + "!");
 * }</pre>
 *
 * Every rule is checked by the call that could break it, which throws a
 * {@link FlowDefinitionException} naming the flow and the step. A step can only depend on steps
 * defined before it, so the definition order is a topological order and cycles cannot be written.
 *
 * @param <I> the flow input's Java type (JSON-B mapped)
 */
public final class Flow<I> {

    /** Engine defaults when neither step nor flow sets an option. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    public static final int DEFAULT_BASE_DELAY = 5;
    public static final int DEFAULT_TIMEOUT = 60;

    private final String slug;
    private final Type inputType;
    private Integer maxAttempts;
    private Integer baseDelay;
    private Integer timeout;
    private final Map<String, Step<?>> steps = new LinkedHashMap<>();
    private final Set<String> pending = new HashSet<>();
    private java.util.function.Function<? super I, String> concurrencyKey;
    private java.util.function.ToIntFunction<? super I> priority;
    private final Map<String, Schedule> schedules = new LinkedHashMap<>();

    private Flow(String slug, Type inputType) {
        Optional<String> problem = Slugs.problem(slug);
        if (problem.isPresent()) {
            throw new FlowDefinitionException(slug, null, problem.get());
        }
        if (inputType == null) {
            throw new FlowDefinitionException(slug, null, "the input type is missing (use Object.class or JsonValue.class for any JSON)");
        }
        String hidden = Types.notPublic(inputType);
        if (hidden != null) {
            throw new FlowDefinitionException(slug, null, "the input type " + hidden + " is not public; JSON-B can only map public types");
        }
        this.slug = slug;
        this.inputType = inputType;
    }

    /** Starts a flow whose input maps to {@code inputType}. */
    public static <I> Flow<I> define(String slug, Class<I> inputType) {
        return new Flow<>(slug, inputType);
    }

    /** Starts a flow whose input maps to a generic type: {@code new TypeRef<List<String>>() {}}. */
    public static <I> Flow<I> define(String slug, TypeRef<I> inputType) {
        return new Flow<>(slug, inputType == null ? null : inputType.type());
    }

    /** Attempts per task unless a step says otherwise, at least 1 (default 3). */
    public Flow<I> maxAttempts(int maxAttempts) {
        this.maxAttempts = checkOption(null, "maxAttempts", maxAttempts, 1);
        return this;
    }

    /** Seconds; retry n waits {@code floor(baseDelay * 2^n)}, at least 1 (default 5). */
    public Flow<I> baseDelay(int seconds) {
        this.baseDelay = checkOption(null, "baseDelay", seconds, 1);
        return this;
    }

    /** Seconds a task may run, at least 3 (default 60). */
    public Flow<I> timeout(int seconds) {
        this.timeout = checkOption(null, "timeout", seconds, 3);
        return this;
    }

    /**
     * The concurrency key of a run, computed from its input when Java or REST starts the flow
     * without naming one: {@code .concurrencyKey(in -> in.customerId())}. Runs of one key share
     * the key's limit ({@code pgflow.set_key_concurrency}) and rate ({@code set_rate_limit} per key),
     * and keys take turns in the claim. The function may return null (a run without a key).
     */
    public Flow<I> concurrencyKey(java.util.function.Function<? super I, String> key) {
        if (key == null) {
            throw new FlowDefinitionException(slug, null, "concurrencyKey(...) needs a function of the input (in -> in.customerId())");
        }
        this.concurrencyKey = key;
        return this;
    }

    /**
     * The priority of a run (-100..100, higher claimed first, default 0), computed from its input
     * when Java or REST starts the flow without naming one: {@code .priority(in -> in.premium() ? 10 : 0)}.
     */
    public Flow<I> priority(java.util.function.ToIntFunction<? super I> priority) {
        if (priority == null) {
            throw new FlowDefinitionException(slug, null, "priority(...) needs a function of the input (in -> in.premium() ? 10 : 0)");
        }
        this.priority = priority;
        return this;
    }

    /** Whether {@link #concurrencyKey} or {@link #priority} was given. */
    public boolean computesRunKeys() {
        return concurrencyKey != null || priority != null;
    }

    /**
     * The concurrency key and priority that {@link #concurrencyKey} and {@link #priority} compute
     * for a run input (JSON text); {@link RunKeys#NONE} when neither is set. A function that throws, or an input that does not map to the input type, gives an
     * {@link IllegalArgumentException} naming the flow and the function.
     */
    public RunKeys runKeysOf(io.pgflowee.api.json.JsonCodec codec, String inputJson) {
        if (!computesRunKeys()) {
            return RunKeys.NONE;
        }
        I input;
        try {
            @SuppressWarnings("unchecked")
            I decoded = (I) codec.decode(io.pgflowee.api.json.JsonCodec.parse(inputJson), inputType);
            input = decoded;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Flow \"" + slug + "\": the input does not map to " + inputType.getTypeName()
                    + " for concurrencyKey/priority: " + e.getMessage(), e);
        }
        String key = null;
        int level = 0;
        try {
            if (concurrencyKey != null) {
                key = concurrencyKey.apply(input);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Flow \"" + slug + "\": concurrencyKey(...) failed on the input: " + e, e);
        }
        try {
            if (priority != null) {
                level = priority.applyAsInt(input);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Flow \"" + slug + "\": priority(...) failed on the input: " + e, e);
        }
        return new RunKeys(key, level);
    }

    /**
     * Declares a schedule: a run of this flow with {@code input} at every firing of {@code cron}
     * (five standard fields or {@code @hourly}/{@code @daily}/{@code @weekly}/{@code @monthly}), read
     * in UTC unless {@link Schedule#timeZone(String)} says otherwise:
     * {@code flow.schedule("nightly", "0 3 * * *", new Input("eu")).timeZone("Europe/Berlin")}.
     * The run input is the input's JSON plus {@code "scheduled_at"} (the firing instant, UTC). Names
     * are unique across all flows (1 to 100 letters, digits, "_", "." or "-").
     */
    public Schedule schedule(String name, String cron, I input) {
        if (name != null && schedules.containsKey(name)) {
            throw new FlowDefinitionException(slug, null, "schedule \"" + name + "\" is declared more than once");
        }
        Schedule schedule = new Schedule(slug, name, cron, input);
        schedules.put(name, schedule);
        return schedule;
    }

    /** {@link #schedule(String, String, Object)} with the input {@code {}} (plus {@code "scheduled_at"}). */
    public Schedule schedule(String name, String cron) {
        return schedule(name, cron, null);
    }

    /** The declared schedules in declaration order. */
    public List<Schedule> schedules() {
        return List.copyOf(schedules.values());
    }

    /** Begins a single step whose handler returns {@code outputType}. */
    public <O> StepBuilders.Root<I, O> step(String slug, Class<O> outputType) {
        return new StepBuilders.Root<>(draft(slug, outputType, StepType.SINGLE));
    }

    /** Begins a single step whose handler returns a generic type: {@code new TypeRef<List<Item>>() {}}. */
    public <O> StepBuilders.Root<I, O> step(String slug, TypeRef<O> outputType) {
        return new StepBuilders.Root<>(draft(slug, outputType == null ? null : outputType.type(), StepType.SINGLE));
    }

    /** Begins a map step whose handler returns {@code elementOutputType} per element; the step outputs the list. */
    public <O> StepBuilders.MapStart<I, O> map(String slug, Class<O> elementOutputType) {
        return new StepBuilders.MapStart<>(draft(slug, elementOutputType, StepType.MAP));
    }

    /** {@link #map(String, Class)} with a generic element output type. */
    public <O> StepBuilders.MapStart<I, O> map(String slug, TypeRef<O> elementOutputType) {
        return new StepBuilders.MapStart<>(draft(slug, elementOutputType == null ? null : elementOutputType.type(), StepType.MAP));
    }

    /**
     * Begins a signal step: no handler, it waits for {@code pgflow.send_signal} and outputs the
     * signal's payload, read as {@code payloadType} by its dependents (an approval, a webhook's body).
     */
    public <P> StepBuilders.Signal<P> signal(String slug, Class<P> payloadType) {
        return new StepBuilders.Signal<>(draft(slug, payloadType, StepType.SIGNAL));
    }

    /** {@link #signal(String, Class)} with a generic payload type: {@code new TypeRef<List<String>>() {}}. */
    public <P> StepBuilders.Signal<P> signal(String slug, TypeRef<P> payloadType) {
        return new StepBuilders.Signal<>(draft(slug, payloadType == null ? null : payloadType.type(), StepType.SIGNAL));
    }

    /**
     * Begins a subflow step: its task starts a run of the flow {@code child} defines, with the input
     * that {@code input(...)} builds, and the step completes with that child run's output, read as
     * the child's {@code O} (the parent's worker holds no thread while the child runs).
     *
     * <pre>{@code
     * Step<PaymentFlow.Output> pay = flow.subflow("pay", PaymentFlow.class).after(total)
     *         .maxAttempts(2)                       // a failed child: the step starts a new one
     *         .timeout(600)                         // the child run's longest duration
     *         .input((order, deps) -> new PaymentFlow.Input(order.id(), deps.get(total)));
     * }</pre>
     */
    public <C, O> StepBuilders.Subflow<I, C, O> subflow(String slug, Class<? extends TypedFlow<C, O>> child) {
        java.lang.reflect.Type[] types = TypedFlow.typesOf(child, this.slug, slug);
        StepBuilders.Draft draft = draft(slug, types[1], StepType.SUBFLOW);
        draft.subflow = child;
        return new StepBuilders.Subflow<>(draft);
    }

    /**
     * A root subflow step in one call: {@code flow.subflow("pay", PaymentFlow.class, (in, deps) -> new
     * PaymentFlow.Input(...))} ({@link #subflow(String, Class)} with default options and no dependency).
     */
    public <C, O> Step<O> subflow(String slug, Class<? extends TypedFlow<C, O>> child,
                                  Handlers.Fn2<? super I, Deps, ? extends C> input) {
        return subflow(slug, child).input(input);
    }

    /**
     * Begins a map subflow step: one child run of the flow {@code child} defines per element of an
     * array (the flow input, or a step's list), and the step outputs the list of the children's
     * outputs in element order.
     *
     * <pre>{@code
     * Step<List<ShippingFlow.Output>> ship = flow.mapSubflow("ship", ShippingFlow.class).over(parcels)
     *         .input(parcel -> new ShippingFlow.Input(parcel.id()));
     * }</pre>
     */
    public <C, O> StepBuilders.MapSubflowStart<C, O> mapSubflow(String slug, Class<? extends TypedFlow<C, O>> child) {
        java.lang.reflect.Type[] types = TypedFlow.typesOf(child, this.slug, slug);
        StepBuilders.Draft draft = draft(slug, types[1], StepType.MAP_SUBFLOW);
        draft.subflow = child;
        return new StepBuilders.MapSubflowStart<>(draft);
    }

    public String slug() {
        return slug;
    }

    public Type inputType() {
        return inputType;
    }

    /** The flow's maxAttempts, or null when not set. */
    public Integer maxAttempts() {
        return maxAttempts;
    }

    /** The flow's baseDelay, or null when not set. */
    public Integer baseDelay() {
        return baseDelay;
    }

    /** The flow's timeout, or null when not set. */
    public Integer timeout() {
        return timeout;
    }

    /** The steps in definition order. */
    public List<Step<?>> steps() {
        return Collections.unmodifiableList(new ArrayList<>(steps.values()));
    }

    /** The step named {@code stepSlug}. */
    public Step<?> stepNamed(String stepSlug) {
        Step<?> step = steps.get(stepSlug);
        if (step == null) {
            throw new IllegalArgumentException("Step \"" + stepSlug + "\" does not exist in flow \"" + slug + "\"");
        }
        return step;
    }

    /** The steps that no other step depends on; the run's output has one key per leaf. */
    public List<Step<?>> leaves() {
        Set<String> used = new HashSet<>();
        steps.values().forEach(s -> used.addAll(s.dependencySlugs()));
        return steps.values().stream().filter(s -> !used.contains(s.slug())).toList();
    }

    /**
     * Checks what can only be checked once the definition is over: at least one step, and every
     * step begun with {@code step(...)} / {@code map(...)} finished with {@code run(...)}.
     *
     * @return this flow
     */
    public Flow<I> validate() {
        if (!pending.isEmpty()) {
            String names = pending.stream().sorted().map(s -> "\"" + s + "\"").reduce((a, b) -> a + ", " + b).orElse("");
            throw new FlowDefinitionException(slug, null, "step " + names + " was begun but never given a handler: finish it with run(...) (a signal step with await(), a subflow step with input(...))");
        }
        if (steps.isEmpty()) {
            throw new FlowDefinitionException(slug, null, "a flow needs at least one step");
        }
        return this;
    }

    @Override
    public String toString() {
        return "Flow[" + slug + ", steps=" + steps.keySet() + "]";
    }

    // ---- used by the step builders -------------------------------------------------------------

    private StepBuilders.Draft draft(String stepSlug, Type outputType, StepType type) {
        Optional<String> problem = Slugs.problem(stepSlug);
        if (problem.isPresent()) {
            throw new FlowDefinitionException(slug, stepSlug, problem.get());
        }
        if (steps.containsKey(stepSlug) || pending.contains(stepSlug)) {
            throw new FlowDefinitionException(slug, stepSlug, "Step \"" + stepSlug + "\" already exists in flow \"" + slug + "\"");
        }
        if (outputType == null) {
            throw new FlowDefinitionException(slug, stepSlug, "the output type is missing (use Void.class for a step without output)");
        }
        String hidden = Types.notPublic(outputType);
        if (hidden != null) {
            throw new FlowDefinitionException(slug, stepSlug, "the output type " + hidden + " is not public; JSON-B can only map public types");
        }
        pending.add(stepSlug);
        return new StepBuilders.Draft(this, stepSlug, outputType, type);
    }

    <O> Step<O> add(StepBuilders.Draft draft, List<Step<?>> dependencies, Step.Invoker invoker) {
        if (!pending.contains(draft.slug)) {
            throw new FlowDefinitionException(slug, draft.slug, (draft.stepType == StepType.SIGNAL ? "await()" : draft.stepType.isSubflow() ? "input(...)" : "run(...)")
                    + " was already called for this step");
        }
        Set<String> seen = new HashSet<>();
        for (Step<?> dep : dependencies) {
            if (dep == null) {
                throw new FlowDefinitionException(slug, draft.slug, "a dependency is null (was the step defined before this one?)");
            }
            if (dep.flow() != this || steps.get(dep.slug()) != dep) {
                throw new FlowDefinitionException(slug, draft.slug, "Step \"" + draft.slug + "\" depends on undefined step \""
                        + dep.slug() + "\" (it belongs to flow \"" + dep.flowSlug() + "\")");
            }
            if (!seen.add(dep.slug())) {
                throw new FlowDefinitionException(slug, draft.slug, "Step \"" + draft.slug + "\" depends on step \""
                        + dep.slug() + "\" more than once");
            }
        }
        if (draft.stepType.isMap() && dependencies.size() > 1) {
            throw new FlowDefinitionException(slug, draft.slug, "Map step \"" + draft.slug
                    + "\" can have at most one dependency, but " + dependencies.size() + " were provided: "
                    + String.join(", ", dependencies.stream().map(Step::slug).toList()));
        }
        if (draft.whenUnmet != null && draft.required == null && draft.forbidden == null) {
            throw new FlowDefinitionException(slug, draft.slug, "whenUnmet(" + draft.whenUnmet
                    + ") has no effect without a condition: add when(...) or unless(...)");
        }
        if (invoker == null) {
            throw new FlowDefinitionException(slug, draft.slug, "the handler is null");
        }
        Type output = draft.stepType.isMap() ? Types.listOf(draft.outputType) : draft.outputType;
        Step<O> step = new Step<>(this, draft.slug, steps.size(), draft.stepType, dependencies, output, draft.options(), invoker,
                draft.subflow);
        pending.remove(draft.slug);
        steps.put(draft.slug, step);
        return step;
    }

    Integer checkOption(String stepSlug, String option, int value, int minimum) {
        if (value < minimum) {
            throw new FlowDefinitionException(slug, stepSlug, option + " must be greater than or equal to " + minimum + ", got " + value);
        }
        return value;
    }

    <T> T checkNotNull(String stepSlug, String option, T value) {
        if (value == null) {
            throw new FlowDefinitionException(slug, stepSlug, option + " cannot be null");
        }
        return value;
    }

    JsonObject parsePattern(String stepSlug, String option, String text) {
        if (text == null) {
            throw new FlowDefinitionException(slug, stepSlug, option + "(...) pattern cannot be null");
        }
        JsonValue value;
        try (var reader = Jsonp.createReader(new StringReader(text))) {
            value = reader.readValue();
        } catch (JsonParsingException e) {
            var at = e.getLocation();
            throw new FlowDefinitionException(slug, stepSlug, option + "(...) pattern is not valid JSON"
                    + (at == null ? "" : " (column " + at.getColumnNumber() + ")") + ": " + text);
        }
        if (!(value instanceof JsonObject object)) {
            throw new FlowDefinitionException(slug, stepSlug, option + "(...) pattern must be a JSON object, got " + text);
        }
        return object;
    }

    JsonObject checkPattern(String stepSlug, String option, JsonObject pattern) {
        if (pattern == null) {
            throw new FlowDefinitionException(slug, stepSlug, option + "(...) pattern cannot be null");
        }
        return pattern;
    }

    void checkInputIsArray(String stepSlug, Class<?> itemType) {
        if (itemType == null) {
            throw new FlowDefinitionException(slug, stepSlug, "overInput(...) needs the element type");
        }
        if (!Types.isArrayLike(inputType)) {
            throw new FlowDefinitionException(slug, stepSlug, "a map over the flow input needs a flow input that is a JSON array, but the input type is "
                    + inputType.getTypeName());
        }
    }
}
