package io.pgflowee.api.flow;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/**
 * A generic Java type for JSON mapping, captured by subclassing:
 * {@code new TypeRef<List<Order>>() {}}. Use it where a {@code Class} cannot say enough.
 */
public abstract class TypeRef<T> {

    private final Type type;

    protected TypeRef() {
        Type superclass = getClass().getGenericSuperclass();
        if (!(superclass instanceof ParameterizedType p)) {
            throw new IllegalStateException("TypeRef needs a type argument: new TypeRef<List<Order>>() {}");
        }
        this.type = p.getActualTypeArguments()[0];
    }

    /** The captured type. */
    public Type type() {
        return type;
    }
}
