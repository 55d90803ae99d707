package io.pgflowee.launcher;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/**
 * What a DOWN readiness answer says is wrong, as lines a user can act on, each told once while the
 * launcher waits: a flow that differs from the database or is missing ({@code pgflow-flows}), an
 * unreachable database or unapplied schema ({@code pgflow-database}). The answer's own messages
 * name the fix; the launcher prints them as they appear instead of after its timeout.
 */
final class ReadinessReasons {

    private final Consumer<String> out;
    private final Set<String> told = new LinkedHashSet<>();

    ReadinessReasons(Consumer<String> out) {
        this.out = out;
    }

    /** Tells each reason of this readiness answer that was not told before. */
    void seen(String body) {
        for (String reason : reasons(body)) {
            if (told.add(reason)) {
                out.accept(reason);
            }
        }
    }

    /** The reasons told so far, in order. */
    List<String> told() {
        return List.copyOf(told);
    }

    /**
     * The reasons in a readiness answer: for each DOWN check, its data entries that say what is wrong
     * (a flow's state other than verified or compiled; a reason). Empty for an answer that is not
     * the health JSON (the server still starting).
     */
    static List<String> reasons(String body) {
        List<String> reasons = new ArrayList<>();
        JsonObject answer;
        try (var reader = jakarta.json.Json.createReader(new StringReader(body == null ? "" : body))) {
            answer = reader.readObject();
        } catch (RuntimeException e) {
            return reasons;
        }
        JsonValue checks = answer.get("checks");
        if (checks == null || checks.getValueType() != JsonValue.ValueType.ARRAY) {
            return reasons;
        }
        for (JsonValue c : checks.asJsonArray()) {
            if (c.getValueType() != JsonValue.ValueType.OBJECT || !"DOWN".equals(string(c.asJsonObject().get("status")))) {
                continue;
            }
            JsonObject check = c.asJsonObject();
            JsonValue data = check.get("data");
            if (data == null || data.getValueType() != JsonValue.ValueType.OBJECT) {
                reasons.add(string(check.get("name")) + " is DOWN");
                continue;
            }
            for (Map.Entry<String, JsonValue> e : data.asJsonObject().entrySet()) {
                String value = string(e.getValue());
                if (e.getKey().startsWith("flow.")) {
                    // "<state>: <message>" for a flow that does not run; the message names the fix
                    int colon = value.indexOf(": ");
                    String state = colon < 0 ? value : value.substring(0, colon);
                    String message = colon < 0 ? "flow " + e.getKey().substring(5) + " is " + value : value.substring(colon + 2);
                    switch (state) {
                        // unchecked: waiting for the schema, whose own reason the database check gives
                        case "verified", "compiled", "unchecked" -> { }
                        case "missing" -> reasons.add("PGFLOW-022 " + message);
                        default -> reasons.add("PGFLOW-023 " + message);
                    }
                } else if (e.getKey().equals("reason")) {
                    reasons.add(string(check.get("name")) + ": " + value);
                }
            }
        }
        return reasons;
    }

    /** Whether a flow's readiness value ({@code "verified"}, {@code "mismatch: ..."}) says it runs (or waits for the schema). */
    static boolean runs(String value) {
        String state = value.contains(": ") ? value.substring(0, value.indexOf(": ")) : value;
        return state.equals("verified") || state.equals("compiled") || state.equals("unchecked");
    }

    /** Each flow's readiness value by slug ({@code "greet_user" -> "verified"}), sorted; empty when the answer lists none. */
    static Map<String, String> flowStates(String body) {
        Map<String, String> states = new java.util.TreeMap<>();
        for (JsonObject data : checkData(body)) {
            data.forEach((key, value) -> {
                if (key.startsWith("flow.")) {
                    states.put(key.substring(5), string(value));
                }
            });
        }
        return states;
    }

    /** The deployment's build id in a readiness answer ({@code pgflow-flows} data {@code "build"}), or null. */
    static String build(String body) {
        return checkData(body).stream().filter(data -> data.containsKey("build")).findFirst()
                .map(data -> string(data.get("build"))).orElse(null);
    }

    /** The {@code data} object of each check of a readiness answer, in order; empty for an answer that is not the health JSON. */
    private static List<JsonObject> checkData(String body) {
        List<JsonObject> all = new ArrayList<>();
        try (var reader = jakarta.json.Json.createReader(new StringReader(body == null ? "" : body))) {
            JsonValue checks = reader.readObject().get("checks");
            if (checks != null && checks.getValueType() == JsonValue.ValueType.ARRAY) {
                for (JsonValue c : checks.asJsonArray()) {
                    JsonValue data = c.getValueType() == JsonValue.ValueType.OBJECT ? c.asJsonObject().get("data") : null;
                    if (data != null && data.getValueType() == JsonValue.ValueType.OBJECT) {
                        all.add(data.asJsonObject());
                    }
                }
            }
        } catch (RuntimeException e) {
            return List.of();
        }
        return all;
    }

    /**
     * Each flow's verdict in a readiness answer ({@code pgflow-flows}), as {@code "slug state"} joined
     * by commas ({@code "cart_invoice verified, my_flow compiled"}); a flow that does not run shows
     * its state and "not running" (its message is told on a line of its own). Empty when the answer
     * lists no flow.
     */
    static String flowVerdicts(String body) {
        List<String> verdicts = new ArrayList<>();
        flowStates(body).forEach((slug, value) -> verdicts.add(slug + " " + (runs(value) ? value
                : (value.contains(": ") ? value.substring(0, value.indexOf(": ")) : value) + " (NOT RUNNING)")));
        return String.join(", ", verdicts);
    }

    private static String string(JsonValue v) {
        return v instanceof JsonString s ? s.getString() : String.valueOf(v);
    }
}
