package io.pgflowee.api.flow;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import jakarta.json.JsonArray;
import jakarta.json.JsonValue;

/** Small reflection helpers for list and element types. */
final class Types {

    private Types() {
    }

    /** The element type of a list-like type: {@code List<X>} gives X, {@code X[]} gives X, JsonArray gives JsonValue. */
    static Type elementType(Type listType) {
        if (listType instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw
                && Collection.class.isAssignableFrom(raw)) {
            return p.getActualTypeArguments()[0];
        }
        if (listType instanceof Class<?> c && c.isArray()) {
            return c.getComponentType();
        }
        if (listType instanceof GenericArrayType g) {
            return g.getGenericComponentType();
        }
        if (listType == JsonArray.class || listType == JsonValue.class) {
            return JsonValue.class;
        }
        return Object.class;
    }

    /** True when values of {@code type} can hold a JSON array. */
    static boolean isArrayLike(Type type) {
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType()
                : type instanceof Class<?> c ? c : null;
        if (type instanceof GenericArrayType) {
            return true;
        }
        return raw != null && (raw.isArray() || Collection.class.isAssignableFrom(raw)
                || raw == JsonArray.class || raw == JsonValue.class || raw == Object.class);
    }

    /** The name of the first class in {@code type} (or its type arguments) that is not public, or null. */
    static String notPublic(Type type) {
        if (type instanceof ParameterizedType p) {
            String raw = notPublic(p.getRawType());
            if (raw != null) {
                return raw;
            }
            for (Type arg : p.getActualTypeArguments()) {
                String a = notPublic(arg);
                if (a != null) {
                    return a;
                }
            }
            return null;
        }
        if (type instanceof Class<?> c) {
            if (c.isArray()) {
                return notPublic(c.getComponentType());
            }
            if (!c.isPrimitive() && !java.lang.reflect.Modifier.isPublic(c.getModifiers())) {
                return c.getName();
            }
        }
        return null;
    }

    /** {@code List<element>}. */
    static ParameterizedType listOf(Type element) {
        return new ParameterizedType() {
            @Override
            public Type[] getActualTypeArguments() {
                return new Type[] {element};
            }

            @Override
            public Type getRawType() {
                return List.class;
            }

            @Override
            public Type getOwnerType() {
                return null;
            }

            @Override
            public String getTypeName() {
                return "java.util.List<" + element.getTypeName() + ">";
            }

            @Override
            public boolean equals(Object o) {
                return o instanceof ParameterizedType p && p.getRawType() == List.class && p.getOwnerType() == null
                        && java.util.Arrays.equals(p.getActualTypeArguments(), getActualTypeArguments());
            }

            @Override
            public int hashCode() {
                return Objects.hash(List.class, element);
            }

            @Override
            public String toString() {
                return getTypeName();
            }
        };
    }
}
