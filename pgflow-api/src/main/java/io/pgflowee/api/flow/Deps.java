package io.pgflowee.api.flow;

import java.util.Map;

/**
 * The outputs of a step's dependencies, for steps declared with {@code afterAll(...)}:
 * {@code deps.get(fullName)} returns the output of {@code fullName} with its Java type. A
 * dependency that was skipped (condition unmet, or exhausted with {@code SKIP}) gives null.
 */
public final class Deps {

    private final String stepSlug;
    private final Map<String, Object> values;

    Deps(String stepSlug, Map<String, Object> values) {
        this.stepSlug = stepSlug;
        this.values = values;
    }

    /** The output of {@code dependency}, null when it was skipped. */
    @SuppressWarnings("unchecked")
    public <T> T get(Step<T> dependency) {
        if (!values.containsKey(dependency.slug())) {
            throw new IllegalArgumentException("Step \"" + stepSlug + "\" does not depend on step \""
                    + dependency.slug() + "\"; its dependencies are " + values.keySet());
        }
        return (T) values.get(dependency.slug());
    }

    /** True when {@code dependency} produced an output (it was not skipped). */
    public boolean has(Step<?> dependency) {
        return values.get(dependency.slug()) != null;
    }
}
