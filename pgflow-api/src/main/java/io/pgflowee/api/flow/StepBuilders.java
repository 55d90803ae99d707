package io.pgflowee.api.flow;

import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pgflowee.api.json.JsonCodec;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

/**
 * The stages of defining a step. Options first or after {@code after(...)} / {@code over(...)},
 * in any order; {@code run(...)} adds the step to the flow and returns its typed handle.
 *
 * <pre>{@code
 * Step<String> greeting = flow.step("greeting", String.class)
 *         .after(fullName)              // the handler receives fullName's String
 *         .maxAttempts(5).timeout(30)
 *         .run(name -> "Hello, " + name + "!");
 * }</pre>
 */
public final class StepBuilders {

    private StepBuilders() {
    }

    /**
     * The options every step has, signal steps included: its condition ({@code when} / {@code unless},
     * {@code whenUnmet}) and what its failure does ({@code whenExhausted}). Each setter validates its
     * value at once.
     */
    public abstract static class Conditions<SELF extends Conditions<SELF>> {

        final Draft draft;

        Conditions(Draft draft) {
            this.draft = draft;
        }

        @SuppressWarnings("unchecked")
        SELF self() {
            return (SELF) this;
        }

        /**
         * Runs the step only if its input contains {@code jsonObjectPattern} (JSON containment, like
         * PostgreSQL's {@code @>}): the flow input for a root step, {@code {"dependency": output}} for a
         * dependent step. pgflow's {@code if}.
         */
        public SELF when(String jsonObjectPattern) {
            draft.required = draft.flow.parsePattern(draft.slug, "when", jsonObjectPattern);
            return self();
        }

        /** {@link #when(String)} with a JSON-P object. */
        public SELF when(JsonObject pattern) {
            draft.required = draft.flow.checkPattern(draft.slug, "when", pattern);
            return self();
        }

        /** Runs the step only if its input does not contain {@code jsonObjectPattern}. pgflow's {@code ifNot}. */
        public SELF unless(String jsonObjectPattern) {
            draft.forbidden = draft.flow.parsePattern(draft.slug, "unless", jsonObjectPattern);
            return self();
        }

        /** {@link #unless(String)} with a JSON-P object. */
        public SELF unless(JsonObject pattern) {
            draft.forbidden = draft.flow.checkPattern(draft.slug, "unless", pattern);
            return self();
        }

        /** What an unmet {@code when} / {@code unless} does (default {@link WhenUnmet#SKIP}). */
        public SELF whenUnmet(WhenUnmet mode) {
            draft.whenUnmet = draft.flow.checkNotNull(draft.slug, "whenUnmet", mode);
            return self();
        }

        /**
         * What the step's failure does (default {@link WhenExhausted#FAIL}): a task failing its last
         * attempt, or a signal step waiting past its timeout.
         */
        public SELF whenExhausted(WhenExhausted mode) {
            draft.whenExhausted = draft.flow.checkNotNull(draft.slug, "whenExhausted", mode);
            return self();
        }
    }

    /** The options of a step that runs a handler: its conditions, attempts, delays and timeout. */
    public abstract static class Options<SELF extends Options<SELF>> extends Conditions<SELF> {

        Options(Draft draft) {
            super(draft);
        }

        /** Attempts before the step is exhausted, at least 1 (default: the flow's, then 3). */
        public SELF maxAttempts(int maxAttempts) {
            draft.maxAttempts = draft.flow.checkOption(draft.slug, "maxAttempts", maxAttempts, 1);
            return self();
        }

        /** Seconds; retry n waits {@code floor(baseDelay * 2^n)}, at least 1 (default: the flow's, then 5). */
        public SELF baseDelay(int seconds) {
            draft.baseDelay = draft.flow.checkOption(draft.slug, "baseDelay", seconds, 1);
            return self();
        }

        /** Seconds a task may run before it is interrupted and fails, at least 3 (default: the flow's, then 60). */
        public SELF timeout(int seconds) {
            draft.timeout = draft.flow.checkOption(draft.slug, "timeout", seconds, 3);
            return self();
        }

        /** Seconds the step's tasks wait before they can be claimed, at least 0 (default 0). */
        public SELF startDelay(int seconds) {
            draft.startDelay = draft.flow.checkOption(draft.slug, "startDelay", seconds, 0);
            return self();
        }
    }

    /** A step under definition: its slug, output type and options. */
    static final class Draft {
        final Flow<?> flow;
        final String slug;
        final Type outputType;
        final StepType stepType;
        Integer maxAttempts;
        Integer baseDelay;
        Integer timeout;
        Integer startDelay;
        JsonObject required;
        JsonObject forbidden;
        WhenUnmet whenUnmet;
        WhenExhausted whenExhausted;
        Class<?> subflow;

        Draft(Flow<?> flow, String slug, Type outputType, StepType stepType) {
            this.flow = flow;
            this.slug = slug;
            this.outputType = outputType;
            this.stepType = stepType;
        }

        StepOptions options() {
            return new StepOptions(maxAttempts, baseDelay, timeout, startDelay, required, forbidden, whenUnmet, whenExhausted);
        }

        Object decode(JsonCodec codec, JsonValue value, Type type, String what) {
            try {
                return codec.decode(value, type);
            } catch (RuntimeException e) {
                throw new StepDataException("Step \"" + slug + "\" of flow \"" + flow.slug() + "\" cannot read " + what
                        + " as " + type.getTypeName() + ": " + Step.rootMessage(e), e);
            }
        }

        Object dependency(JsonCodec codec, JsonValue input, Step<?> dep) {
            if (!(input instanceof JsonObject object)) {
                throw new StepDataException("Step \"" + slug + "\" of flow \"" + flow.slug()
                        + "\" expected its input to be an object of dependency outputs, got " + input, null);
            }
            return decode(codec, object.get(dep.slug()), dep.outputType(), "the output of step \"" + dep.slug() + "\"");
        }
    }

    /** A root step: its handler receives the flow input. Add dependencies with {@code after(...)}. */
    public static final class Root<I, O> extends Options<Root<I, O>> {

        Root(Draft draft) {
            super(draft);
        }

        /** Depends on {@code a}: the handler receives {@code a}'s output. */
        public <A> After1<A, O> after(Step<A> a) {
            return new After1<>(draft, a);
        }

        /** Depends on {@code a} and {@code b}: the handler receives both outputs. */
        public <A, B> After2<A, B, O> after(Step<A> a, Step<B> b) {
            return new After2<>(draft, a, b);
        }

        /** Depends on {@code a}, {@code b} and {@code c}: the handler receives the three outputs. */
        public <A, B, C> After3<A, B, C, O> after(Step<A> a, Step<B> b, Step<C> c) {
            return new After3<>(draft, a, b, c);
        }

        /** Depends on any number of steps: the handler receives {@link Deps}. */
        public AfterAll<O> afterAll(Step<?>... steps) {
            return new AfterAll<>(draft, java.util.Arrays.asList(steps));
        }

        /** The handler, given the flow input. */
        public Step<O> run(Handlers.Fn1<? super I, ? extends O> handler) {
            return run((in, ctx) -> handler.apply(in));
        }

        /** The handler, given the flow input ({@link TaskContext#flowInput()}) and the task context. */
        @SuppressWarnings("unchecked")
        public Step<O> run(Handlers.Fn2<? super I, TaskContext, ? extends O> handler) {
            Flow<I> flow = (Flow<I>) draft.flow;
            return flow.add(draft, List.of(), (input, ctx, codec) ->
                    handler.apply((I) draft.decode(codec, ctx.flowInput(), flow.inputType(), "the flow input"), ctx));
        }
    }

    /** A step after one other step. */
    public static final class After1<A, O> extends Options<After1<A, O>> {
        private final Step<A> a;

        After1(Draft draft, Step<A> a) {
            super(draft);
            this.a = a;
        }

        public Step<O> run(Handlers.Fn1<? super A, ? extends O> handler) {
            return run((x, ctx) -> handler.apply(x));
        }

        @SuppressWarnings("unchecked")
        public Step<O> run(Handlers.Fn2<? super A, TaskContext, ? extends O> handler) {
            return draft.flow.add(draft, List.of(a), (input, ctx, codec) ->
                    handler.apply((A) draft.dependency(codec, input, a), ctx));
        }
    }

    /** A step after two other steps. */
    public static final class After2<A, B, O> extends Options<After2<A, B, O>> {
        private final Step<A> a;
        private final Step<B> b;

        After2(Draft draft, Step<A> a, Step<B> b) {
            super(draft);
            this.a = a;
            this.b = b;
        }

        public Step<O> run(Handlers.Fn2<? super A, ? super B, ? extends O> handler) {
            return run((x, y, ctx) -> handler.apply(x, y));
        }

        @SuppressWarnings("unchecked")
        public Step<O> run(Handlers.Fn3<? super A, ? super B, TaskContext, ? extends O> handler) {
            return draft.flow.add(draft, List.of(a, b), (input, ctx, codec) ->
                    handler.apply((A) draft.dependency(codec, input, a), (B) draft.dependency(codec, input, b), ctx));
        }
    }

    /** A step after three other steps. */
    public static final class After3<A, B, C, O> extends Options<After3<A, B, C, O>> {
        private final Step<A> a;
        private final Step<B> b;
        private final Step<C> c;

        After3(Draft draft, Step<A> a, Step<B> b, Step<C> c) {
            super(draft);
            this.a = a;
            this.b = b;
            this.c = c;
        }

        public Step<O> run(Handlers.Fn3<? super A, ? super B, ? super C, ? extends O> handler) {
            return run((x, y, z, ctx) -> handler.apply(x, y, z));
        }

        @SuppressWarnings("unchecked")
        public Step<O> run(Handlers.Fn4<? super A, ? super B, ? super C, TaskContext, ? extends O> handler) {
            return draft.flow.add(draft, List.of(a, b, c), (input, ctx, codec) ->
                    handler.apply((A) draft.dependency(codec, input, a), (B) draft.dependency(codec, input, b),
                            (C) draft.dependency(codec, input, c), ctx));
        }
    }

    /** A step after any number of steps; the handler reads them from {@link Deps}. */
    public static final class AfterAll<O> extends Options<AfterAll<O>> {
        private final List<Step<?>> steps;

        AfterAll(Draft draft, List<Step<?>> steps) {
            super(draft);
            this.steps = steps;
        }

        public Step<O> run(Handlers.Fn1<Deps, ? extends O> handler) {
            return run((deps, ctx) -> handler.apply(deps));
        }

        public Step<O> run(Handlers.Fn2<Deps, TaskContext, ? extends O> handler) {
            return draft.flow.add(draft, steps, (input, ctx, codec) -> {
                Map<String, Object> values = new LinkedHashMap<>();
                for (Step<?> dep : steps) {
                    values.put(dep.slug(), draft.dependency(codec, input, dep));
                }
                return handler.apply(new Deps(draft.slug, values), ctx);
            });
        }
    }

    /** A map step: say what it maps over with {@code overInput(...)} or {@code over(step)}. */
    public static final class MapStart<I, O> extends Options<MapStart<I, O>> {

        MapStart(Draft draft) {
            super(draft);
        }

        /** Maps over the flow input, which must be a JSON array of {@code itemType}. */
        public <T> MapOver<T, O> overInput(Class<T> itemType) {
            draft.flow.checkInputIsArray(draft.slug, itemType);
            return new MapOver<>(draft, null, itemType);
        }

        /** Maps over the list that step {@code source} returns; one task per element. */
        public <T> MapOver<T, O> over(Step<? extends List<T>> source) {
            return new MapOver<>(draft, source, Types.elementType(source.outputType()));
        }
    }

    /** A map step with its source: the handler gets one element per task. */
    public static final class MapOver<T, O> extends Options<MapOver<T, O>> {
        private final Step<?> source;
        private final Type itemType;

        MapOver(Draft draft, Step<?> source, Type itemType) {
            super(draft);
            this.source = source;
            this.itemType = itemType;
        }

        public Step<List<O>> run(Handlers.Fn1<? super T, ? extends O> handler) {
            return run((item, ctx) -> handler.apply(item));
        }

        @SuppressWarnings("unchecked")
        public Step<List<O>> run(Handlers.Fn2<? super T, TaskContext, ? extends O> handler) {
            List<Step<?>> deps = source == null ? List.of() : List.of(source);
            return draft.flow.add(draft, deps, (input, ctx, codec) ->
                    handler.apply((T) draft.decode(codec, input, itemType, "element " + ctx.taskIndex()), ctx));
        }
    }

    /**
     * A subflow step (see {@link Flow#subflow(String, Class)}): options, {@code after(...)}, then
     * {@code input(...)}, which builds the child run's input from the flow input and the
     * dependencies' outputs, adds the step and returns its handle (the child run's output as
     * {@code O}). The step's own {@code timeout} bounds the child run's duration (the flow's default
     * does not); {@code maxAttempts} counts child runs: a failed child fails the attempt and, with
     * attempts left, a new child starts.
     */
    public static final class Subflow<I, C, O> extends Options<Subflow<I, C, O>> {
        private List<Step<?>> dependencies = List.of();

        Subflow(Draft draft) {
            super(draft);
        }

        /** Starts the child only once {@code steps} completed; {@code input(...)} reads their outputs from {@link Deps}. */
        public Subflow<I, C, O> after(Step<?>... steps) {
            dependencies = java.util.Arrays.asList(steps);
            return this;
        }

        /** The child run's input, from the flow input and the dependencies' outputs. */
        public Step<O> input(Handlers.Fn2<? super I, Deps, ? extends C> input) {
            return input(input == null ? null : (Handlers.Fn3<? super I, Deps, TaskContext, ? extends C>) (in, deps, ctx) -> input.apply(in, deps));
        }

        /** {@link #input(Handlers.Fn2)} with the task context. */
        @SuppressWarnings("unchecked")
        public Step<O> input(Handlers.Fn3<? super I, Deps, TaskContext, ? extends C> input) {
            Flow<I> flow = (Flow<I>) draft.flow;
            List<Step<?>> deps = dependencies;
            if (input == null) {
                return flow.add(draft, deps, null);
            }
            return flow.add(draft, deps, (json, ctx, codec) -> {
                Map<String, Object> values = new LinkedHashMap<>();
                for (Step<?> dep : deps) {
                    values.put(dep.slug(), draft.dependency(codec, json, dep));
                }
                I flowInput = (I) draft.decode(codec, ctx.flowInput(), flow.inputType(), "the flow input");
                return input.apply(flowInput, new Deps(draft.slug, values), ctx);
            });
        }
    }

    /** A map subflow step: say what it maps over with {@code overInput(...)} or {@code over(step)}. */
    public static final class MapSubflowStart<C, O> extends Options<MapSubflowStart<C, O>> {

        MapSubflowStart(Draft draft) {
            super(draft);
        }

        /** One child per element of the flow input, which must be a JSON array of {@code itemType}. */
        public <T> MapSubflowOver<T, C, O> overInput(Class<T> itemType) {
            draft.flow.checkInputIsArray(draft.slug, itemType);
            return new MapSubflowOver<>(draft, null, itemType);
        }

        /** One child per element of the list that step {@code source} returns. */
        public <T> MapSubflowOver<T, C, O> over(Step<? extends List<T>> source) {
            return new MapSubflowOver<>(draft, source, Types.elementType(source.outputType()));
        }
    }

    /** A map subflow step with its source: {@code input(...)} builds each child's input from its element. */
    public static final class MapSubflowOver<T, C, O> extends Options<MapSubflowOver<T, C, O>> {
        private final Step<?> source;
        private final Type itemType;

        MapSubflowOver(Draft draft, Step<?> source, Type itemType) {
            super(draft);
            this.source = source;
            this.itemType = itemType;
        }

        /** The child run's input for one element. */
        public Step<List<O>> input(Handlers.Fn1<? super T, ? extends C> input) {
            return input(input == null ? null : (Handlers.Fn2<? super T, TaskContext, ? extends C>) (item, ctx) -> input.apply(item));
        }

        /** {@link #input(Handlers.Fn1)} with the task context ({@code ctx.taskIndex()} is the element's index). */
        @SuppressWarnings("unchecked")
        public Step<List<O>> input(Handlers.Fn2<? super T, TaskContext, ? extends C> input) {
            List<Step<?>> deps = source == null ? List.of() : List.of(source);
            if (input == null) {
                return draft.flow.add(draft, deps, null);
            }
            return draft.flow.add(draft, deps, (json, ctx, codec) ->
                    input.apply((T) draft.decode(codec, json, itemType, "element " + ctx.taskIndex()), ctx));
        }
    }

    /**
     * A signal step: no handler and no task. It waits, once its dependencies completed (a root signal
     * step: from the run's start), for {@code pgflow.send_signal} (REST: {@code POST
     * /api/runs/{id}/steps/{step}/signal}) and outputs the signal's payload, which its dependents
     * receive as {@code P}. {@code await()} adds it to the flow.
     *
     * <pre>{@code
     * Step<Approval> approval = flow.signal("approval", Approval.class).after(review)
     *         .timeout(Duration.ofDays(2))     // then it fails (or is skipped: whenExhausted)
     *         .await();
     * }</pre>
     */
    public static final class Signal<P> extends Conditions<Signal<P>> {
        private List<Step<?>> dependencies = List.of();

        Signal(Draft draft) {
            super(draft);
        }

        /** Waits only once {@code steps} completed (without: from the run's start). */
        public Signal<P> after(Step<?>... steps) {
            dependencies = java.util.Arrays.asList(steps);
            return this;
        }

        /**
         * The longest wait, in seconds (at least 1): when no signal came by then, {@code pgflow.tick()}
         * fails the step as a task failing its last attempt would ({@link #whenExhausted}). Without a
         * timeout it waits for ever; the flow's default timeout, meant for handlers, does not apply.
         */
        public Signal<P> timeout(int seconds) {
            draft.timeout = draft.flow.checkOption(draft.slug, "timeout", seconds, 1);
            return this;
        }

        /** {@link #timeout(int)} as a duration, whole seconds (at least 1 s). */
        public Signal<P> timeout(java.time.Duration longestWait) {
            draft.flow.checkNotNull(draft.slug, "timeout", longestWait);
            return timeout((int) Math.min(Integer.MAX_VALUE, longestWait.getSeconds()));
        }

        /** Adds the step to the flow: its handle hands dependents the signal's payload as {@code P}. */
        public Step<P> await() {
            String flowSlug = draft.flow.slug();
            return draft.flow.add(draft, dependencies, (input, ctx, codec) -> {
                throw new IllegalStateException("Step \"" + draft.slug + "\" of flow \"" + flowSlug
                        + "\" is a signal step: it has no handler, pgflow.send_signal completes it");
            });
        }
    }
}
