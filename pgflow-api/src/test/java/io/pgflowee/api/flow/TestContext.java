package io.pgflowee.api.flow;

import java.time.Instant;
import java.util.UUID;

import io.pgflowee.api.json.JsonCodec;
import jakarta.json.JsonValue;

/** A task context for running handlers outside a worker. */
public record TestContext(String flowSlug, UUID runId, String stepSlug, int taskIndex, int attempt,
                          JsonValue flowInput, Instant deadline, boolean isCancelled) implements TaskContext {

    public static TestContext of(String flowSlug, String stepSlug, int taskIndex, String flowInput) {
        return new TestContext(flowSlug, UUID.fromString("00000000-0000-0000-0000-000000000001"), stepSlug, taskIndex, 1,
                JsonCodec.parse(flowInput), Instant.now().plusSeconds(60), false);
    }

    @Override
    public <T> T flowInput(Class<T> type) {
        return type.cast(JsonCodec.create().decode(flowInput, type));
    }
}
