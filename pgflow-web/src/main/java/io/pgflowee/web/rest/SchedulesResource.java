package io.pgflowee.web.rest;

import java.sql.SQLException;
import java.time.OffsetDateTime;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.query.ScheduleQueries;
import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.Run;
import io.pgflowee.web.rest.json.Schedule;
import io.pgflowee.web.rest.json.ScheduleRequests;
import io.pgflowee.web.security.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code /api/schedules}: cron schedules (pgflow.create_schedule and friends). Reading needs a
 * viewer; triggering a run now an operator (as starting a run does); creating, changing, pausing,
 * resuming, backfilling and deleting an admin. Each change is one SQL function call; a refused
 * one changes nothing and answers with the engine's words (404 unknown schedule, 409 a name taken
 * by another definition, 422 a cron, zone or catch-up the engine refuses).
 */
@Path("schedules")
@Tag(name = "Schedules")
public class SchedulesResource {

    private static final int FIRINGS = 5;
    private static final int RUNS = 5;

    @Inject
    ScheduleQueries queries;

    @Inject
    EngineOperations engine;

    @jakarta.ws.rs.core.Context
    jakarta.ws.rs.core.UriInfo uri;

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "listSchedules", summary = "List schedules", description = "Schedules by name, each with its next 5 firings and"
            + " 5 latest runs; ?flow= keeps one flow's, ?after= continues after a name (the page's next), ?limit= 1 to 200 (default 50).")
    @APIResponse(responseCode = "200", description = "A page of schedules", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.Page.class)))
    @APIResponse(responseCode = "400", description = "A query parameter is not valid (named in detail)")
    public Response list(@Parameter(description = "Only this flow's schedules", example = "daily_report") @QueryParam("flow") String flow,
                         @Parameter(description = "Continue after this name (the previous page's next)") @QueryParam("after") String after,
                         @Parameter(description = "1 to 200") @QueryParam("limit") @DefaultValue("50") String limit) {
        int size;
        try {
            size = Integer.parseInt(limit.trim());
        } catch (NumberFormatException e) {
            return Problems.problem(400, "Invalid query", "limit '" + limit + "' is not a number (1 to " + ScheduleQueries.MAX_PAGE + ")",
                    "/api/schedules", null);
        }
        ScheduleQueries.SchedulePage page;
        try {
            page = queries.page(blankToNull(flow), blankToNull(after), size, FIRINGS, RUNS);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid query", e.getMessage(), "/api/schedules", null);
        }
        long[] counts = queries.counts(blankToNull(flow));
        return Response.ok(ApiJson.write(new Schedule.Page(page.items().stream().map(Schedule::of).toList(), page.next(), counts[0], counts[1])))
                .build();
    }

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Path("{name}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getSchedule", summary = "Read a schedule", description = "One schedule with its next 5 firings and 5 latest runs.")
    @APIResponse(responseCode = "200", description = "The schedule", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.class)))
    @APIResponse(responseCode = "404", description = "No such schedule")
    public Response get(@Parameter(description = "The schedule's name", example = "daily_report_eu", required = true) @PathParam("name") String name) {
        return queries.schedule(name, FIRINGS, RUNS).map(s -> Response.ok(ApiJson.write(Schedule.of(s))).build())
                .orElseGet(() -> Problems.problem(404, "Unknown schedule", "Schedule \"" + name + "\" does not exist", "/api/schedules/" + name, null));
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Refusals(notFound = "Unknown schedule", conflict = "Schedule name taken")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "createSchedule", summary = "Create a schedule", description = "pgflow.create_schedule: runs of flowSlug at every"
            + " firing of cron, read in timeZone, once across all servers (tick). The same definition again answers 200 with it; another"
            + " definition of the name 409 (PATCH it instead). Admin.")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ScheduleRequests.Create.class),
            examples = @ExampleObject(name = "weekdays at 7 in Berlin", value = "{\"name\": \"report_eu\", \"flowSlug\": \"daily_report\","
                    + " \"cron\": \"0 7 * * MON-FRI\", \"input\": {\"region\": \"eu\"}, \"timeZone\": \"Europe/Berlin\"}")))
    @APIResponse(responseCode = "201", description = "Created", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.class)))
    @APIResponse(responseCode = "200", description = "It existed with this definition", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.class)))
    @APIResponse(responseCode = "400", description = "The body is not a schedule (named in detail)")
    @APIResponse(responseCode = "409", description = "The name is taken by another definition")
    @APIResponse(responseCode = "422", description = "The engine refused the cron, time zone, catch-up, flow or name (its message)")
    public Response create(String body) throws SQLException, EngineRefusal {
        ScheduleRequests.Create request;
        try {
            request = ScheduleRequests.Create.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), "/api/schedules", null);
        }
        EngineOperations.ScheduleChange change = engine.createSchedule(request.name(), request.flowSlug(), request.cron(),
                request.input() == null ? null : request.input().toString(), request.timeZone(), request.catchUp());
        Response read = get(change.name());
        return change.created() ? Response.status(201).entity(read.getEntity()).type(MediaType.APPLICATION_JSON)
                .location(uri.getBaseUriBuilder().path("schedules").path(change.name()).build()).build() : read;
    }

    @RolesAllowed(Role.Name.ADMIN)
    @PATCH
    @Path("{name}")
    @Refusals(notFound = "Unknown schedule")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "updateSchedule", summary = "Change a schedule", description = "pgflow.update_schedule: the fields given change,"
            + " the others stay; a new cron or time zone moves the next firing to the first after now. A declared schedule keeps the change"
            + " until its declaration in the flow's Java definition changes. Admin.")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ScheduleRequests.Update.class),
            examples = @ExampleObject(name = "an hour later", value = "{\"cron\": \"0 8 * * MON-FRI\"}")))
    @APIResponse(responseCode = "200", description = "The schedule", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.class)))
    @APIResponse(responseCode = "400", description = "The body is not a change (named in detail)")
    @APIResponse(responseCode = "404", description = "No such schedule")
    @APIResponse(responseCode = "422", description = "The engine refused a value (its message)")
    public Response update(@Parameter(description = "The schedule's name", required = true) @PathParam("name") String name, String body)
            throws SQLException, EngineRefusal {
        ScheduleRequests.Update request;
        try {
            request = ScheduleRequests.Update.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), "/api/schedules/" + name, null);
        }
        engine.updateSchedule(name, request.cron(), request.input() == null ? null : request.input().toString(), request.timeZone(),
                request.catchUp());
        return get(name);
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{name}/pause")
    @Refusals(notFound = "Unknown schedule")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "pauseSchedule", summary = "Pause a schedule", description = "pgflow.pause_schedule: nothing fires until resumed"
            + " (pausing a paused one changes nothing). Admin.")
    @APIResponse(responseCode = "200", description = "The schedule", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.class)))
    @APIResponse(responseCode = "404", description = "No such schedule")
    public Response pause(@Parameter(description = "The schedule's name", required = true) @PathParam("name") String name)
            throws SQLException, EngineRefusal {
        engine.pauseSchedule(name, true);
        return get(name);
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{name}/resume")
    @Refusals(notFound = "Unknown schedule")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "resumeSchedule", summary = "Resume a schedule", description = "pgflow.resume_schedule: the next firing is the"
            + " first after now; nothing missed while paused is caught up. Admin.")
    @APIResponse(responseCode = "200", description = "The schedule", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.class)))
    @APIResponse(responseCode = "404", description = "No such schedule")
    public Response resume(@Parameter(description = "The schedule's name", required = true) @PathParam("name") String name)
            throws SQLException, EngineRefusal {
        engine.pauseSchedule(name, false);
        return get(name);
    }

    @RolesAllowed(Role.Name.OPERATOR)
    @POST
    @Path("{name}/trigger")
    @Refusals(notFound = "Unknown schedule")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "triggerSchedule", summary = "Start a schedule's run now", description = "pgflow.trigger_schedule: a run now, with"
            + " the schedule's input and this instant as scheduled_at and in its key (a second trigger within the same second returns the"
            + " same run); the next firing does not move. A paused schedule can be triggered. Operator.")
    @APIResponse(responseCode = "201", description = "The run", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Run.class)))
    @APIResponse(responseCode = "404", description = "No such schedule")
    @APIResponse(responseCode = "422", description = "The flow refused the input (its message)")
    public Response trigger(@Parameter(description = "The schedule's name", required = true) @PathParam("name") String name)
            throws SQLException, EngineRefusal {
        io.pgflowee.engine.control.RunRow run = engine.triggerSchedule(name);
        return Response.status(201).entity(ApiJson.write(Run.of(run))).type(MediaType.APPLICATION_JSON)
                .location(uri.getBaseUriBuilder().path("runs").path(run.runId().toString()).build()).build();
    }

    @RolesAllowed(Role.Name.ADMIN)
    @POST
    @Path("{name}/backfill")
    @Refusals(notFound = "Unknown schedule")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "backfillSchedule", summary = "Start the firings of a past range", description = "pgflow.backfill_schedule: one"
            + " run per firing instant in [from, to], each with its firing's key, so a firing started before (by tick or an earlier"
            + " backfill) is not started again: a second call answers started 0. At most 10,000 firings per call. Admin.")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ScheduleRequests.Backfill.class),
            examples = @ExampleObject(name = "November", value = "{\"from\": \"2026-11-01T00:00:00Z\", \"to\": \"2026-11-30T23:59:59Z\"}")))
    @APIResponse(responseCode = "200", description = "How many runs started", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ScheduleRequests.BackfillResult.class)))
    @APIResponse(responseCode = "400", description = "The body is not {from, to}")
    @APIResponse(responseCode = "404", description = "No such schedule")
    @APIResponse(responseCode = "422", description = "from after to, more than 10,000 firings, or the flow refused the input (its message)")
    public Response backfill(@Parameter(description = "The schedule's name", required = true) @PathParam("name") String name, String body)
            throws SQLException, EngineRefusal {
        OffsetDateTime[] range;
        try {
            range = ScheduleRequests.Backfill.parse(body);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid body", e.getMessage(), "/api/schedules/" + name + "/backfill", null);
        }
        int started = engine.backfillSchedule(name, range[0], range[1]);
        return Response.ok(ApiJson.write(new ScheduleRequests.BackfillResult(name, started))).build();
    }

    @RolesAllowed(Role.Name.ADMIN)
    @DELETE
    @Path("{name}")
    @Refusals(notFound = "Unknown schedule")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "deleteSchedule", summary = "Delete a schedule", description = "pgflow.delete_schedule: it fires no more; its runs"
            + " stay. Answers with the schedule as it was. A schedule the flow's Java definition declares comes back at the next migration:"
            + " pause it instead, or remove the declaration. Admin.")
    @APIResponse(responseCode = "200", description = "Deleted: the schedule as it was", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Schedule.class)))
    @APIResponse(responseCode = "404", description = "No such schedule")
    public Response delete(@Parameter(description = "The schedule's name", required = true) @PathParam("name") String name)
            throws SQLException, EngineRefusal {
        Response before = get(name);
        engine.deleteSchedule(name);
        return before;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
