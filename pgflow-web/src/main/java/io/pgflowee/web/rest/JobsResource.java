package io.pgflowee.web.rest;

import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.JobExecution;
import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.jobs.JobService;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/**
 * {@code /api/jobs}: the engine's batch jobs (Jakarta Batch), admin role only: start with
 * parameters (or upload a backfill file), see progress, stop, restart from the last checkpoint.
 */
@Path("jobs")
@org.eclipse.microprofile.openapi.annotations.tags.Tag(name = "Jobs", description = "Batch jobs: backfill, bulk retry or cancel, prune (admin)")
@RequestScoped
public class JobsResource {

    @Inject
    JobService jobs;

    @Context
    UriInfo uri;

    /** Where uploaded backfill files are kept ({@code pgflow.jobs.uploadDir}); a restarted job reads the same file. */
    @Inject
    @ConfigProperty(name = "pgflow.jobs.uploadDir")
    java.util.Optional<String> uploadDir;

    @RolesAllowed(Role.Name.ADMIN)
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "listJobExecutions", summary = "The latest batch job executions",
            description = "Newest first: job, status, parameters, times. Admin.")
    @APIResponse(responseCode = "200", description = "Executions", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = JobExecution.Page.class)))
    @APIResponse(responseCode = "403", description = "Not an admin")
    public String list(@Parameter(description = "At most this many (1-200)", example = "20") @QueryParam("limit") Integer limit) {
        int max = limit == null ? 20 : limit;
        if (max < 1 || max > 200) {
            throw new WebApplicationException(Problems.problem(400, "Invalid limit", "limit must be between 1 and 200, got " + max,
                    "/api/jobs", null));
        }
        return ApiJson.write(JobExecution.Page.of(jobs.recent(max)));
    }

    @RolesAllowed(Role.Name.ADMIN)
    @GET
    @Path("{executionId}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getJobExecution", summary = "A batch job execution with its progress",
            description = "Status, parameters, each step's counts (READ_COUNT, WRITE_COUNT, PROCESS_SKIP_COUNT, COMMIT_COUNT...) and"
                    + " the items it skipped, with their line or key and reason. Admin.")
    @APIResponse(responseCode = "200", description = "The execution", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = JobExecution.class)))
    @APIResponse(responseCode = "403", description = "Not an admin")
    @APIResponse(responseCode = "404", description = "No such execution")
    public String get(@Parameter(description = "The execution id", required = true) @PathParam("executionId") String executionId) {
        String instance = "/api/jobs/" + executionId;
        return jobs.execution(id(executionId, instance)).map(e -> ApiJson.write(JobExecution.of(e))).orElseThrow(() -> new WebApplicationException(
                Problems.problem(404, "Unknown job execution", "no execution " + executionId + " of the pgflow jobs", instance, null)));
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{job}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "startJob", summary = "Start a batch job",
            description = "The body is the job's parameters, for pgflow-backfill: flow, and path (a CSV or JSON-lines file on the"
                    + " server) or sql (a read-only query returning key and input); format, chunkSize, skipLimit. Admin.")
    @org.eclipse.microprofile.openapi.annotations.parameters.RequestBody(description = "The job's parameters (an object of names to"
            + " values)", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type =
            org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT), examples = @org.eclipse.microprofile.openapi.annotations.media.ExampleObject(
            name = "backfill", value = "{\"flow\": \"greet_user\", \"path\": \"/data/users.csv\"}")))
    @APIResponse(responseCode = "202", description = "Started; Location names the execution", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = JobExecution.class)))
    @APIResponse(responseCode = "400", description = "A parameter is missing or wrong (the detail names it)")
    @APIResponse(responseCode = "403", description = "Not an admin")
    public Response start(@Parameter(description = "The job", required = true, example = "pgflow-backfill") @PathParam("job") String job,
                          String body) {
        String instance = "/api/jobs/" + job;
        JsonValue parsed;
        try {
            parsed = JsonCodec.parse(body == null || body.isBlank() ? "{}" : body);
        } catch (IllegalArgumentException e) {
            throw new WebApplicationException(Problems.problem(400, "Invalid JSON", e.getMessage(), instance, null));
        }
        if (parsed.getValueType() != JsonValue.ValueType.OBJECT) {
            throw new WebApplicationException(Problems.problem(400, "Invalid parameters", "the body must be a JSON object of parameters",
                    instance, null));
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (var e : ((JsonObject) parsed).entrySet()) {
            params.put(e.getKey(), e.getValue() instanceof jakarta.json.JsonString s ? s.getString() : e.getValue().toString());
        }
        return started(job, params, instance);
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("pgflow-backfill/upload")
    @Consumes({"text/csv", "application/x-ndjson"})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "uploadBackfill", summary = "Start a backfill from an uploaded file",
            description = "The body is a CSV file (text/csv, a header line naming the fields) or JSON lines (application/x-ndjson);"
                    + " it is kept on the server (pgflow.jobs.uploadDir) so a restart reads the same file. Up to pgflow.api.maxBodyBytes;"
                    + " larger files by path. Admin.")
    @org.eclipse.microprofile.openapi.annotations.parameters.RequestBody(description = "The file", required = true, content = {
            @Content(mediaType = "text/csv", schema = @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING)),
            @Content(mediaType = "application/x-ndjson", schema = @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING))})
    @APIResponse(responseCode = "202", description = "Started; Location names the execution", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = JobExecution.class)))
    @APIResponse(responseCode = "400", description = "A parameter is missing or wrong")
    @APIResponse(responseCode = "403", description = "Not an admin")
    public Response upload(@Parameter(description = "The flow to start runs of", required = true, example = "greet_user") @QueryParam("flow") String flow,
                           @Parameter(description = "Items per chunk (1-10000, default 500)") @QueryParam("chunkSize") String chunkSize,
                           @Parameter(description = "How many invalid items may be skipped (default 100)") @QueryParam("skipLimit") String skipLimit,
                           @Context jakarta.ws.rs.core.HttpHeaders headers, InputStream body) throws IOException {
        String instance = "/api/jobs/pgflow-backfill/upload";
        boolean csv = headers.getMediaType() != null && headers.getMediaType().getSubtype().equals("csv");
        java.nio.file.Path dir = java.nio.file.Path.of(uploadDir.orElse(System.getProperty("java.io.tmpdir") + "/pgflow-uploads"));
        Files.createDirectories(dir);
        java.nio.file.Path file = dir.resolve("backfill-" + UUID.randomUUID() + (csv ? ".csv" : ".jsonl"));
        Files.copy(body, file, StandardCopyOption.REPLACE_EXISTING);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("flow", flow);
        params.put("path", file.toString());
        params.put("format", csv ? "csv" : "jsonl");
        params.put("chunkSize", chunkSize);
        params.put("skipLimit", skipLimit);
        return started("pgflow-backfill", params, instance);
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{executionId}/stop")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "stopJob", summary = "Stop a running job execution",
            description = "It stops after its current chunk; restart continues from the last checkpoint. Admin.")
    @APIResponse(responseCode = "202", description = "Stopping", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = JobExecution.class)))
    @APIResponse(responseCode = "403", description = "Not an admin")
    @APIResponse(responseCode = "404", description = "No such execution")
    @APIResponse(responseCode = "409", description = "Not running")
    public Response stop(@Parameter(description = "The execution id", required = true) @PathParam("executionId") String executionId) {
        String instance = "/api/jobs/" + executionId + "/stop";
        long id = id(executionId, instance);
        try {
            jobs.stop(id);
        } catch (JobService.JobRefusal e) {
            throw refusal(e, instance);
        }
        return Response.accepted(ApiJson.write(JobExecution.of(jobs.execution(id).orElseThrow()))).build();
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{executionId}/restart")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "restartJob", summary = "Restart a stopped or failed job execution",
            description = "A new execution of the same job instance, from its last checkpoint, with the same parameters. Admin.")
    @APIResponse(responseCode = "202", description = "Restarted; Location names the new execution", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = JobExecution.class)))
    @APIResponse(responseCode = "403", description = "Not an admin")
    @APIResponse(responseCode = "404", description = "No such execution")
    @APIResponse(responseCode = "409", description = "Running or completed")
    public Response restart(@Parameter(description = "The execution id", required = true) @PathParam("executionId") String executionId) {
        String instance = "/api/jobs/" + executionId + "/restart";
        long id = id(executionId, instance);
        try {
            return accepted(jobs.restart(id));
        } catch (JobService.JobRefusal e) {
            throw refusal(e, instance);
        }
    }

    private Response started(String job, Map<String, String> params, String instance) {
        try {
            return accepted(jobs.start(job, params));
        } catch (JobService.JobRefusal e) {
            throw refusal(e, instance);
        }
    }

    private Response accepted(long executionId) {
        return Response.accepted(ApiJson.write(JobExecution.of(jobs.execution(executionId).orElseThrow())))
                .location(uri.getBaseUriBuilder().path("jobs").path(Long.toString(executionId)).build()).build();
    }

    private static WebApplicationException refusal(JobService.JobRefusal e, String instance) {
        if (e.conflict()) {
            return new WebApplicationException(Problems.problem(409, "Not possible in this state", e.getMessage(), instance, null));
        }
        if (e.getMessage().startsWith("no execution") || e.getMessage().startsWith("unknown job")) {
            return new WebApplicationException(Problems.problem(404, "Unknown job", e.getMessage(), instance, null));
        }
        return new WebApplicationException(Problems.problem(400, "Invalid job parameters", e.getMessage(), instance, null));
    }

    private static long id(String executionId, String instance) {
        try {
            return Long.parseLong(executionId);
        } catch (NumberFormatException e) {
            throw new WebApplicationException(Problems.problem(400, "Invalid execution id", "'" + executionId + "' is not a job execution id"
                    + " (a whole number)", instance, null));
        }
    }
}
