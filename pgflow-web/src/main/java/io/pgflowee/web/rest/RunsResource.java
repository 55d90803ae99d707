package io.pgflowee.web.rest;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.query.RunFilter;
import io.pgflowee.engine.query.RunPage;
import io.pgflowee.engine.query.RunQueries;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
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
 */
@Path("runs")
public class RunsResource {

    @Inject
    RunQueries runs;

    @Context
    UriInfo uri;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response list(@QueryParam("flow") String flow, @QueryParam("status") List<String> statuses,
                         @QueryParam("startedAfter") String startedAfter, @QueryParam("startedBefore") String startedBefore,
                         @QueryParam("runIdPrefix") String runIdPrefix, @QueryParam("inputContains") String inputContains,
                         @QueryParam("limit") @DefaultValue("50") String limit, @QueryParam("cursor") String cursor) {
        String instance = "/api/runs";
        RunPage page;
        try {
            int size;
            try {
                size = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("limit '" + limit + "' is not a number (1 to " + RunQueries.MAX_LIMIT + ")");
            }
            RunFilter filter = new RunFilter(flow, parseStatuses(statuses), time("startedAfter", startedAfter),
                    time("startedBefore", startedBefore), runIdPrefix, inputContains);
            page = runs.page(filter, cursor, size);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid query", e.getMessage(), instance, null);
        }
        Response.ResponseBuilder response = Response.ok(RunJson.page(page).toString());
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

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response get(@PathParam("id") String id) {
        UUID runId;
        try {
            runId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Problems.problem(400, "Invalid run id", "'" + id + "' is not a UUID", "/api/runs/" + id, null);
        }
        return runs.detail(runId).map(d -> Response.ok(RunJson.detail(d).toString()).build())
                .orElseGet(() -> Problems.problem(404, "Unknown run", "Run " + runId + " does not exist", "/api/runs/" + id, null));
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
}
