package io.pgflowee.web.rest.json;

import java.math.BigDecimal;
import java.util.Set;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.api.json.JsonCodec;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * The bodies of the per-key control endpoints: POST /api/flows/{slug}/key-concurrency,
 * /api/flows/{slug}/rate-limit and /api/runs/{id}/priority. Each {@code parse} names what is wrong
 * in an {@link IllegalArgumentException} (the resource answers 400 with it); the ranges are the
 * engine's to check (422).
 */
public final class LimitRequests {

    private LimitRequests() {
    }

    /** {@code {"maxRunningPerKey": n}} or {@code {"maxRunningPerKey": null}}. */
    @Schema(name = "KeyConcurrencyRequest", description = "At most this many tasks of one concurrency key at once, or null for no limit.")
    @JsonbNillable
    public record KeyConcurrency(@Schema(description = "1 or more, or null to remove the limit", example = "2", nullable = true)
                                 Integer maxRunningPerKey) {

        public static KeyConcurrency parse(String body) {
            String shape = "the body must be {\"maxRunningPerKey\": <a whole number, 1 or more>} or {\"maxRunningPerKey\": null}";
            JsonObject json = object(body, shape, Set.of("maxRunningPerKey"), Set.of("maxRunningPerKey"));
            return new KeyConcurrency(integer(json, "maxRunningPerKey", shape));
        }
    }

    /** {@code {"perSecond": 20, "burst": 5, "perKey": false}}; {@code {"perSecond": null}} removes the limit. */
    @Schema(name = "RateLimitRequest", description = "A token bucket: at most perSecond task starts a second, burst at once; per key or for"
            + " the whole flow. perSecond null removes the limit.")
    @JsonbNillable
    @JsonbPropertyOrder({"perSecond", "burst", "perKey"})
    public record RateLimit(@Schema(description = "Tokens a second, above 0 (fractions allowed), or null to remove the limit", example = "20",
                                    nullable = true) BigDecimal perSecond,
                            @Schema(description = "The bucket's size, 1 or more; default: perSecond rounded up", example = "5", nullable = true)
                            Integer burst,
                            @Schema(description = "A bucket per concurrency key (runs without a key are then not limited); default false")
                            boolean perKey) {

        public static RateLimit parse(String body) {
            String shape = "the body must be {\"perSecond\": <a number above 0, or null>, \"burst\": <1 or more, optional>,"
                    + " \"perKey\": <true or false, optional>}";
            JsonObject json = object(body, shape, Set.of("perSecond"), Set.of("perSecond", "burst", "perKey"));
            JsonValue rate = json.get("perSecond");
            BigDecimal perSecond;
            if (rate.getValueType() == JsonValue.ValueType.NULL) {
                perSecond = null;
            } else if (rate instanceof JsonNumber n) {
                perSecond = n.bigDecimalValue();
            } else {
                throw new IllegalArgumentException(shape + "; got perSecond " + rate);
            }
            Integer burst = json.containsKey("burst") ? integer(json, "burst", shape) : null;
            JsonValue perKey = json.getOrDefault("perKey", JsonValue.FALSE);
            if (perKey != JsonValue.TRUE && perKey != JsonValue.FALSE) {
                throw new IllegalArgumentException(shape + "; got perKey " + perKey);
            }
            return new RateLimit(perSecond, burst, perKey == JsonValue.TRUE);
        }
    }

    /** {@code {"priority": 10}}. */
    @Schema(name = "PriorityRequest", description = "The run's new priority.")
    public record Priority(@Schema(description = "-100..100, higher claimed first", example = "50") int priority) {

        public static Priority parse(String body) {
            String shape = "the body must be {\"priority\": <a whole number from -100 to 100>}";
            JsonObject json = object(body, shape, Set.of("priority"), Set.of("priority"));
            Integer value = integer(json, "priority", shape);
            if (value == null) {
                throw new IllegalArgumentException(shape + "; got priority null");
            }
            return new Priority(value);
        }
    }

    /** The body as an object with the required fields and no others (also for {@link ScheduleRequests}). */
    static JsonObject object(String body, String shape, Set<String> required, Set<String> allowed) {
        JsonObject json;
        try {
            json = JsonCodec.parse(body == null ? "" : body).asJsonObject();
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException(shape);
        }
        if (!json.keySet().containsAll(required) || !allowed.containsAll(json.keySet())) {
            throw new IllegalArgumentException(shape + "; got the fields " + json.keySet());
        }
        return json;
    }

    /** A whole number field (null for JSON null). */
    private static Integer integer(JsonObject json, String field, String shape) {
        JsonValue value = json.get(field);
        if (value.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (value instanceof JsonNumber n && n.isIntegral()) {
            try {
                return n.intValueExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(shape + "; got " + field + " " + value);
            }
        }
        throw new IllegalArgumentException(shape + "; got " + field + " " + value);
    }
}
