package io.pgflowee.api.json;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/**
 * JSON text exactly as PostgreSQL prints a {@code jsonb} value: object keys ordered shortest
 * first, then bytewise; {@code ", "} between elements and {@code ": "} after keys. Used where Java
 * must produce the same sentence as SQL (shape differences quote patterns this way).
 */
public final class JsonbText {

    private static final Comparator<String> JSONB_KEY_ORDER = Comparator
            .comparingInt((String k) -> k.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
            .thenComparing((a, b) -> java.util.Arrays.compareUnsigned(
                    a.getBytes(java.nio.charset.StandardCharsets.UTF_8), b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));

    private JsonbText() {
    }

    /** {@code value} printed as PostgreSQL prints it as jsonb. */
    public static String of(JsonValue value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(JsonValue value, StringBuilder out) {
        switch (value.getValueType()) {
            case OBJECT -> {
                JsonObject o = (JsonObject) value;
                List<Map.Entry<String, JsonValue>> entries = new ArrayList<>(o.entrySet());
                entries.sort(Map.Entry.comparingByKey(JSONB_KEY_ORDER));
                out.append('{');
                for (int i = 0; i < entries.size(); i++) {
                    if (i > 0) {
                        out.append(", ");
                    }
                    string(entries.get(i).getKey(), out);
                    out.append(": ");
                    write(entries.get(i).getValue(), out);
                }
                out.append('}');
            }
            case ARRAY -> {
                JsonArray a = (JsonArray) value;
                out.append('[');
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) {
                        out.append(", ");
                    }
                    write(a.get(i), out);
                }
                out.append(']');
            }
            case STRING -> string(((JsonString) value).getString(), out);
            case NUMBER -> {
                BigDecimal n = ((JsonNumber) value).bigDecimalValue();
                out.append(n.scale() < 0 ? n.setScale(0).toPlainString() : n.toPlainString());
            }
            case TRUE -> out.append("true");
            case FALSE -> out.append("false");
            case NULL -> out.append("null");
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
