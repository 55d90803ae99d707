package io.pgflowee.web.rest.json;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.model.FlowRecord;
import io.pgflowee.engine.model.StepRecord;
import io.pgflowee.engine.query.FlowQueries;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** A flow in the database, with what this server and the pool know of it. */
@Schema(name = "Flow", description = "A flow in the database.")
@JsonbNillable
@JsonbPropertyOrder({"slug", "maxAttempts", "baseDelay", "timeout", "createdAt", "pausedAt", "maxRunning", "maxRunningPerKey", "rateLimit",
        "steps", "runs", "status", "liveWorkers", "busiestKeys"})
public record Flow(String slug, int maxAttempts, int baseDelay, int timeout, String createdAt,
                   @Schema(description = "When pause_flow paused it, or null") String pausedAt,
                   @Schema(description = "The set_flow_concurrency limit, or null") Integer maxRunning,
                   @Schema(description = "The set_key_concurrency limit: tasks of one concurrency key at once, or null") Integer maxRunningPerKey,
                   @JsonbNillable @Schema(description = "The set_rate_limit token bucket, or null") RateLimit rateLimit,
                   List<Step> steps,
                   StatusTotals runs,
                   @Schema(description = "Whether this server runs it: verified, compiled, missing, mismatch or not registered") String status,
                   @Schema(description = "Live workers of the flow on all servers (not stopped, a heartbeat within 15 s); 0: its runs wait")
                   long liveWorkers,
                   @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY, implementation = KeyLoad.class, description = "GET /api/flows/{slug} only (null in the list): the 10 concurrency keys with the most tasks running,"
                           + " then queued") List<KeyLoad> busiestKeys) {

    /** {@code status}: whether this server runs it; {@code liveWorkers}: on all servers. */
    public static Flow of(FlowQueries.FlowSummary summary, String status, long liveWorkers) {
        return of(summary, status, liveWorkers, null);
    }

    /** With the busiest keys ({@link FlowQueries#busiestKeys}), or null when not read. */
    public static Flow of(FlowQueries.FlowSummary summary, String status, long liveWorkers, List<FlowQueries.KeyLoad> keys) {
        FlowRecord f = summary.flow();
        return new Flow(f.flowSlug(), f.maxAttempts(), f.baseDelay(), f.timeout(), ApiJson.time(f.createdAt()), ApiJson.time(f.pausedAt()),
                f.maxRunning(), f.maxRunningPerKey(),
                f.ratePerSecond() == null ? null : new RateLimit(f.ratePerSecond(), f.rateBurst(), f.ratePerKey()),
                summary.steps().stream().map(Step::of).toList(), StatusTotals.of(summary.runs()), status, liveWorkers,
                keys == null ? null : keys.stream().map(k -> new KeyLoad(k.key(), k.running(), k.queued())).toList());
    }

    /** A flow's rate limit. */
    @Schema(name = "RateLimit", description = "A token bucket: at most perSecond task starts a second, burst at once.")
    @JsonbNillable
    @JsonbPropertyOrder({"perSecond", "burst", "perKey"})
    public record RateLimit(@Schema(description = "Tokens a second", example = "20") java.math.BigDecimal perSecond,
                            @Schema(description = "The bucket's size", example = "20") Integer burst,
                            @Schema(description = "A bucket per concurrency key (else one for the flow)") boolean perKey) {
    }

    /** A concurrency key's load. */
    @Schema(name = "KeyLoad", description = "A concurrency key's tasks now.")
    @JsonbPropertyOrder({"key", "running", "queued"})
    public record KeyLoad(@Schema(example = "customer-42") String key, @Schema(description = "Tasks started (holding its slots)") long running,
                          @Schema(description = "Tasks queued") long queued) {
    }

    /** A step of a flow definition. */
    @Schema(name = "Step", description = "A step of a flow definition.")
    @JsonbNillable
    @JsonbPropertyOrder({"slug", "index", "type", "dependencies", "maxAttempts", "baseDelay", "timeout", "startDelay", "whenUnmet",
            "whenExhausted", "ifCondition", "ifNot"})
    public record Step(String slug, int index, @Schema(description = "single or map") String type, List<String> dependencies,
                       Integer maxAttempts, Integer baseDelay, Integer timeout, Integer startDelay,
                       @Schema(description = "fail, skip or skip-cascade") String whenUnmet,
                       @Schema(description = "fail, skip or skip-cascade") String whenExhausted,
                       @JsonbProperty("if") @Schema(name = "if", description = "The when condition (pgflow's if), or null") JsonValue ifCondition,
                       @Schema(description = "The unless condition (pgflow's ifNot), or null") JsonValue ifNot) {

        static Step of(FlowQueries.StepSummary s) {
            StepRecord step = s.step();
            return new Step(step.stepSlug(), step.stepIndex(), step.stepType().sqlValue(), s.dependsOn(), step.maxAttempts(),
                    step.baseDelay(), step.timeout(), step.startDelay(), step.whenUnmet().sqlValue(), step.whenExhausted().sqlValue(),
                    RunDetail.orNull(step.requiredInputPattern()), RunDetail.orNull(step.forbiddenInputPattern()));
        }
    }
}
