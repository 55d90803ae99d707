package io.pgflowee.web.rest;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.pgflowee.engine.query.FlowQueries;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

/** {@code GET /api/events?flow=}: live events of all runs of a flow (server-sent events). */
@Path("events")
@Tag(name = "Events")
public class EventsResource {

    @Inject
    EventStreams streams;

    @Inject
    FlowQueries flows;

    @RolesAllowed(Role.Name.VIEWER)
    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(operationId = "followFlowEvents", summary = "Follow a flow's runs live", description = "Server-sent events of every run of the flow: run:started,"
            + " run:retried, run:completed, run:failed, run:cancelled, step:started, step:completed, step:failed, step:skipped,"
            + " step:cancelled. Each event's id is <micros>/<rank>/<run id>/<step>; its data is the event as JSON. A reconnect with"
            + " Last-Event-ID first replays, from the tables, every transition recorded since that event's time minus 10 s (ids"
            + " already seen can come again: drop them), then goes on live; more than 10,000 such events send one 'reset' event"
            + " instead. Idle streams get a comment every 15 s.")
    @APIResponse(responseCode = "200", description = "The event stream", content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
            schema = @Schema(implementation = io.pgflowee.web.rest.json.RunEvent.class)))
    @APIResponse(responseCode = "400", description = "No flow given, or Last-Event-ID is not an event id of this API")
    @APIResponse(responseCode = "404", description = "No such flow")
    @APIResponse(responseCode = "503", description = "The database cannot be reached")
    public void flowEvents(@Parameter(description = "The flow whose runs to follow", required = true, example = "greet_user")
                           @QueryParam("flow") String flow,
                           @Parameter(description = "The id of the last event received, to resume after a disconnect")
                           @HeaderParam("Last-Event-ID") String lastEventId,
                           @Context SseEventSink sink, @Context Sse sse) {
        String instance = "/api/events";
        if (flow == null || flow.isBlank()) {
            throw new WebApplicationException(Problems.problem(400, "Missing flow", "name the flow to follow: /api/events?flow=<slug>",
                    instance, null));
        }
        if (!flows.exists(flow)) {
            throw new WebApplicationException(Problems.problem(404, "Unknown flow", "Flow \"" + flow + "\" does not exist", instance,
                    null));
        }
        streams.openFlow(flow, lastEventId, sink, sse, instance);
    }
}
