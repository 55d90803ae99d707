package io.pgflowee.api.json;

import java.io.StringReader;
import java.lang.reflect.Type;

import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.stream.JsonParsingException;

/**
 * Maps step inputs and outputs between JSON and Java with JSON-B: records, POJOs, {@link JsonValue}s,
 * strings, numbers, booleans and lists. JSON {@code null} is Java {@code null} both ways; {@code 0},
 * {@code false} and {@code ""} stay what they are.
 */
public final class JsonCodec {

    private final Jsonb jsonb;

    public JsonCodec(Jsonb jsonb) {
        this.jsonb = jsonb;
    }

    /** A codec over a default JSON-B instance (Yasson in Payara). */
    public static JsonCodec create() {
        return new JsonCodec(JsonbBuilder.create());
    }

    /** Parses JSON text; a syntax error names the line, column and offset where it broke. */
    public static JsonValue parse(String json) {
        try (var parser = Jsonp.createParser(new StringReader(json))) {
            if (!parser.hasNext()) {
                throw new IllegalArgumentException("invalid JSON: there is no value");
            }
            parser.next();
            JsonValue value = parser.getValue();
            if (parser.hasNext()) {
                var at = parser.getLocation();
                throw new IllegalArgumentException("invalid JSON: unexpected content after the value at line " + at.getLineNumber()
                        + ", column " + at.getColumnNumber() + " (offset " + at.getStreamOffset() + ")");
            }
            return value;
        } catch (JsonParsingException e) {
            var at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNumber() + ", column " + at.getColumnNumber()
                    + " (offset " + at.getStreamOffset() + ")";
            throw new IllegalArgumentException("invalid JSON" + where + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // JsonException, and the parser's own limits (nesting deeper than 1,000 levels)
            throw new IllegalArgumentException("invalid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * {@code value} as {@code type}. JSON null (or a missing value) gives null. A {@link JsonValue}
     * target receives the value itself.
     */
    public Object decode(JsonValue value, Type type) {
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            return type == JsonValue.class ? JsonValue.NULL : null;
        }
        if (type instanceof Class<?> c && JsonValue.class.isAssignableFrom(c)) {
            if (!c.isInstance(value)) {
                throw new IllegalArgumentException("expected " + c.getSimpleName() + " but the JSON is a "
                        + value.getValueType().name().toLowerCase());
            }
            return value;
        }
        if (type == Object.class) {
            return value;
        }
        return jsonb.fromJson(value.toString(), type);
    }

    /** {@code value} as JSON text: null gives {@code null}, a {@link JsonValue} its own text. */
    public String encode(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof JsonValue json) {
            return json.toString();
        }
        return jsonb.toJson(value);
    }

    /** {@code value} as a {@link JsonValue}. */
    public JsonValue toJsonValue(Object value) {
        return value instanceof JsonValue json ? json : parse(encode(value));
    }

    /** The JSON property a record component maps to: its {@code @JsonbProperty} name, else its own name. */
    public static String propertyName(java.lang.reflect.RecordComponent component) {
        jakarta.json.bind.annotation.JsonbProperty named = component.getAccessor().getAnnotation(jakarta.json.bind.annotation.JsonbProperty.class);
        return named == null || named.value().isEmpty() ? component.getName() : named.value();
    }
}
