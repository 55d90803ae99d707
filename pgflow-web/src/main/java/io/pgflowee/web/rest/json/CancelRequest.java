package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.api.json.JsonCodec;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/** The optional body of POST /api/runs/{id}/cancel. */
@Schema(name = "CancelRequest", description = "Why the run is cancelled (optional; an empty body is the same as no reason).")
public record CancelRequest(@Schema(description = "At most 1000 characters; kept as the run's cancelReason", example = "customer withdrew")
                            String reason) {

    /** The most a reason may hold. */
    public static final int MAX_REASON = 1000;

    /** The body, empty or {@code {"reason": "..."}}; an {@link IllegalArgumentException} names what is wrong. */
    public static CancelRequest parse(String body) {
        if (body == null || body.isBlank()) {
            return new CancelRequest(null);
        }
        String shape = "the body must be empty or {\"reason\": \"...\"}";
        JsonObject json;
        try {
            json = JsonCodec.parse(body).asJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(shape);
        }
        for (String key : json.keySet()) {
            if (!key.equals("reason")) {
                throw new IllegalArgumentException("unknown field \"" + key + "\": " + shape);
            }
        }
        JsonValue value = json.get("reason");
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            return new CancelRequest(null);
        }
        if (!(value instanceof JsonString text)) {
            throw new IllegalArgumentException(shape);
        }
        if (text.getString().length() > MAX_REASON) {
            throw new IllegalArgumentException("the reason has " + text.getString().length() + " characters; at most " + MAX_REASON);
        }
        return new CancelRequest(text.getString());
    }
}
