package io.pgflowee.web.console;

import java.util.Map;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

/**
 * JSON as the console shows it: on one line as PostgreSQL prints jsonb ({@link io.pgflowee.api.json.JsonbText}) ({@code {"greeting": "Hello,
 * Alice Smith!"}}) when that is at most {@value #ONE_LINE} characters, else indented by two spaces.
 */
final class JsonText {

    static final int ONE_LINE = 80;

    private JsonText() {
    }

    static String of(JsonValue value) {
        if (value == null) {
            return "";
        }
        String line = io.pgflowee.api.json.JsonbText.of(value);
        if (line.length() <= ONE_LINE) {
            return line;
        }
        StringBuilder b = new StringBuilder();
        indented(value, 0, b);
        return b.toString();
    }

    /** The most of one JSON value a console page shows. */
    static final int MAX_SHOWN = 4_000;

    /**
     * {@link #of(JsonValue)}, cut after {@value #MAX_SHOWN} characters with a note saying how long it
     * is and where to read it whole (a 10,000-element map's output would be a megabyte of page).
     */
    static String shown(JsonValue value) {
        String text = of(value);
        if (text.length() <= MAX_SHOWN) {
            return text;
        }
        int cut = text.lastIndexOf('\n', MAX_SHOWN);
        return text.substring(0, cut > MAX_SHOWN / 2 ? cut : MAX_SHOWN) + "\n… cut here: "
                + String.format(java.util.Locale.ROOT, "%,d", text.length()) + " characters in all (the REST API's run detail has it whole)";
    }

    private static void indented(JsonValue v, int depth, StringBuilder b) {
        String pad = "  ".repeat(depth + 1);
        switch (v.getValueType()) {
            case OBJECT -> {
                JsonObject o = (JsonObject) v;
                if (o.isEmpty()) {
                    b.append("{}");
                    return;
                }
                b.append("{\n");
                int i = 0;
                for (Map.Entry<String, JsonValue> e : o.entrySet()) {
                    b.append(pad).append(io.pgflowee.api.json.Jsonp.createValue(e.getKey())).append(": ");
                    indented(e.getValue(), depth + 1, b);
                    b.append(++i < o.size() ? ",\n" : "\n");
                }
                b.append("  ".repeat(depth)).append('}');
            }
            case ARRAY -> {
                JsonArray a = (JsonArray) v;
                if (a.isEmpty()) {
                    b.append("[]");
                    return;
                }
                b.append("[\n");
                for (int i = 0; i < a.size(); i++) {
                    b.append(pad);
                    indented(a.get(i), depth + 1, b);
                    b.append(i + 1 < a.size() ? ",\n" : "\n");
                }
                b.append("  ".repeat(depth)).append(']');
            }
            default -> b.append(v);
        }
    }
}
