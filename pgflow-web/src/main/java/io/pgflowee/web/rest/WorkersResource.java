package io.pgflowee.web.rest;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import io.pgflowee.api.json.Jsonp;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.pgflowee.engine.model.WorkerRecord;
import io.pgflowee.engine.query.WorkerQueries;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/workers}: every worker, live ones first, with the age of its last heartbeat. */
@Path("workers")
@Tag(name = "Workers")
public class WorkersResource {

    @Inject
    WorkerQueries workers;

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "listWorkers", summary = "List workers", description = "Every worker of every server, live ones first.")
    @APIResponse(responseCode = "200", description = "The workers", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(type = SchemaType.ARRAY, implementation = ApiSchemas.Worker.class)))
    public String list() {
        JsonArrayBuilder out = Jsonp.createArrayBuilder();
        for (WorkerQueries.WorkerView view : workers.workers()) {
            WorkerRecord w = view.worker();
            JsonObjectBuilder json = Jsonp.createObjectBuilder().add("workerId", w.workerId().toString()).add("flowSlug", w.queueName())
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
