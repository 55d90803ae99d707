package io.pgflowee.engine.control;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/**
 * Whether a JSON value has the shape of a Java type, strictly: JSON-B reads {@code "maybe"} into a
 * {@code boolean} as false and {@code "12"} into an {@code int}, which for a signal (an approval)
 * would decide something nobody sent. Checked: booleans, numbers, strings, enum constants, records
 * (component by component, under their JSON-B names), lists and arrays (element by element). A
 * missing or null member is allowed where the Java type can be null (not for a primitive); other
 * types are left to JSON-B.
 */
final class PayloadShape {

    private PayloadShape() {
    }

    /** What does not fit, naming the path ({@code $.approved}), or empty. */
    static Optional<String> mismatch(JsonValue value, Type type) {
        return mismatch(value, type, "$");
    }

    private static Optional<String> mismatch(JsonValue value, Type type, String path) {
        Class<?> raw = raw(type);
        if (raw == null) {
            return Optional.empty();
        }
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            return raw.isPrimitive() ? Optional.of(path + " is " + (value == null ? "missing" : "null") + " but must be a " + raw.getName())
                    : Optional.empty();
        }
        JsonValue.ValueType json = value.getValueType();
        if (raw == boolean.class || raw == Boolean.class) {
            return expect(json == JsonValue.ValueType.TRUE || json == JsonValue.ValueType.FALSE, path, "true or false", value);
        }
        if (raw.isPrimitive() && raw != char.class || Number.class.isAssignableFrom(raw) && (raw.getName().startsWith("java.")
                || raw == BigDecimal.class || raw == BigInteger.class)) {
            return expect(json == JsonValue.ValueType.NUMBER, path, "a number", value);
        }
        if (raw == String.class || raw == char.class || raw == Character.class) {
            return expect(json == JsonValue.ValueType.STRING, path, "a string", value);
        }
        if (raw.isEnum()) {
            if (!(value instanceof JsonString s)) {
                return Optional.of(path + " must be one of " + constants(raw) + ", got " + value);
            }
            boolean known = Arrays.stream(raw.getEnumConstants()).anyMatch(c -> ((Enum<?>) c).name().equals(s.getString()));
            return known ? Optional.empty() : Optional.of(path + " must be one of " + constants(raw) + ", got " + value);
        }
        if (raw.isRecord()) {
            if (!(value instanceof JsonObject object)) {
                return Optional.of(path + " must be an object, got " + value);
            }
            for (RecordComponent rc : raw.getRecordComponents()) {
                String name = io.pgflowee.api.json.JsonCodec.propertyName(rc);
                Optional<String> inner = mismatch(object.get(name), rc.getGenericType(), path + "." + name);
                if (inner.isPresent()) {
                    return inner;
                }
            }
            return Optional.empty();
        }
        if (raw.isArray() || Collection.class.isAssignableFrom(raw)) {
            if (!(value instanceof JsonArray array)) {
                return Optional.of(path + " must be an array, got " + value);
            }
            Type element = raw.isArray() ? raw.getComponentType()
                    : type instanceof ParameterizedType p && p.getActualTypeArguments().length == 1 ? p.getActualTypeArguments()[0] : null;
            for (int i = 0; element != null && i < array.size(); i++) {
                Optional<String> inner = mismatch(array.get(i), element, path + "[" + i + "]");
                if (inner.isPresent()) {
                    return inner;
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> expect(boolean fits, String path, String what, JsonValue value) {
        return fits ? Optional.empty() : Optional.of(path + " must be " + what + ", got " + value);
    }

    private static String constants(Class<?> type) {
        return Arrays.toString(Arrays.stream(type.getEnumConstants()).map(c -> ((Enum<?>) c).name()).toArray());
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
            return c;
        }
        return null;
    }
}
