package io.pgflowee.web.rest.json;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * The bodies of the schedule endpoints. Each {@code parse} names what is wrong in an
 * {@link IllegalArgumentException} (the resource answers 400 with it); cron, zone and catch-up
 * values are the engine's to check (422, its message).
 */
public final class ScheduleRequests {

    private ScheduleRequests() {
    }

    /** POST /api/schedules. */
    @Schema(name = "CreateScheduleRequest", description = "A new schedule; the same definition again returns it, another is 409.")
    @JsonbNillable
    @JsonbPropertyOrder({"name", "flowSlug", "cron", "input", "timeZone", "catchUp"})
    public record Create(@Schema(description = "1 to 100 letters, digits, _ . -; unique across flows", example = "nightly_eu") String name,
                         @Schema(example = "daily_report") String flowSlug,
                         @Schema(description = "Five standard fields or a shortcut", example = "0 3 * * *") String cron,
                         @Schema(description = "Each run's input (default {})", example = "{\"region\": \"eu\"}", nullable = true) JsonValue input,
                         @Schema(description = "Default UTC", example = "Europe/Berlin", nullable = true) String timeZone,
                         @Schema(description = "latest (default), all or none", example = "latest", nullable = true) String catchUp) {

        public static Create parse(String body) {
            String shape = "the body must be {\"name\": text, \"flowSlug\": text, \"cron\": text, \"input\": JSON (optional),"
                    + " \"timeZone\": text (optional), \"catchUp\": \"latest\", \"all\" or \"none\" (optional)}";
            JsonObject json = LimitRequests.object(body, shape, Set.of("name", "flowSlug", "cron"), Set.of("name", "flowSlug", "cron", "input", "timeZone", "catchUp"));
            return new Create(text(json, "name", shape), text(json, "flowSlug", shape), text(json, "cron", shape), json.get("input"),
                    text(json, "timeZone", shape), text(json, "catchUp", shape));
        }
    }

    /** PATCH /api/schedules/{name}: the fields to change (at least one). */
    @Schema(name = "UpdateScheduleRequest", description = "The fields to change; the others keep their values. A new cron or time zone moves"
            + " the next firing to the first after now.")
    @JsonbNillable
    @JsonbPropertyOrder({"cron", "input", "timeZone", "catchUp"})
    public record Update(@Schema(example = "30 2 * * *", nullable = true) String cron, @Schema(nullable = true) JsonValue input,
                         @Schema(nullable = true) String timeZone, @Schema(nullable = true) String catchUp) {

        public static Update parse(String body) {
            String shape = "the body must be an object with one or more of \"cron\", \"input\", \"timeZone\", \"catchUp\"";
            JsonObject json = LimitRequests.object(body, shape, Set.of(), Set.of("cron", "input", "timeZone", "catchUp"));
            if (json.isEmpty()) {
                throw new IllegalArgumentException(shape + "; got {}");
            }
            JsonValue input = json.get("input");
            if (input != null && input.getValueType() == JsonValue.ValueType.NULL) {
                throw new IllegalArgumentException(shape + "; input cannot be null (leave it out to keep it, {} for none)");
            }
            return new Update(text(json, "cron", shape), input, text(json, "timeZone", shape), text(json, "catchUp", shape));
        }
    }

    /** POST /api/schedules/{name}/backfill. */
    @Schema(name = "BackfillRequest", description = "One run per firing instant in [from, to], each once (at most 10,000).")
    @JsonbPropertyOrder({"from", "to"})
    public record Backfill(@Schema(description = "ISO-8601 with offset", example = "2026-11-01T00:00:00Z") String from,
                           @Schema(description = "ISO-8601 with offset", example = "2026-11-30T23:59:59Z") String to) {

        public static OffsetDateTime[] parse(String body) {
            String shape = "the body must be {\"from\": ISO-8601 instant, \"to\": ISO-8601 instant}";
            JsonObject json = LimitRequests.object(body, shape, Set.of("from", "to"), Set.of("from", "to"));
            return new OffsetDateTime[] {instant(json, "from", shape), instant(json, "to", shape)};
        }
    }

    /** The answer of a backfill. */
    @Schema(name = "BackfillResult", description = "How many runs the backfill started (firings started before are not counted).")
    @JsonbPropertyOrder({"schedule", "started"})
    public record BackfillResult(String schedule, int started) {
    }

    private static OffsetDateTime instant(JsonObject json, String field, String shape) {
        String text = text(json, field, shape);
        try {
            return OffsetDateTime.parse(text);
        } catch (DateTimeParseException | NullPointerException e) {
            throw new IllegalArgumentException(shape + "; " + field + " \"" + text + "\" is not an ISO-8601 instant with an offset"
                    + " (2026-11-01T00:00:00Z)");
        }
    }

    /** A text field, null when absent or JSON null. */
    private static String text(JsonObject json, String field, String shape) {
        JsonValue value = json.get(field);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (value instanceof JsonString s) {
            return s.getString();
        }
        throw new IllegalArgumentException(shape + "; " + field + " must be text, got " + value);
    }
}
