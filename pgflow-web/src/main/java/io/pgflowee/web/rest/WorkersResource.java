package io.pgflowee.web.rest;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.pgflowee.engine.query.WorkerQueries;
import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.Worker;
import jakarta.inject.Inject;
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
            schema = @Schema(type = SchemaType.ARRAY, implementation = Worker.class)))
    public String list() {
        return ApiJson.write(workers.workers().stream().map(Worker::of).toList());
    }
}
