package io.pgflowee.web.rest.json;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.control.Signals;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/** The body of POST /api/runs/signals: signals to send in one transaction, and the answer. */
public final class SignalBatch {

    private SignalBatch() {
    }

    /** One signal of the request. */
    @Schema(name = "SignalRequest", description = "A signal to a signal step of a run.")
    @jakarta.json.bind.annotation.JsonbPropertyOrder({"runId", "step", "payload"})
    public record Item(@Schema(description = "The run", example = "01936f4e-5a7b-7c3d-9e8f-0a1b2c3d4e5f") String runId,
                       @Schema(description = "The signal step's slug", example = "approval") String step,
                       @Schema(description = "The payload (any JSON; absent: {})") JsonValue payload) {
    }

    /** What became of each signal, in request order. */
    @Schema(name = "SignalResults", description = "What became of each signal, in the request's order (item counts from 1).")
    public record Results(List<ItemResult> results) {
    }

    /** What became of one signal. */
    @Schema(name = "SignalItemResult")
    @jakarta.json.bind.annotation.JsonbPropertyOrder({"item", "runId", "step", "result"})
    public record ItemResult(int item, String runId, String step,
                             @Schema(description = "delivered, buffered or ignored", example = "delivered") String result) {
    }

    /**
     * The signals of a request body: a JSON array of {@code {"runId", "step", "payload"}}; an
     * {@link IllegalArgumentException} names what is wrong and where (the item, counted from 1).
     */
    public static List<Signals.Signal> parse(String body) {
        JsonValue parsed;
        try {
            parsed = JsonCodec.parse(body == null ? "" : body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the body is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof JsonArray array)) {
            throw new IllegalArgumentException("the body must be a JSON array of {\"runId\", \"step\", \"payload\"}, got a JSON "
                    + parsed.getValueType().name().toLowerCase(java.util.Locale.ROOT));
        }
        List<Signals.Signal> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String at = "item " + (i + 1) + ": ";
            if (!(array.get(i) instanceof JsonObject o)) {
                throw new IllegalArgumentException(at + "must be an object {\"runId\", \"step\", \"payload\"}");
            }
            for (String key : o.keySet()) {
                if (!List.of("runId", "step", "payload").contains(key)) {
                    throw new IllegalArgumentException(at + "unknown field \"" + key + "\" (runId, step, payload)");
                }
            }
            if (!(o.get("runId") instanceof JsonString runId)) {
                throw new IllegalArgumentException(at + "runId is missing or not a string");
            }
            UUID run;
            try {
                run = UUID.fromString(runId.getString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + "runId '" + runId.getString() + "' is not a UUID");
            }
            if (!(o.get("step") instanceof JsonString step) || step.getString().isBlank()) {
                throw new IllegalArgumentException(at + "step is missing or not a string");
            }
            JsonValue payload = o.get("payload");
            out.add(new Signals.Signal(run, step.getString(), payload == null ? "{}" : payload.toString()));
        }
        return out;
    }
}
