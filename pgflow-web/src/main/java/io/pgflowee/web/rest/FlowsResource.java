package io.pgflowee.web.rest;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;

import java.sql.SQLException;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.StartedRun;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.flows.FlowStatus;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.ConcurrencyRequest;
import io.pgflowee.web.rest.json.Flow;
import io.pgflowee.web.rest.json.Run;
import io.pgflowee.web.rest.json.RunDetail;
import io.pgflowee.web.rest.json.StartedRuns;
import io.pgflowee.web.rest.json.StepDuration;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/**
 * {@code GET /api/flows} and {@code GET /api/flows/{slug}}: the flows in the database with their steps,
 * runs per status (read model) and whether this server runs them. {@code POST /api/flows/{slug}/runs}:
 * starts a run; the body is the run input (JSON), an
 * optional {@code ?runId=} chooses the run id, an optional {@code Idempotency-Key} header makes the
 * start idempotent (a repeat answers 200 with the run started before, a repeat with another input
 * 409).
 */
@Path("flows")
@Tag(name = "Flows")
public class FlowsResource {

    @Inject
    io.pgflowee.engine.tracing.RunTracing tracing;

    @Inject
    io.pgflowee.engine.control.Signals signals;

    @Inject
    FlowQueries flowQueries;

    @Inject
    RunQueries runQueries;

    @Inject
    EngineOperations engine;

    @Inject
    FlowRegistry registry;

    @Inject
    io.pgflowee.engine.query.WorkerQueries workerQueries;

    @Context
    UriInfo uri;

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "listFlows", summary = "List flows", description = "Every flow in the database with its options, steps, runs per status,"
            + " whether this server runs it, and how many live workers (on all servers) serve it.")
    @APIResponse(responseCode = "200", description = "The flows", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(type = SchemaType.ARRAY, implementation = Flow.class)))
    public String list() {
        java.util.Map<String, Long> live = workerQueries.liveWorkersByFlow();
        return ApiJson.write(flowQueries.flows().stream().map(f -> Flow.of(f, serverStatus(f.flow().flowSlug()),
                live.getOrDefault(f.flow().flowSlug(), 0L))).toList());
    }

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Path("{slug}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getFlow", summary = "Read a flow", description = "One flow with its options, steps, runs per status and whether this server runs it.")
    @APIResponse(responseCode = "200", description = "The flow",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Flow.class)))
    @APIResponse(responseCode = "404", description = "No such flow in the database")
    public Response get(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug) {
        return flowQueries.flow(slug).map(f -> Response.ok(ApiJson.write(Flow.of(f, serverStatus(slug), workerQueries.liveWorkers(slug),
                        flowQueries.busiestKeys(slug, 10)))).build())
                .orElseGet(() -> unknownFlow(slug, "/api/flows/" + slug));
    }

    /** 404 for a flow the database does not have. */
    private static Response unknownFlow(String slug, String instance) {
        return Problems.problem(404, "Unknown flow", "Flow \"" + slug + "\" does not exist", instance, "GET /api/flows lists the flows in the database");
    }

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Path("{slug}/durations")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getStepDurations", summary = "How long a flow's steps take", description = "Per step in step order"
            + " (pgflow.step_durations): the tasks that completed and failed in the last `hours` hours and the median, 95th percentile"
            + " and longest run time of the completed ones (their last attempt), in milliseconds.")
    @APIResponse(responseCode = "200", description = "The steps", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(type = SchemaType.ARRAY, implementation = StepDuration.class)))
    @APIResponse(responseCode = "400", description = "hours is not a whole number from 1 to 720")
    @APIResponse(responseCode = "404", description = "No such flow in the database")
    public Response durations(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug,
                              @Parameter(description = "The window: the last this many hours, 1 to 720",
                                      schema = @Schema(type = SchemaType.INTEGER, defaultValue = "24"))
                              @QueryParam("hours") @DefaultValue("24") String hours) {
        String instance = "/api/flows/" + slug + "/durations";
        int window;
        try {
            window = Integer.parseInt(hours.trim());
        } catch (NumberFormatException e) {
            window = 0;
        }
        if (window < 1 || window > 720) {
            return Problems.problem(400, "Invalid query", "hours '" + hours + "' is not a whole number from 1 to 720", instance, null);
        }
        if (!flowQueries.exists(slug)) {
            return unknownFlow(slug, instance);
        }
        java.time.OffsetDateTime since = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusHours(window);
        return Response.ok(ApiJson.write(flowQueries.stepDurations(slug, since).stream().map(StepDuration::of).toList())).build();
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{slug}/pause")
    @Refusals(notFound = "Unknown flow")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "pauseFlow", summary = "Pause a flow", description = "pgflow.pause_flow: nothing of the flow is claimed until it is resumed; runs"
            + " can still be started and queue up; running tasks finish. Operator or admin.")
    @APIResponse(responseCode = "200", description = "The flow, paused", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Flow.class)))
    @APIResponse(responseCode = "404", description = "No such flow")
    public Response pause(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug)
            throws SQLException, EngineRefusal {
        return control(slug, true);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{slug}/resume")
    @Refusals(notFound = "Unknown flow")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "resumeFlow", summary = "Resume a flow", description = "pgflow.resume_flow: the flow's workers claim its queued tasks again at once."
            + " Operator or admin.")
    @APIResponse(responseCode = "200", description = "The flow, running", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Flow.class)))
    @APIResponse(responseCode = "404", description = "No such flow")
    public Response resume(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug)
            throws SQLException, EngineRefusal {
        return control(slug, false);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{slug}/concurrency")
    @Refusals(notFound = "Unknown flow")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "setFlowConcurrency", summary = "Limit a flow's concurrency", description = "pgflow.set_flow_concurrency: at most maxRunning tasks of the"
            + " flow run at once across all workers and servers; {\"maxRunning\": null} removes the limit. Operator or admin.")
    @RequestBody(description = "The limit, 1 or more, or null", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ConcurrencyRequest.class),
            examples = {@ExampleObject(name = "limit", value = "{\"maxRunning\": 5}"),
                @ExampleObject(name = "no limit", value = "{\"maxRunning\": null}")}))
    @APIResponse(responseCode = "200", description = "The flow with its limit", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Flow.class)))
    @APIResponse(responseCode = "400", description = "The body is not {\"maxRunning\": n or null}")
    @APIResponse(responseCode = "404", description = "No such flow")
    @APIResponse(responseCode = "422", description = "The limit is below 1")
    public Response concurrency(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug,
                                String body) throws SQLException, EngineRefusal {
        String instance = "/api/flows/" + slug + "/concurrency";
        Integer limit;
        try {
            limit = ConcurrencyRequest.parse(body).maxRunning();
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), instance, null);
        }
        engine.setFlowConcurrency(slug, limit); // a refusal: ApiErrors.RefusalMapper, with this method's @Refusals
        return get(slug);
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{slug}/key-concurrency")
    @Refusals(notFound = "Unknown flow")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "setKeyConcurrency", summary = "Limit each concurrency key of a flow", description = "pgflow.set_key_concurrency:"
            + " at most maxRunningPerKey tasks of one concurrency key run at once across all workers and servers (runs without a key are"
            + " not limited by it); {\"maxRunningPerKey\": null} removes the limit. Admin.")
    @RequestBody(description = "The limit, 1 or more, or null", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = io.pgflowee.web.rest.json.LimitRequests.KeyConcurrency.class),
            examples = {@ExampleObject(name = "two per customer", value = "{\"maxRunningPerKey\": 2}"),
                @ExampleObject(name = "no limit", value = "{\"maxRunningPerKey\": null}")}))
    @APIResponse(responseCode = "200", description = "The flow with its limits", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Flow.class)))
    @APIResponse(responseCode = "400", description = "The body is not {\"maxRunningPerKey\": n or null}")
    @APIResponse(responseCode = "404", description = "No such flow")
    @APIResponse(responseCode = "422", description = "The limit is below 1")
    public Response keyConcurrency(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug,
                                   String body) throws SQLException, EngineRefusal {
        String instance = "/api/flows/" + slug + "/key-concurrency";
        Integer limit;
        try {
            limit = io.pgflowee.web.rest.json.LimitRequests.KeyConcurrency.parse(body).maxRunningPerKey();
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), instance, null);
        }
        engine.setKeyConcurrency(slug, limit);
        return get(slug);
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{slug}/rate-limit")
    @Refusals(notFound = "Unknown flow")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "setRateLimit", summary = "Limit the rate of a flow's task starts", description = "pgflow.set_rate_limit: claims start"
            + " at most perSecond tasks a second (a token bucket of burst tokens, full at first), of the whole flow or of each concurrency"
            + " key (perKey), across all workers and servers; tasks over the limit stay queued until tokens come back."
            + " {\"perSecond\": null} removes it. Admin.")
    @RequestBody(description = "The rate", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = io.pgflowee.web.rest.json.LimitRequests.RateLimit.class),
            examples = {@ExampleObject(name = "20 a second", value = "{\"perSecond\": 20, \"burst\": 5}"),
                @ExampleObject(name = "per customer", value = "{\"perSecond\": 1, \"perKey\": true}"),
                @ExampleObject(name = "no limit", value = "{\"perSecond\": null}")}))
    @APIResponse(responseCode = "200", description = "The flow with its limits", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Flow.class)))
    @APIResponse(responseCode = "400", description = "The body is not {\"perSecond\": n or null, \"burst\": n, \"perKey\": boolean}")
    @APIResponse(responseCode = "404", description = "No such flow")
    @APIResponse(responseCode = "422", description = "perSecond not above 0 or burst below 1")
    public Response rateLimit(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug,
                              String body) throws SQLException, EngineRefusal {
        String instance = "/api/flows/" + slug + "/rate-limit";
        io.pgflowee.web.rest.json.LimitRequests.RateLimit rate;
        try {
            rate = io.pgflowee.web.rest.json.LimitRequests.RateLimit.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), instance, null);
        }
        engine.setRateLimit(slug, rate.perSecond(), rate.burst(), rate.perKey());
        return get(slug);
    }

    private Response control(String slug, boolean pause) throws SQLException, EngineRefusal {
        if (pause) {
            engine.pauseFlow(slug);
        } else {
            engine.resumeFlow(slug);
        }
        return get(slug);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{slug}/runs/by-key/{key}/steps/{step}/signal")
    @Refusals(notFound = "Unknown run", invalid = "Signal refused")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "sendSignalByKey", summary = "Send a signal to the run started with an idempotency key",
            description = "pgflow.send_signal_by_key: as POST /api/runs/{id}/steps/{step}/signal, to the run of this flow started with"
                    + " this Idempotency-Key (an order number, a ticket id), so a webhook needs no run id. Operator or admin.")
    @RequestBody(description = "The payload (any JSON)", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(type = SchemaType.OBJECT, description = "The step's payload (an object; any JSON is accepted)"), examples = @ExampleObject(name = "approval", value = "{\"approved\": true, \"by\": \"ann\"}")))
    @APIResponse(responseCode = "200", description = "What became of the signal",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = io.pgflowee.web.rest.json.SignalResult.class)))
    @APIResponse(responseCode = "400", description = "The body is not JSON")
    @APIResponse(responseCode = "404", description = "No run of this flow was started with this key")
    @APIResponse(responseCode = "422", description = "The flow has no such step, it is not a signal step, or the payload is not what the"
            + " step takes")
    public Response signalByKey(@Parameter(description = "The flow's slug", example = "order_approval", required = true) @PathParam("slug") String slug,
                                @Parameter(description = "The run's idempotency key (URL-encoded)", example = "order-77", required = true)
                                @PathParam("key") String key,
                                @Parameter(description = "The signal step's slug", example = "approval", required = true) @PathParam("step") String step,
                                String body) throws SQLException, EngineRefusal {
        String instance = "/api/flows/" + slug + "/runs/by-key/" + key + "/steps/" + step + "/signal";
        return RunsResource.signalResult(signals.sendByKey(slug, key, step, RunsResource.signalPayload(body, instance)));
    }

    /** Whether this server runs the flow: verified, compiled, missing, mismatch, or not registered. */
    private String serverStatus(String slug) {
        return registry.statuses().stream().filter(s -> s.slug().equals(slug))
                .map(FlowStatus::state).map(s -> s.name().toLowerCase()).findFirst().orElse("not registered");
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{slug}/runs")
    @Refusals(notFound = "Unknown flow", conflict = "Run exists", invalid = "Input rejected")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "startRun", summary = "Start a run", description = "Starts a run of the flow with the body as its input (one SQL call:"
            + " pgflow.start_flow). With an Idempotency-Key used before for this flow and the same input, nothing is started and"
            + " the earlier run is returned with 200.")
    @RequestBody(description = "The run input (JSON); a flow whose root step is a map takes an array", required = true,
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT,
                    description = "The flow's input: an object (an array for a flow whose root step is a map)"), examples = @ExampleObject(name = "greet_user",
                    value = "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}")))
    @APIResponse(responseCode = "201", description = "Started; Location names the run",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunDetail.class)))
    @APIResponse(responseCode = "200", description = "An idempotent repeat: the run started earlier with this key",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunDetail.class)))
    @APIResponse(responseCode = "400", description = "Empty or malformed JSON body, a runId that is not a UUID, or a bad"
            + " Idempotency-Key")
    @APIResponse(responseCode = "404", description = "No such flow")
    @APIResponse(responseCode = "409", description = "The runId exists, the Idempotency-Key was used with another input, or this"
            + " server's definition of the flow differs from the database (the detail names the differences and the fix)")
    @APIResponse(responseCode = "422", description = "The flow refuses the input (for example a root map given an object)")
    public Response start(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug,
                          @Parameter(description = "Choose the run id (a UUID)") @QueryParam("runId") String runIdParam,
                          @Parameter(description = "1 to 200 characters; a repeat with the same input returns the same run")
                          @HeaderParam("Idempotency-Key") String idempotencyKey,
                          @Parameter(description = "return=minimal: answer with the run only, without its steps (saves a read; for"
                                  + " clients that start many runs)", example = "return=minimal") @HeaderParam("Prefer") String prefer,
                          @Parameter(description = "The run's concurrency key (1 to 200 characters): runs of one key share its limit"
                                  + " (set_key_concurrency) and take turns with other keys; default: the flow's concurrencyKey function,"
                                  + " else none", example = "customer-42") @HeaderParam(CONCURRENCY_KEY_HEADER) String concurrencyKey,
                          @Parameter(description = "The run's priority, -100..100 (higher claimed first); default: the flow's priority"
                                  + " function, else 0", example = "10") @HeaderParam(PRIORITY_HEADER) String priorityHeader,
                          String body) throws SQLException, EngineRefusal {
        String instance = "/api/flows/" + slug + "/runs";
        Integer priority;
        try {
            priority = priority(priorityHeader);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid priority", e.getMessage(), instance, null);
        }
        UUID runId = null;
        if (runIdParam != null && !runIdParam.isBlank()) {
            try {
                runId = UUID.fromString(runIdParam.trim());
            } catch (IllegalArgumentException e) {
                return Problems.problem(400, "Invalid run id", "runId '" + runIdParam + "' is not a UUID", instance, null);
            }
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            return Problems.problem(400, "Invalid idempotency key", "the Idempotency-Key header must hold 1 to 200 characters, got "
                    + idempotencyKey.length(), instance, null);
        }
        if (body == null || body.isBlank()) {
            return Problems.problem(400, "Missing input", "the request body is empty: send the run input as JSON (for example {})",
                    instance, null);
        }
        try {
            JsonCodec.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Malformed JSON", "the run input is not valid JSON: " + e.getMessage(), instance, null);
        }
        java.util.Optional<String> refusal = registry.refusalToStart(slug);
        if (refusal.isPresent()) {
            return Problems.problem(409, "Flow differs from the database", refusal.get(), instance, null);
        }
        io.pgflowee.api.flow.RunKeys keys;
        try {
            keys = registry.runKeys(slug, body, concurrencyKey, priority);
        } catch (IllegalArgumentException e) {
            return Problems.problem(422, "Input rejected", e.getMessage(), instance, null);
        }
        io.pgflowee.engine.tracing.RunTracing.Start span = traceStart(slug);
        StartedRun started;
        try {
            started = engine.startFlow(slug, body, runId, idempotencyKey, keys);
        } catch (EngineRefusal | SQLException | RuntimeException e) {
            span.failed(e);
            throw e;
        }
        UUID id = started.run().runId();
        span.started(java.util.List.of(id));
        boolean minimal = prefersMinimal(prefer);
        String run = minimal ? ApiJson.write(new RunDetail(Run.of(started.run()), null, null))
                : runQueries.detail(id).map(d -> ApiJson.write(RunDetail.of(d, runQueries.attempts(id))))
                .orElseThrow(() -> new IllegalStateException("run " + id + " was started but cannot be read"));
        java.net.URI location = uri.getBaseUriBuilder().path("runs").path(id.toString()).build();
        Response.ResponseBuilder answer = started.created() ? Response.created(location) : Response.ok().contentLocation(location);
        if (minimal) {
            answer.header("Preference-Applied", "return=minimal");
        }
        return answer.entity(run).build();
    }

    /** The span of a start ({@link io.pgflowee.engine.tracing.RunTracing}; none without tracing, as in the REST tests). */
    private io.pgflowee.engine.tracing.RunTracing.Start traceStart(String slug) {
        return tracing == null ? io.pgflowee.engine.tracing.RunTracing.Start.NONE : tracing.start(slug);
    }

    /** The header naming a started run's concurrency key. */
    static final String CONCURRENCY_KEY_HEADER = "Pgflow-Concurrency-Key";
    /** The header naming a started run's priority. */
    static final String PRIORITY_HEADER = "Pgflow-Priority";

    /** The Pgflow-Priority header as a number (null when absent); the range is the engine's to check. */
    static Integer priority(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(header.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the " + PRIORITY_HEADER + " header must be a whole number from -100 to 100, got '" + header
                    + "'", e);
        }
    }

    /** {@code Prefer: return=minimal} (RFC 7240), among other preferences. */
    static boolean prefersMinimal(String prefer) {
        if (prefer == null) {
            return false;
        }
        for (String preference : prefer.split(",")) {
            if (preference.trim().replace(" ", "").equalsIgnoreCase("return=minimal")) {
                return true;
            }
        }
        return false;
    }

    @Inject
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "pgflow.api.maxBatchRuns", defaultValue = "1000")
    int maxBatchRuns;

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{slug}/runs/batch")
    @Refusals(notFound = "Unknown flow", conflict = "Idempotency key reused", invalid = "Input rejected")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "startRuns", summary = "Start many runs", description = "Starts one run per element of the body, a JSON array of"
            + " run inputs, in one SQL call (pgflow.start_flows) and one transaction: all start or none does (a refused element is"
            + " named by its position, counted from 1). At most pgflow.api.maxBatchRuns (1000) inputs per request. With an"
            + " Idempotency-Key header K, element i gets the key K#i, so a repeated request starts nothing twice.")
    @RequestBody(description = "The run inputs (a JSON array)", required = true,
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.ARRAY,
                    implementation = Object.class, description = "One run input per element"), examples = @ExampleObject(name = "greet_user",
                    value = "[{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}, {\"first_name\": \"Bob\", \"last_name\": \"Jones\"}]")))
    @APIResponse(responseCode = "201", description = "Started: {\"flowSlug\", \"created\": n, \"runs\": [{\"item\", \"runId\", \"created\"}]}"
            + " in input order", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = StartedRuns.class)))
    @APIResponse(responseCode = "200", description = "An idempotent repeat: every run had been started by an earlier request",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = StartedRuns.class)))
    @APIResponse(responseCode = "400", description = "Empty or malformed body, not an array, an empty array, or a bad Idempotency-Key")
    @APIResponse(responseCode = "404", description = "No such flow")
    @APIResponse(responseCode = "409", description = "An idempotency key reused with another input, or this server's definition of the"
            + " flow differs from the database")
    @APIResponse(responseCode = "413", description = "More inputs than pgflow.api.maxBatchRuns, or a body over pgflow.api.maxBodyBytes")
    @APIResponse(responseCode = "422", description = "The flow refuses an input (the detail names the item)")
    public Response startMany(@Parameter(description = "The flow's slug", example = "greet_user", required = true) @PathParam("slug") String slug,
                              @Parameter(description = "1 to 190 characters; element i is started with the key <key>#i")
                              @HeaderParam("Idempotency-Key") String idempotencyKey,
                              @Parameter(description = "The concurrency key of every run of the batch; default: the flow's concurrencyKey"
                                      + " function per input, else none", example = "customer-42") @HeaderParam(CONCURRENCY_KEY_HEADER)
                              String concurrencyKey,
                              @Parameter(description = "The priority of every run of the batch, -100..100; default: the flow's priority"
                                      + " function per input, else 0", example = "-10") @HeaderParam(PRIORITY_HEADER) String priorityHeader,
                              String body) throws SQLException, EngineRefusal {
        String instance = "/api/flows/" + slug + "/runs/batch";
        Integer priority;
        try {
            priority = priority(priorityHeader);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid priority", e.getMessage(), instance, null);
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 190)) {
            return Problems.problem(400, "Invalid idempotency key", "the Idempotency-Key header of a batch must hold 1 to 190 characters"
                    + " (element i adds #i), got " + idempotencyKey.length(), instance, null);
        }
        if (body == null || body.isBlank()) {
            return Problems.problem(400, "Missing inputs", "the request body is empty: send a JSON array of run inputs (for example [{}, {}])",
                    instance, null);
        }
        jakarta.json.JsonValue parsed;
        try {
            parsed = JsonCodec.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Malformed JSON", "the body is not valid JSON: " + e.getMessage(), instance, null);
        }
        if (parsed.getValueType() != jakarta.json.JsonValue.ValueType.ARRAY) {
            return Problems.problem(400, "Not an array", "the body must be a JSON array of run inputs, got a JSON "
                    + parsed.getValueType().name().toLowerCase(java.util.Locale.ROOT) + " (to start one run, POST it to " + "/api/flows/"
                    + slug + "/runs)", instance, null);
        }
        jakarta.json.JsonArray inputs = parsed.asJsonArray();
        if (inputs.isEmpty()) {
            return Problems.problem(400, "No inputs", "the array is empty: send at least one run input", instance, null);
        }
        if (inputs.size() > maxBatchRuns) {
            return Problems.problem(413, "Too many inputs", "the array has " + inputs.size() + " inputs; at most " + maxBatchRuns
                    + " are started per request (pgflow.api.maxBatchRuns): split it", instance, null);
        }
        java.util.Optional<String> refusal = registry.refusalToStart(slug);
        if (refusal.isPresent()) {
            return Problems.problem(409, "Flow differs from the database", refusal.get(), instance, null);
        }
        java.util.List<String> texts = new java.util.ArrayList<>(inputs.size());
        java.util.List<String> keys = idempotencyKey == null ? null : new java.util.ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            texts.add(inputs.get(i).toString());
            if (keys != null) {
                keys.add(idempotencyKey + "#" + (i + 1));
            }
        }
        java.util.List<io.pgflowee.api.flow.RunKeys> runKeys = new java.util.ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            try {
                runKeys.add(registry.runKeys(slug, texts.get(i), concurrencyKey, priority));
            } catch (IllegalArgumentException e) {
                return Problems.problem(422, "Input rejected", "item " + (i + 1) + ": " + e.getMessage(), instance, null);
            }
        }
        io.pgflowee.engine.tracing.RunTracing.Start span = traceStart(slug);
        java.util.List<EngineOperations.StartedItem> started;
        try {
            started = engine.startFlows(slug, texts, keys, runKeys);
        } catch (EngineRefusal | SQLException | RuntimeException e) {
            span.failed(e);
            throw e;
        }
        span.started(started.stream().map(EngineOperations.StartedItem::runId).toList());
        StartedRuns answer = StartedRuns.of(slug, started);
        return Response.status(answer.created() > 0 ? 201 : 200).entity(ApiJson.write(answer)).build();
    }
}
