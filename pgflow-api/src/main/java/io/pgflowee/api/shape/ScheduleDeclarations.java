package io.pgflowee.api.shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Schedule;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.api.json.JsonbText;
import io.pgflowee.api.json.Jsonp;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

/**
 * The schedules a flow declares, as {@code pgflow.apply_flow_schedules} takes them (a JSON array of
 * {@code {"name", "cron", "input", "time_zone", "catch_up"}}), and their differences from the
 * schedules in the database (the shape check's report: informational, a schedule never stops a
 * flow from running).
 */
public final class ScheduleDeclarations {

    /** A schedule as the database has it (whether it is paused is no difference, so not here). */
    public record Stored(String name, String flowSlug, String cron, String inputJson, String timeZone, String catchUp) {
    }

    private ScheduleDeclarations() {
    }

    /** The declarations of {@code flow}, inputs encoded with {@code codec}; {@code []} when it declares none. */
    public static JsonArray of(Flow<?> flow, JsonCodec codec) {
        JsonArrayBuilder array = Jsonp.createArrayBuilder();
        for (Schedule s : flow.schedules()) {
            JsonValue input;
            try {
                input = s.input() == null ? JsonValue.EMPTY_JSON_OBJECT : JsonCodec.parse(codec.encode(s.input()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("Flow \"" + flow.slug() + "\", schedule \"" + s.name() + "\": the input does not encode to JSON: "
                        + e.getMessage(), e);
            }
            array.add(Jsonp.createObjectBuilder().add("name", s.name()).add("cron", s.cron()).add("input", input)
                    .add("time_zone", s.timeZone()).add("catch_up", s.catchUp().sqlValue()));
        }
        return array.build();
    }

    /**
     * How the database's schedules differ from {@code declared} (from {@link #of}), one sentence
     * each, first = Java, second = database; empty when they agree. {@code stored} holds the
     * database's schedules of the declared names, by name.
     */
    public static List<String> differences(String flowSlug, JsonArray declared, Map<String, Stored> stored) {
        List<String> diffs = new ArrayList<>();
        for (JsonValue value : declared) {
            JsonObject d = value.asJsonObject();
            String name = d.getString("name");
            Stored s = stored.get(name);
            if (s == null) {
                diffs.add("schedule '" + name + "' is declared but not in the database (the flow's compiled changelog creates it at the next migration)");
                continue;
            }
            if (!flowSlug.equals(s.flowSlug())) {
                diffs.add("schedule '" + name + "' is declared, but the database's schedule of that name belongs to flow '" + s.flowSlug() + "'");
                continue;
            }
            List<String> parts = new ArrayList<>();
            if (!d.getString("cron").equals(s.cron())) {
                parts.add("cron '" + d.getString("cron") + "' vs '" + s.cron() + "'");
            }
            JsonValue input = d.get("input");
            JsonValue storedInput = s.inputJson() == null ? JsonValue.NULL : JsonCodec.parse(s.inputJson());
            if (!Objects.equals(input, storedInput)) {
                parts.add("input " + JsonbText.of(input) + " vs " + JsonbText.of(storedInput));
            }
            if (!d.getString("time_zone").equals(s.timeZone())) {
                parts.add("time zone " + d.getString("time_zone") + " vs " + s.timeZone());
            }
            if (!d.getString("catch_up").equals(s.catchUp())) {
                parts.add("catch_up " + d.getString("catch_up") + " vs " + s.catchUp());
            }
            if (!parts.isEmpty()) {
                diffs.add("schedule '" + name + "' differs from its declaration: " + String.join(", ", parts)
                        + " (first = Java, second = database; a change made at run time stays until the declaration changes)");
            }
        }
        return diffs;
    }
}
