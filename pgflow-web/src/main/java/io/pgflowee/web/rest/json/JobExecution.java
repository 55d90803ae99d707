package io.pgflowee.web.rest.json;

import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.jobs.JobService;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** A batch job execution with its progress (GET /api/jobs/{executionId}). */
@Schema(name = "JobExecution", description = "A batch job execution: status, parameters, each step's counts, partitions, skipped items.")
@JsonbNillable
@JsonbPropertyOrder({"executionId", "instanceId", "job", "status", "exitStatus", "createdAt", "startedAt", "endedAt", "failure", "server",
        "serverLost", "elapsedSeconds", "parameters", "steps", "partitions", "skipped"})
public record JobExecution(long executionId, long instanceId, @Schema(example = "pgflow-backfill") String job,
                           @Schema(description = "STARTING, STARTED, STOPPING, STOPPED, FAILED, COMPLETED or ABANDONED") String status,
                           String exitStatus, String createdAt, String startedAt, String endedAt,
                           @Schema(description = "Why it failed, or null") String failure,
                           @Schema(description = "The server running it, or null") String server,
                           @Schema(description = "Its server stopped sending heartbeats: a restart takes it over") boolean serverLost,
                           @JsonbNillable(false) @Schema(description = "From start to end (or now); absent before it started")
                           Long elapsedSeconds,
                           Map<String, String> parameters, List<Step> steps, List<Partition> partitions, List<Skipped> skipped) {

    public static JobExecution of(JobService.ExecutionView e) {
        return new JobExecution(e.executionId(), e.instanceId(), e.job(), e.status(), e.exitStatus(), utc(e.createdAt()), utc(e.startedAt()),
                utc(e.endedAt()), e.failure(), e.server(), e.serverLost(), e.elapsedSeconds(), e.parameters(),
                e.steps().stream().map(s -> new Step(s.step(), s.status(), s.metrics(), s.data())).toList(),
                e.partitions().stream().map(p -> new Partition(p.partition(), p.items(), p.done())).toList(),
                e.skipped().stream().map(k -> new Skipped(k[0], k[1])).toList());
    }

    private static String utc(Date d) {
        return d == null ? null : ApiJson.time(d.toInstant().atOffset(ZoneOffset.UTC));
    }

    /** A step execution. */
    @Schema(name = "JobStep", description = "A step execution: status, the runtime's counts (READ_COUNT, WRITE_COUNT, ...), its own data.")
    @JsonbPropertyOrder({"step", "status", "metrics", "data"})
    public record Step(String step, String status, Map<String, Long> metrics, String data) {
    }

    /** One partition of a partitioned step (prune: one per flow). */
    @Schema(name = "JobPartition", description = "One partition of a partitioned step and its progress.")
    @JsonbPropertyOrder({"partition", "items", "done"})
    public record Partition(String partition, long items, boolean done) {
    }

    /** An item the job skipped. */
    @Schema(name = "JobSkippedItem", description = "An item the job skipped: its line or key, and why.")
    @JsonbPropertyOrder({"item", "reason"})
    public record Skipped(String item, String reason) {
    }

    /** GET /api/jobs. */
    @Schema(name = "JobExecutions", description = "The latest executions, newest first.")
    public record Page(List<JobExecution> executions) {

        public static Page of(List<JobService.ExecutionView> views) {
            return new Page(views.stream().map(JobExecution::of).toList());
        }
    }
}
