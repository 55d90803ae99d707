package io.pgflowee.web.rest;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.RunRow;
import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.query.RunFilter;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.CancelRequest;
import io.pgflowee.web.rest.json.RunDetail;
import io.pgflowee.web.rest.json.RunEvent;
import io.pgflowee.web.rest.json.RunPage;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Link;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/**
 * {@code GET /api/runs}: runs newest first, filtered, in keyset pages ({@code cursor} from a previous
 * page's {@code nextCursor} / {@code previousCursor}, also in the {@code Link} header), with the runs
 * per status of the filter. {@code GET /api/runs/{id}}: a run with its steps and tasks.
 * {@code POST /api/runs/{id}/cancel}, {@code /retry}, {@code /restart}, {@code /steps/{step}/signal}: the
 * operator actions, each one SQL function ({@code cancel_run}, {@code retry_run}, {@code restart_run},
 * {@code send_signal}); operator or admin only.
 */
@Path("runs")
@Tag(name = "Runs")
public class RunsResource {

    @Inject
    RunQueries runs;

    @Inject
    io.pgflowee.engine.query.WorkerQueries workers;

    @Inject
    EngineOperations engine;

    @Inject
    EventStreams streams;

    @Inject
    io.pgflowee.engine.control.Signals signals;

    /** The caller (who retried a run); absent outside a request (tests). */
    @Context
    jakarta.ws.rs.core.SecurityContext security;

    @Context
    UriInfo uri;

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "listRuns", summary = "List runs", description = "Runs newest first (started_at, then run id), filtered, in keyset pages."
            + " Follow nextCursor / previousCursor (also in the Link header); no run is lost or repeated while new runs start.")
    @APIResponse(responseCode = "200", description = "A page of runs with the runs per status of the filter",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunPage.class)))
    @APIResponse(responseCode = "400", description = "A query parameter is not valid (named in detail)")
    public Response list(@Parameter(description = "Only runs of this flow", example = "greet_user") @QueryParam("flow") String flow,
                         @Parameter(description = "Only these statuses (repeat the parameter or use a comma list)",
                                 example = "failed,cancelled") @QueryParam("status") List<String> statuses,
                         @Parameter(description = "Started at or after (ISO-8601 with an offset)", example = "2026-11-28T00:00:00Z")
                         @QueryParam("startedAfter") String startedAfter,
                         @Parameter(description = "Started before (ISO-8601 with an offset)") @QueryParam("startedBefore") String startedBefore,
                         @Parameter(description = "The run id starts with these hex digits, or, after an ellipsis (… or ...), ends with them", example = "…9ba16cad")
                         @QueryParam("runIdPrefix") String runIdPrefix,
                         @Parameter(description = "The run input contains this JSON", example = "{\"first_name\": \"Alice\"}")
                         @QueryParam("inputContains") String inputContains,
                         @Parameter(description = "Only the child runs that this run's subflow steps started (the totals count them per"
                                 + " status)", example = "0f8a6c1e-3b8e-4a57-9b8e-2d9c1d6f5a10") @QueryParam("parent") String parent,
                         @Parameter(description = "Only the runs of this concurrency key", example = "customer-42") @QueryParam("key") String key,
                         @Parameter(description = "Only the runs of this priority (-100..100)", example = "10") @QueryParam("priority")
                         String priority,
                         @Parameter(description = "Only runs with a task whose error (last or earlier attempt) contains this text, any case",
                                 example = "connection refused") @QueryParam("error") String error,
                         @Parameter(description = "newest (default) or oldest first", example = "oldest") @QueryParam("order") String order,
                         @Parameter(description = "Runs per page, 1 to 500", schema = @Schema(type = SchemaType.INTEGER, defaultValue = "50"))
                         @QueryParam("limit") @DefaultValue("50") String limit,
                         @Parameter(description = "nextCursor or previousCursor of a page") @QueryParam("cursor") String cursor) {
        String instance = "/api/runs";
        io.pgflowee.engine.query.RunPage page;
        try {
            int size;
            try {
                size = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("limit '" + limit + "' is not a number (1 to " + RunQueries.MAX_LIMIT + ")");
            }
            RunFilter filter = new RunFilter(flow, parseStatuses(statuses), time("startedAfter", startedAfter),
                    time("startedBefore", startedBefore), runIdPrefix, inputContains, parentId(parent))
                    .withKey(key, priorityParam(priority)).withErrorContaining(error);
            if (order != null && !order.isBlank() && !order.equals("newest") && !order.equals("oldest")) {
                throw new IllegalArgumentException("order '" + order + "' is neither newest nor oldest");
            }
            page = runs.page(filter, cursor, size, "oldest".equals(order));
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid query", e.getMessage(), instance, null);
        }
        Response.ResponseBuilder response = Response.ok(ApiJson.write(RunPage.of(page)));
        if (page.nextCursor() != null) {
            response.links(Link.fromUri(uri.getRequestUriBuilder().replaceQueryParam("cursor", page.nextCursor()).build())
                    .rel("next").build());
        }
        if (page.previousCursor() != null) {
            response.links(Link.fromUri(uri.getRequestUriBuilder().replaceQueryParam("cursor", page.previousCursor()).build())
                    .rel("prev").build());
        }
        return response.build();
    }

    /** The priority query parameter, null when absent. */
    private static Integer priorityParam(String priority) {
        if (priority == null || priority.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(priority.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("priority '" + priority + "' is not a whole number (-100 to 100)");
        }
    }

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getRun", summary = "Read a run", description = "The run with its steps in step order, each with its tasks, outputs, errors and"
            + " timings.")
    @APIResponse(responseCode = "200", description = "The run",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunDetail.class)))
    @APIResponse(responseCode = "400", description = "The id is not a UUID")
    @APIResponse(responseCode = "404", description = "No such run (or pruned)")
    public Response get(@Parameter(description = "The run id", required = true) @PathParam("id") String id) {
        UUID runId = runId(id, "/api/runs/" + id);
        // liveWorkers: how many live workers (all servers) serve the run's flow; 0 for a started run
        // means it waits until a server that runs the flow starts
        return runs.detail(runId).map(d -> Response.ok(ApiJson.write(RunDetail.of(d, runs.attempts(runId),
                        workers.liveWorkers(d.run().flowSlug())))).build())
                .orElseGet(() -> Problems.problem(404, "Unknown run", "Run " + runId + " does not exist", "/api/runs/" + id, null));
    }

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(operationId = "followRunEvents", summary = "Follow a run live", description = "Server-sent events of the run: first its transitions so far (from the"
            + " tables), then each one as it happens; the stream ends after run:completed, run:failed or run:cancelled (at once"
            + " for a finished run). Each event's id is <micros>/<rank>/<run id>/<step>; its data is the event as JSON. A reconnect"
            + " with Last-Event-ID replays every transition recorded since that event's time minus 10 s (ids already seen can come"
            + " again: drop them), so nothing is missed. Idle streams get a comment every 15 s.")
    @APIResponse(responseCode = "200", description = "The event stream", content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
            schema = @Schema(implementation = RunEvent.class)))
    @APIResponse(responseCode = "400", description = "The id is not a UUID, or Last-Event-ID is not an event id of this API")
    @APIResponse(responseCode = "404", description = "No such run")
    @APIResponse(responseCode = "503", description = "The database cannot be reached")
    public void events(@Parameter(description = "The run id", required = true) @PathParam("id") String id,
                       @Parameter(description = "The id of the last event received, to resume after a disconnect")
                       @HeaderParam("Last-Event-ID") String lastEventId,
                       @Context SseEventSink sink, @Context Sse sse) {
        String instance = "/api/runs/" + id + "/events";
        UUID runId = runId(id, instance);
        streams.openRun(runId, lastEventId, sink, sse, instance);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{id}/cancel")
    @Refusals(notFound = "Unknown run")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "cancelRun", summary = "Cancel a run", description = "pgflow.cancel_run: the run and its unfinished steps and tasks become cancelled;"
            + " running handlers are interrupted within about a second; completed steps keep their outputs. Cancelling a cancelled"
            + " run returns it unchanged. Operator or admin.")
    @RequestBody(description = "Optional: why", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CancelRequest.class),
            examples = @ExampleObject(name = "reason", value = "{\"reason\": \"customer withdrew\"}")))
    @APIResponse(responseCode = "200", description = "The cancelled run", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunDetail.class)))
    @APIResponse(responseCode = "400", description = "The id is not a UUID or the body is not {\"reason\": \"...\"}")
    @APIResponse(responseCode = "404", description = "No such run")
    @APIResponse(responseCode = "409", description = "The run is completed or failed")
    public Response cancel(@Parameter(description = "The run id", required = true) @PathParam("id") String id, String body) throws java.sql.SQLException, EngineRefusal {
        String instance = "/api/runs/" + id + "/cancel";
        CancelRequest request;
        try {
            request = CancelRequest.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), instance, null);
        }
        String why = request.reason();
        return act(id, instance, runId -> engine.cancelRun(runId, why), false);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{id}/priority")
    @Refusals(notFound = "Unknown run", invalid = "Priority refused")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "setRunPriority", summary = "Change a run's priority", description = "pgflow.set_run_priority: the run, the child"
            + " runs it started and their unfinished tasks take the new priority (-100..100, higher claimed first); tasks queued later"
            + " inherit it. A finished run is returned unchanged. Operator or admin.")
    @RequestBody(description = "The new priority", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = io.pgflowee.web.rest.json.LimitRequests.Priority.class),
            examples = @ExampleObject(name = "expedite", value = "{\"priority\": 50}")))
    @APIResponse(responseCode = "200", description = "The run", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunDetail.class)))
    @APIResponse(responseCode = "400", description = "The id is not a UUID or the body is not {\"priority\": n}")
    @APIResponse(responseCode = "404", description = "No such run")
    @APIResponse(responseCode = "422", description = "The priority is outside -100..100")
    public Response priority(@Parameter(description = "The run id", required = true) @PathParam("id") String id, String body)
            throws java.sql.SQLException, EngineRefusal {
        String instance = "/api/runs/" + id + "/priority";
        int level;
        try {
            level = io.pgflowee.web.rest.json.LimitRequests.Priority.parse(body).priority();
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), instance, null);
        }
        return act(id, instance, runId -> engine.setRunPriority(runId, level), false);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{id}/retry")
    @Refusals(notFound = "Unknown run")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "retryRun", summary = "Retry a run in place", description = "pgflow.retry_run: a failed or cancelled run resumes where it stopped;"
            + " completed steps and tasks keep their outputs. Operator or admin.")
    @APIResponse(responseCode = "200", description = "The run, started again", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunDetail.class)))
    @APIResponse(responseCode = "400", description = "The id is not a UUID")
    @APIResponse(responseCode = "404", description = "No such run")
    @APIResponse(responseCode = "409", description = "The run is started or completed")
    public Response retry(@Parameter(description = "The run id", required = true) @PathParam("id") String id) throws java.sql.SQLException, EngineRefusal {
        String actor = security == null || security.getUserPrincipal() == null ? null : security.getUserPrincipal().getName();
        return act(id, "/api/runs/" + id + "/retry", runId -> engine.retryRun(runId, actor), false);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{id}/restart")
    @Refusals(notFound = "Unknown run")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "restartRun", summary = "Restart a run as a new run", description = "pgflow.restart_run: a new run of the same flow with the same"
            + " input, linked by restartOfRunId. Operator or admin.")
    @APIResponse(responseCode = "201", description = "The new run; Location names it", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RunDetail.class)))
    @APIResponse(responseCode = "400", description = "The id is not a UUID")
    @APIResponse(responseCode = "404", description = "No such run")
    public Response restart(@Parameter(description = "The run to restart", required = true) @PathParam("id") String id) throws java.sql.SQLException, EngineRefusal {
        return act(id, "/api/runs/" + id + "/restart", engine::restartRun, true);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{id}/steps/{step}/signal")
    @Refusals(notFound = "Unknown run", invalid = "Signal refused")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "sendSignal", summary = "Send a signal to a waiting step", description = "pgflow.send_signal: the signal step"
            + " completes with the body as its output and its dependents start (delivered), or, when it does not wait yet, completes"
            + " with it the moment it would (buffered); a step that already had a signal, no longer waits, or whose run ended"
            + " ignores it (ignored: sending twice is safe). An empty body is {}. A flow defined in Java checks the payload against"
            + " the step's payload type first. Operator or admin.")
    @RequestBody(description = "The payload (any JSON; an array for a step that feeds a map)", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT,
            description = "The step's payload (an object; any JSON is accepted)"), examples = @ExampleObject(name = "approval",
            value = "{\"approved\": true, \"by\": \"ann\"}")))
    @APIResponse(responseCode = "200", description = "What became of the signal",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = io.pgflowee.web.rest.json.SignalResult.class)))
    @APIResponse(responseCode = "400", description = "The id is not a UUID or the body is not JSON")
    @APIResponse(responseCode = "404", description = "No such run")
    @APIResponse(responseCode = "422", description = "The flow has no such step, it is not a signal step, or the payload is not what the"
            + " step takes (the detail names the step, the flow and why)")
    public Response signal(@Parameter(description = "The run id", required = true) @PathParam("id") String id,
                           @Parameter(description = "The signal step's slug", example = "approval", required = true) @PathParam("step") String step,
                           String body) throws java.sql.SQLException, EngineRefusal {
        String instance = "/api/runs/" + id + "/steps/" + step + "/signal";
        UUID runId = runId(id, instance);
        return signalResult(signals.send(runId, step, signalPayload(body, instance)));
    }

    /** The most signals one POST /api/runs/signals sends. */
    static final int MAX_SIGNALS = 1000;

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("signals")
    @Refusals(notFound = "Unknown run", invalid = "Signal refused")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "sendSignals", summary = "Send many signals in one transaction", description = "pgflow.send_signals: each"
            + " element as POST /api/runs/{id}/steps/{step}/signal would, in one transaction and one round trip (a webhook relay, a"
            + " bulk approval): much cheaper per signal than one request each. All or none: a refused element refuses the request,"
            + " named by its position (item, counted from 1). At most 1000 signals per request. Operator or admin.")
    @RequestBody(description = "A JSON array of signals", required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(type = SchemaType.ARRAY, implementation = io.pgflowee.web.rest.json.SignalBatch.Item.class),
            examples = @ExampleObject(name = "two approvals", value = "[{\"runId\": \"01936f4e-5a7b-7c3d-9e8f-0a1b2c3d4e5f\", \"step\":"
                    + " \"approval\", \"payload\": {\"approved\": true}}, {\"runId\": \"01936f4e-5a7b-7c3d-9e8f-0a1b2c3d4e60\", \"step\":"
                    + " \"approval\", \"payload\": {\"approved\": false}}]")))
    @APIResponse(responseCode = "200", description = "What became of each signal, in request order",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = io.pgflowee.web.rest.json.SignalBatch.Results.class)))
    @APIResponse(responseCode = "400", description = "Not a JSON array of {runId, step, payload}, or empty (the item is named)")
    @APIResponse(responseCode = "404", description = "An item's run does not exist (named: item N)")
    @APIResponse(responseCode = "413", description = "More than 1000 signals")
    @APIResponse(responseCode = "422", description = "An item's step does not exist or is not a signal step, or its payload is not what the"
            + " step takes (named: item N)")
    public Response signals(String body) throws java.sql.SQLException, EngineRefusal {
        String instance = "/api/runs/signals";
        List<io.pgflowee.engine.control.Signals.Signal> batch;
        try {
            batch = io.pgflowee.web.rest.json.SignalBatch.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), instance, null);
        }
        if (batch.isEmpty()) {
            return Problems.problem(400, "No signals", "the array is empty: send at least one signal", instance, null);
        }
        if (batch.size() > MAX_SIGNALS) {
            return Problems.problem(413, "Too many signals", "the array has " + batch.size() + " signals; at most " + MAX_SIGNALS
                    + " are sent per request: split it", instance, null);
        }
        List<io.pgflowee.engine.control.Signals.Result> results = signals.sendAll(batch);
        List<io.pgflowee.web.rest.json.SignalBatch.ItemResult> items = new java.util.ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            items.add(new io.pgflowee.web.rest.json.SignalBatch.ItemResult(i + 1, batch.get(i).runId().toString(), batch.get(i).stepSlug(),
                    results.get(i).sqlValue()));
        }
        return Response.ok(ApiJson.write(new io.pgflowee.web.rest.json.SignalBatch.Results(items))).build();
    }

    /** The body of a signal: JSON text ({@code {}} when empty), or a 400 problem naming what is wrong. */
    static String signalPayload(String body, String instance) {
        if (body == null || body.isBlank()) {
            return "{}";
        }
        try {
            io.pgflowee.api.json.JsonCodec.parse(body);
        } catch (IllegalArgumentException e) {
            throw new WebApplicationException(Problems.problem(400, "Malformed JSON", "the signal payload is not valid JSON: " + e.getMessage(),
                    instance, null));
        }
        return body;
    }

    /** 200 {@code {"result": "delivered" | "buffered" | "ignored"}}. */
    static Response signalResult(io.pgflowee.engine.control.Signals.Result result) {
        return Response.ok(ApiJson.write(new io.pgflowee.web.rest.json.SignalResult(result.sqlValue()))).build();
    }

    /** An operator function on run {@code id}: the resulting run (200, or 201 with its Location) or the engine's refusal. */
    private Response act(String id, String instance, Action action, boolean created) throws java.sql.SQLException, EngineRefusal {
        UUID runId = runId(id, instance);
        RunRow result = action.apply(runId); // a refusal: ApiErrors.RefusalMapper, with the method's @Refusals
        String json = runs.detail(result.runId()).map(d -> ApiJson.write(RunDetail.of(d, runs.attempts(result.runId()))))
                .orElseThrow(() -> new IllegalStateException("run " + result.runId() + " cannot be read"));
        return created ? Response.created(uri.getBaseUriBuilder().path("runs").path(result.runId().toString()).build()).entity(json).build()
                : Response.ok(json).build();
    }

    /** The run id of the path, or a 400 problem naming it. */
    private static UUID runId(String id, String instance) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new WebApplicationException(Problems.problem(400, "Invalid run id", "'" + id + "' is not a UUID", instance, null));
        }
    }

    private interface Action {
        RunRow apply(UUID runId) throws EngineRefusal, java.sql.SQLException;
    }

    private static Set<RunStatus> parseStatuses(List<String> values) {
        Set<RunStatus> statuses = EnumSet.noneOf(RunStatus.class);
        for (String value : values == null ? List.<String>of() : values) {
            for (String one : value.split(",")) {
                if (one.isBlank()) {
                    continue;
                }
                try {
                    statuses.add(RunStatus.valueOf(one.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("status '" + one.trim() + "' is not a run status (started, completed, failed,"
                            + " cancelled)");
                }
            }
        }
        return statuses;
    }

    private static OffsetDateTime time(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " '" + value + "' is not an ISO-8601 time with an offset, for example"
                    + " 2026-11-28T10:00:00Z");
        }
    }

    private static UUID parentId(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return UUID.fromString(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("parent '" + value + "' is not a run id (a UUID such as 0f8a6c1e-3b8e-4a57-9b8e-2d9c1d6f5a10)");
        }
    }
}
