package io.pgflowee.api.flow;

import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;

/**
 * A flow definition that names the Java types of its input ({@code I}) and of its run's output
 * ({@code O}), so that other flows can run it as a child: {@code flow.subflow("pay", PaymentFlow.class)}
 * hands the child a {@code PaymentFlow.Input} and its dependents a {@code PaymentFlow.Output}.
 * A run's output is the object of its leaf steps' outputs, so {@code O} is a record with one
 * component per leaf step (named like the step, or with {@code @JsonbProperty}).
 *
 * <pre>{@code
 * @ApplicationScoped
 * public class PaymentFlow implements TypedFlow<PaymentFlow.Input, PaymentFlow.Output> {
 *     public record Input(String orderId, long cents) {}
 *     public record Receipt(String id) {}
 *     public record Output(Receipt receipt) {}
 *
 *     public Flow<Input> flow() {
 *         Flow<Input> flow = Flow.define("payment", Input.class);
 *         Step<String> charge = flow.step("charge", String.class).run(in -> gateway.charge(in.cents()));
 *         flow.step("receipt", Receipt.class).after(charge).run(id -> new Receipt(id));
 *         return flow;
 *     }
 * }
 * }</pre>
 *
 * @param <I> the child flow's input type
 * @param <O> the child run's output type (one component per leaf step)
 */
public interface TypedFlow<I, O> extends FlowDefinition {

    @Override
    Flow<I> flow();

    /**
     * The input and output types that {@code definition} gives {@link TypedFlow}, checked for what a
     * subflow step needs: a concrete public class with a public no-argument constructor (the
     * compiler and the engine build it to learn the child flow's slug).
     *
     * @throws FlowDefinitionException naming the parent flow and step when it does not qualify
     */
    static Type[] typesOf(Class<?> definition, String flowSlug, String stepSlug) {
        if (definition == null) {
            throw new FlowDefinitionException(flowSlug, stepSlug, "the child flow's class is null");
        }
        String name = definition.getName();
        if (definition.isInterface() || Modifier.isAbstract(definition.getModifiers()) || !Modifier.isPublic(definition.getModifiers())) {
            throw new FlowDefinitionException(flowSlug, stepSlug, "the child flow " + name + " must be a public concrete class");
        }
        try {
            definition.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new FlowDefinitionException(flowSlug, stepSlug, "the child flow " + name + " needs a public no-argument constructor");
        }
        for (Class<?> c = definition; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Type t : c.getGenericInterfaces()) {
                if (t instanceof ParameterizedType p && p.getRawType() == TypedFlow.class) {
                    Type[] args = p.getActualTypeArguments();
                    if (args[0] instanceof TypeVariable<?> || args[1] instanceof TypeVariable<?>) {
                        break;
                    }
                    return args;
                }
            }
        }
        throw new FlowDefinitionException(flowSlug, stepSlug, "the child flow " + name
                + " must implement TypedFlow<Input, Output> with concrete types (the child's input and its run's output)");
    }

    /** The slug of the flow that {@code definition} defines: builds it (once per step, when asked). */
    static String slugOf(Class<?> definition, String flowSlug, String stepSlug) {
        Flow<?> child;
        try {
            child = ((FlowDefinition) definition.getConstructor().newInstance()).flow();
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            throw new FlowDefinitionException(flowSlug, stepSlug, "the child flow " + definition.getName() + " could not be built: "
                    + Step.rootMessage(cause));
        }
        if (child == null) {
            throw new FlowDefinitionException(flowSlug, stepSlug, "the child flow " + definition.getName() + ".flow() returned null");
        }
        return child.slug();
    }
}
