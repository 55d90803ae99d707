package io.pgflowee.web.rest.json;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.control.EngineOperations;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** The answer to a batch start (POST /api/flows/{slug}/runs/batch). */
@Schema(name = "StartedRuns", description = "POST /api/flows/{slug}/runs/batch: the runs, in input order.")
@JsonbPropertyOrder({"flowSlug", "created", "runs"})
public record StartedRuns(@Schema(example = "greet_user") String flowSlug,
                          @Schema(description = "How many runs this request started (the rest were started by an earlier request with"
                                  + " the same Idempotency-Key)") int created,
                          List<Item> runs) {

    public static StartedRuns of(String flowSlug, List<EngineOperations.StartedItem> started) {
        List<Item> runs = started.stream().map(i -> new Item(i.item(), i.runId().toString(), i.created())).toList();
        return new StartedRuns(flowSlug, (int) runs.stream().filter(Item::created).count(), runs);
    }

    /** One input of a batch. */
    @Schema(name = "StartedItem", description = "One input of a batch: its position (from 1), its run, whether this request started it.")
    @JsonbPropertyOrder({"item", "runId", "created"})
    public record Item(int item, String runId, boolean created) {
    }
}
