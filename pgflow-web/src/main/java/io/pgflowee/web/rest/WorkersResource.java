package io.pgflowee.web.rest;

import io.pgflowee.engine.model.WorkerRecord;
import io.pgflowee.engine.query.WorkerQueries;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/workers}: every worker, live ones first, with the age of its last heartbeat. */
@Path("workers")
public class WorkersResource {

    @Inject
    WorkerQueries workers;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public String list() {
        JsonArrayBuilder out = Json.createArrayBuilder();
        for (WorkerQueries.WorkerView view : workers.workers()) {
            WorkerRecord w = view.worker();
            JsonObjectBuilder json = Json.createObjectBuilder().add("workerId", w.workerId().toString()).add("flowSlug", w.queueName())
                    .add("server", w.functionName()).add("live", view.live()).add("heartbeatAgeMs", view.heartbeatAge().toMillis());
            RunJson.time(json, "startedAt", w.startedAt());
            RunJson.time(json, "lastHeartbeat", w.lastHeartbeat());
            RunJson.time(json, "stoppedAt", w.stoppedAt());
            RunJson.time(json, "deprecatedAt", w.deprecatedAt());
            out.add(json);
        }
        return out.build().toString();
    }
}
