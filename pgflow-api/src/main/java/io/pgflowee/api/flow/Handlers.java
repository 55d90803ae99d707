package io.pgflowee.api.flow;

/**
 * The shapes of step handlers. Users write lambdas or method references; these types only name
 * them. Every handler may throw: an exception fails the attempt (and is retried per the step's
 * {@code maxAttempts}).
 */
public final class Handlers {

    private Handlers() {
    }

    /** A handler of one input. */
    @FunctionalInterface
    public interface Fn1<A, O> {
        O apply(A a) throws Exception;
    }

    /** A handler of two inputs (or of one input and the {@link TaskContext}). */
    @FunctionalInterface
    public interface Fn2<A, B, O> {
        O apply(A a, B b) throws Exception;
    }

    /** A handler of three inputs (or two and the {@link TaskContext}). */
    @FunctionalInterface
    public interface Fn3<A, B, C, O> {
        O apply(A a, B b, C c) throws Exception;
    }

    /** A handler of three inputs and the {@link TaskContext}. */
    @FunctionalInterface
    public interface Fn4<A, B, C, D, O> {
        O apply(A a, B b, C c, D d) throws Exception;
    }
}
