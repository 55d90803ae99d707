package io.pgflowee.web.rest.json;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.model.WorkerRecord;
import io.pgflowee.engine.query.WorkerQueries;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** A worker of one flow on one server. */
@Schema(name = "Worker", description = "A worker of one flow on one server.")
@JsonbNillable
@JsonbPropertyOrder({"workerId", "flowSlug", "server", "live", "heartbeatAgeMs", "startedAt", "lastHeartbeat", "stoppedAt", "deprecatedAt"})
public record Worker(String workerId, String flowSlug, @Schema(description = "The server (host and process)") String server,
                     @Schema(description = "Not stopped and a heartbeat within the last 15 s") boolean live, long heartbeatAgeMs,
                     String startedAt, String lastHeartbeat, String stoppedAt, String deprecatedAt) {

    public static Worker of(WorkerQueries.WorkerView view) {
        WorkerRecord w = view.worker();
        return new Worker(w.workerId().toString(), w.queueName(), w.functionName(), view.live(), view.heartbeatAge().toMillis(),
                ApiJson.time(w.startedAt()), ApiJson.time(w.lastHeartbeat()), ApiJson.time(w.stoppedAt()), ApiJson.time(w.deprecatedAt()));
    }
}
