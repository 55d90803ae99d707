package io.pgflowee.web.rest;

import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

import io.pgflowee.engine.runs.RunService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code GET /api/runs/{id}}: the run and its step states with their outputs ({@code get_run_with_states}). */
@Path("runs")
public class RunsResource {

    @Inject
    RunService runs;

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response get(@PathParam("id") String id) throws SQLException {
        UUID runId;
        try {
            runId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid run id", "'" + id + "' is not a UUID", "/api/runs/" + id, null);
        }
        Optional<String> run = runs.get(runId);
        return run.map(r -> Response.ok(r).build())
                .orElseGet(() -> Problems.problem(404, "Unknown run", "Run not found: " + runId, "/api/runs/" + id, null));
    }
}
