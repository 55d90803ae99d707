package io.pgflowee.web.rest;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The shapes of the API's JSON, for the OpenAPI document only: the resources write JSON with
 * {@link RunJson} and JSON-P, and these records describe what they write (field names, types,
 * meanings), so a client generator gets typed models.
 */
final class ApiSchemas {

    private ApiSchemas() {
    }

    @Schema(name = "Run", description = "A run of a flow.")
    record Run(
            @Schema(description = "The run id", example = "0f8a6c1e-3b8e-4a57-9b8e-2d9c1d6f5a10") String runId,
            @Schema(description = "The flow's slug", example = "greet_user") String flowSlug,
            @Schema(description = "started, completed, failed or cancelled", example = "completed") String status,
            @Schema(description = "The run input, as started", example = "{\"first_name\": \"Alice\", \"last_name\": \"Smith\"}") Object input,
            @Schema(description = "The leaf steps' outputs once completed, else null", example = "{\"greeting\": \"Hello, Alice Smith!\"}")
            Object output,
            @Schema(description = "Steps not yet completed or skipped") int remainingSteps,
            @Schema(description = "ISO-8601") String startedAt,
            @Schema(description = "ISO-8601, or null") String completedAt,
            @Schema(description = "ISO-8601, or null") String failedAt,
            @Schema(description = "ISO-8601, or null") String cancelledAt,
            @Schema(description = "Why it was cancelled (cancel_run), or null") String cancelReason,
            @Schema(description = "How often retry_run resumed it") int retryCount,
            @Schema(description = "ISO-8601, or null") String lastRetriedAt,
            @Schema(description = "The run this one restarts (restart_run), or null") String restartOfRunId,
            @Schema(description = "The Idempotency-Key it was started with, or null") String idempotencyKey) {
    }

    @Schema(name = "Task", description = "One task of a step (one element of a map) and its latest attempt.")
    record Task(int taskIndex, @Schema(description = "queued, started, completed, failed or cancelled") String status,
                @Schema(description = "Attempts so far") int attempts, Object output,
                @Schema(description = "The last attempt's error (kept after a later success)") String errorMessage,
                String queuedAt, String startedAt, String completedAt, String failedAt, String cancelledAt,
                @Schema(description = "The worker of the latest attempt") String lastWorkerId,
                @Schema(description = "Earlier attempts that ended without completing the task, oldest first") List<Attempt> earlierAttempts) {
    }

    @Schema(name = "Attempt", description = "An attempt of a task that ended without completing it.")
    record Attempt(int attempt, @Schema(description = "failed (the handler failed) or lease expired (its worker stopped or hung)") String outcome,
                   String workerId, String errorMessage, String startedAt, String endedAt) {
    }

    @Schema(name = "StepState", description = "One step of a run, with its tasks.")
    record StepState(String stepSlug, int stepIndex, @Schema(description = "single or map") String stepType,
                     @Schema(description = "created, started, completed, failed, skipped or cancelled") String status,
                     Integer initialTasks, Integer remainingTasks, int remainingDeps, Object output, String errorMessage,
                     @Schema(description = "condition_unmet, handler_failed or dependency_skipped, or null") String skipReason,
                     String createdAt, String startedAt, String completedAt, String failedAt, String skippedAt, String cancelledAt,
                     List<Task> tasks) {
    }

    @Schema(name = "RunDetail", description = "A run with its steps in step order.")
    record RunDetail(Run run, List<StepState> steps,
                     @Schema(description = "GET /api/runs/{id} only: live workers (on all servers) of the run's flow; 0 for a started"
                             + " run means it waits until a server that runs the flow starts") Long liveWorkers) {
    }

    @Schema(name = "StartedRuns", description = "POST /api/flows/{slug}/runs/batch: the runs, in input order.")
    record StartedRuns(@Schema(example = "greet_user") String flowSlug,
                       @Schema(description = "How many runs this request started (the rest were started by an earlier request with"
                               + " the same Idempotency-Key)") int created,
                       List<StartedItem> runs) {
    }

    @Schema(name = "StartedItem", description = "One input of a batch: its position (from 1), its run, whether this request started it.")
    record StartedItem(int item, String runId, boolean created) {
    }

    @Schema(name = "StatusTotals", description = "Runs per status for the filter without its status condition; exact up to 20,000"
            + " matching runs, PostgreSQL's estimates beyond.")
    record StatusTotals(long started, long completed, long failed, long cancelled,
                        @Schema(description = "false when the counts are estimates") boolean exact) {
    }

    @Schema(name = "RunPage", description = "A page of runs, newest first.")
    record RunPage(List<Run> runs,
                   @Schema(description = "Pass as cursor for the next (older) page; null on the last page") String nextCursor,
                   @Schema(description = "Pass as cursor for the previous (newer) page; null on the first page") String previousCursor,
                   StatusTotals totals) {
    }

    @Schema(name = "Step", description = "A step of a flow definition.")
    record Step(String slug, int index, @Schema(description = "single or map") String type, List<String> dependencies,
                Integer maxAttempts, Integer baseDelay, Integer timeout, Integer startDelay,
                @Schema(description = "fail, skip or skip-cascade") String whenUnmet,
                @Schema(description = "fail, skip or skip-cascade") String whenExhausted,
                @Schema(name = "if", description = "The when condition (pgflow's if), or null") Object ifCondition,
                @Schema(description = "The unless condition (pgflow's ifNot), or null") Object ifNot) {
    }

    @Schema(name = "Flow", description = "A flow in the database.")
    record Flow(String slug, int maxAttempts, int baseDelay, int timeout, String createdAt,
                @Schema(description = "When pause_flow paused it, or null") String pausedAt,
                @Schema(description = "The set_flow_concurrency limit, or null") Integer maxRunning, List<Step> steps,
                StatusTotals runs,
                @Schema(description = "Whether this server runs it: verified, compiled, missing, mismatch or not registered") String status,
                @Schema(description = "Live workers of the flow on all servers (not stopped, a heartbeat within 15 s); 0: its runs wait")
                long liveWorkers) {
    }

    @Schema(name = "Worker", description = "A worker of one flow on one server.")
    record Worker(String workerId, String flowSlug, @Schema(description = "The server (host and process)") String server,
                  @Schema(description = "Not stopped and a heartbeat within the last 15 s") boolean live, long heartbeatAgeMs,
                  String startedAt, String lastHeartbeat, String stoppedAt, String deprecatedAt) {
    }

    @Schema(name = "RunEvent", description = "The data of one server-sent event (the SSE event name is eventType, its id is id).")
    record RunEvent(@Schema(example = "1795841313274787/3/0f8a6c1e-2b1d-4c55-9a57-52c6a4d0b0e1/greet") String id,
                    @Schema(description = "run:started, run:retried, run:completed, run:failed, run:cancelled, step:started,"
                            + " step:completed, step:failed, step:skipped or step:cancelled", example = "step:completed") String eventType,
                    String runId, String flowSlug, @Schema(description = "Step events only") String stepSlug,
                    @Schema(example = "completed") String status,
                    @Schema(description = "step:skipped only: condition_unmet, handler_failed or dependency_skipped") String skipReason,
                    @Schema(description = "When the transition happened (as recorded in the tables)") String at) {
    }

    @Schema(name = "Problem", description = "RFC 9457 problem details (application/problem+json).")
    record Problem(@Schema(example = "about:blank") String type, @Schema(example = "Unknown flow") String title,
                   @Schema(example = "404") int status, @Schema(example = "Flow \"nope\" does not exist") String detail,
                   @Schema(example = "/api/flows/nope/runs") String instance,
                   @Schema(description = "What to do, when the engine says") String hint) {
    }
}
