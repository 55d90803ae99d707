package io.pgflowee.web.rest.json;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.system.SystemInfoService;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** GET /api/system/partitions: the run tables' time partitions. */
@Schema(name = "RunPartitions", description = "The time partitions of the run tables (docs/operations.md, \"Time partitions\"):"
        + " none while the tables are plain (the default; pgflow.partition_run_tables() converts them).")
@JsonbNillable
@JsonbPropertyOrder({"partitioned", "aheadUntil", "ranges", "partitions"})
public record RunPartitions(@Schema(description = "Whether the run tables are partitioned") boolean partitioned,
                            @Schema(description = "The end of the last time range made; runs started later land in the default"
                                    + " partition 'other' (null while plain)", example = "2026-12-21T00:00Z") String aheadUntil,
                            @Schema(description = "How many time ranges are attached") long ranges,
                            @Schema(type = SchemaType.ARRAY, implementation = Partition.class) List<Partition> partitions) {

    /** One partition: a time range or one of legacy, ids, other. */
    @Schema(name = "RunPartition", description = "One partition of the seven run tables: a time range (named after its start), or"
            + " legacy (the tables before partitioning), ids (run ids callers chose at random) or other (the default partition).")
    @JsonbNillable
    @JsonbPropertyOrder({"name", "startsAt", "endsAt", "status", "runs", "bytes"})
    public record Partition(@Schema(example = "20261207_0000") String name,
                            @Schema(description = "Null for legacy, ids and other") String startsAt,
                            @Schema(description = "Null for legacy, ids and other") String endsAt,
                            @Schema(description = "attached, or skipped (a range whose runs the default partition already held)",
                                    enumeration = {"attached", "skipped"}) String status,
                            @Schema(description = "Runs in it (the planner's estimate, as of the last analyze)") long runs,
                            @Schema(description = "Bytes of its seven tables with their indexes") long bytes) {
    }

    public static RunPartitions of(SystemInfoService.RunPartitions p) {
        return new RunPartitions(p.partitioned(), time(p.aheadUntil()), p.ranges(), p.partitions().stream()
                .map(x -> new Partition(x.name(), time(x.startsAt()), time(x.endsAt()), x.status(), x.runs(), x.bytes())).toList());
    }

    private static String time(Instant t) {
        return t == null ? null : t.atOffset(ZoneOffset.UTC).toString();
    }
}
