package io.pgflowee.web.rest.json;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.query.ScheduleQueries;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** A schedule as the API shows it (GET /api/schedules, /api/schedules/{name}): the only place its JSON is made. */
@Schema(name = "Schedule", description = "Runs of a flow started by cron, once per firing across all servers.")
@JsonbNillable
@JsonbPropertyOrder({"name", "flowSlug", "cron", "input", "timeZone", "catchUp", "paused", "pausedAt", "nextFireAt", "nextFirings",
        "lastFiredAt", "lastError", "declared", "createdAt", "updatedAt", "latestRuns"})
public record Schedule(
        @Schema(description = "Unique across flows", example = "daily_report_eu") String name,
        @Schema(description = "The flow it starts", example = "daily_report") String flowSlug,
        @Schema(description = "Five standard fields or @hourly/@daily/@weekly/@monthly/@yearly", example = "0 7 * * MON-FRI") String cron,
        @Schema(description = "Each run's input, plus \"scheduled_at\" (the firing instant, UTC)", example = "{\"region\": \"eu\"}") JsonValue input,
        @Schema(description = "The wall clock the expression reads", example = "Europe/Berlin") String timeZone,
        @Schema(description = "latest, all or none: what happens to firings missed while no server ran", example = "latest") String catchUp,
        boolean paused,
        @Schema(description = "ISO-8601, or null") String pausedAt,
        @Schema(description = "The next firing tick() will start (ISO-8601); for a paused schedule, the one it would") String nextFireAt,
        @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY, implementation = String.class, description = "The next firings, earliest first (ISO-8601, UTC), paused or not") List<String> nextFirings,
        @Schema(description = "The last firing tick() started, or null") String lastFiredAt,
        @Schema(description = "Why the last firing could not start (the flow refused its input), or null") String lastError,
        @Schema(description = "Declared by the flow's Java definition (flow.schedule(...)): a changed declaration updates it at the next"
                + " migration, a removed one deletes it") boolean declared,
        String createdAt, String updatedAt,
        @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY, implementation = ScheduledRun.class, description = "Its latest runs (tick, trigger and backfill), newest first") List<ScheduledRun> latestRuns) {

    /** A run a schedule started. */
    @Schema(name = "ScheduledRun", description = "A run a schedule started.")
    @JsonbPropertyOrder({"runId", "status", "startedAt", "firing"})
    public record ScheduledRun(String runId, String status, String startedAt,
                               @Schema(description = "The firing (or trigger) instant of its idempotency key, UTC", example = "2026-12-04T06:00:00Z")
                               String firing) {
    }

    public static Schedule of(ScheduleQueries.ScheduleView s) {
        return new Schedule(s.name(), s.flowSlug(), s.cron(), JsonCodec.parse(s.inputJson()), s.timeZone(), s.catchUp(), s.paused(),
                ApiJson.time(s.pausedAt()), ApiJson.time(s.nextFireAt()), s.nextFirings().stream().map(Object::toString).toList(),
                ApiJson.time(s.lastFiredAt()), s.lastError(), s.declared(), ApiJson.time(s.createdAt()), ApiJson.time(s.updatedAt()),
                s.latestRuns().stream().map(r -> new ScheduledRun(r.runId().toString(), r.status(), ApiJson.time(r.startedAt()), r.firing()))
                        .toList());
    }

    /** A page of schedules by name (GET /api/schedules). */
    @Schema(name = "SchedulePage", description = "Schedules by name; pass next as after for the following page.")
    @JsonbNillable
    @JsonbPropertyOrder({"schedules", "next", "total", "paused"})
    public record Page(List<Schedule> schedules, @Schema(description = "The name to pass as after; null on the last page") String next,
                       @Schema(description = "How many schedules match (all pages)") long total,
                       @Schema(description = "How many of them are paused") long paused) {
    }
}
