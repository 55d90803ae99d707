package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.api.json.JsonCodec;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;

/** The body of POST /api/flows/{slug}/concurrency. */
@Schema(name = "ConcurrencyRequest", description = "The flow's limit of tasks running at once across all workers, or null for none.")
@JsonbNillable
public record ConcurrencyRequest(@Schema(description = "1 or more, or null to remove the limit", example = "5", nullable = true)
                                 Integer maxRunning) {

    /** The body, {@code {"maxRunning": n}} or {@code {"maxRunning": null}}; an {@link IllegalArgumentException} names what is wrong. */
    public static ConcurrencyRequest parse(String body) {
        String shape = "the body must be {\"maxRunning\": <a whole number, 1 or more>} or {\"maxRunning\": null}";
        JsonObject json;
        try {
            json = JsonCodec.parse(body == null ? "" : body).asJsonObject();
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException(shape);
        }
        if (!json.keySet().equals(java.util.Set.of("maxRunning"))) {
            throw new IllegalArgumentException(shape + "; got the fields " + json.keySet());
        }
        JsonValue value = json.get("maxRunning");
        if (value.getValueType() == JsonValue.ValueType.NULL) {
            return new ConcurrencyRequest(null);
        }
        if (value instanceof JsonNumber n && n.isIntegral()) {
            try {
                return new ConcurrencyRequest(n.intValueExact());
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(shape);
            }
        }
        throw new IllegalArgumentException(shape + "; got maxRunning " + value);
    }
}
