package io.pgflowee.web.rest.json;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.engine.model.StepStateRecord;
import io.pgflowee.engine.model.TaskRecord;
import io.pgflowee.engine.query.TaskAttempt;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** A run with its steps in step order, each with its tasks and their earlier attempts. */
@Schema(name = "RunDetail", description = "A run with its steps in step order.")
@JsonbPropertyOrder({"run", "steps", "liveWorkers"})
public record RunDetail(Run run, List<StepState> steps,
                        @Schema(description = "GET /api/runs/{id} only: live workers (on all servers) of the run's flow; 0 for a started"
                                + " run means it waits until a server that runs the flow starts") Long liveWorkers) {

    /** Without {@code liveWorkers} (omitted). */
    public static RunDetail of(io.pgflowee.engine.query.RunDetail detail, List<TaskAttempt> attempts) {
        return of(detail, attempts, null);
    }

    public static RunDetail of(io.pgflowee.engine.query.RunDetail detail, List<TaskAttempt> attempts, Long liveWorkers) {
        return new RunDetail(Run.of(detail.run()), detail.steps().stream().map(s -> StepState.of(s, attempts)).toList(), liveWorkers);
    }

    /** One step of a run. */
    @Schema(name = "StepState", description = "One step of a run, with its tasks.")
    @JsonbNillable
    @JsonbPropertyOrder({"stepSlug", "stepIndex", "stepType", "status", "initialTasks", "remainingTasks", "remainingDeps", "output",
            "errorMessage", "skipReason", "createdAt", "startedAt", "completedAt", "failedAt", "skippedAt", "cancelledAt", "waitDeadline",
            "signalAt", "subflowSlug", "tasks"})
    public record StepState(String stepSlug, int stepIndex,
                            @Schema(description = "single, map, signal, subflow or map_subflow") String stepType,
                            @Schema(description = "created, started, completed, failed, skipped or cancelled") String status,
                            Integer initialTasks, Integer remainingTasks, int remainingDeps, JsonValue output, String errorMessage,
                            @Schema(description = "condition_unmet, handler_failed or dependency_skipped, or null") String skipReason,
                            String createdAt, String startedAt, String completedAt, String failedAt, String skippedAt, String cancelledAt,
                            @Schema(description = "A signal step that waits (or failed waiting): when it fails for want of a signal;"
                                    + " null: it waits for ever, or does not wait") String waitDeadline,
                            @Schema(description = "A signal step: when its signal came (delivered, or buffered before it waited); null"
                                    + " while none came") String signalAt,
                            @Schema(description = "A subflow or map_subflow step: the flow whose child runs its tasks start (each"
                                    + " task's childRunId); null for other steps") String subflowSlug,
                            List<Task> tasks) {

        static StepState of(io.pgflowee.engine.query.RunDetail.StepDetail s, List<TaskAttempt> attempts) {
            StepStateRecord st = s.state();
            return new StepState(st.stepSlug(), s.step().stepIndex(), s.step().stepType().sqlValue(), st.status().dbValue(),
                    st.initialTasks(), st.remainingTasks(), st.remainingDeps(), orNull(st.output()), st.errorMessage(),
                    st.skipReason() == null ? null : st.skipReason().dbValue(), ApiJson.time(st.createdAt()), ApiJson.time(st.startedAt()),
                    ApiJson.time(st.completedAt()), ApiJson.time(st.failedAt()), ApiJson.time(st.skippedAt()),
                    ApiJson.time(st.cancelledAt()), ApiJson.time(st.waitDeadline()),
                    ApiJson.time(st.signalAt()), s.step().subflowSlug(), s.tasks().stream().map(t -> Task.of(t, attempts)).toList());
        }
    }

    /** One task of a step (one element of a map) and its latest attempt. */
    @Schema(name = "Task", description = "One task of a step (one element of a map) and its latest attempt.")
    @JsonbNillable
    @JsonbPropertyOrder({"taskIndex", "status", "attempts", "output", "errorMessage", "queuedAt", "startedAt", "completedAt", "failedAt",
            "cancelledAt", "lastWorkerId", "childRunId", "earlierAttempts"})
    public record Task(int taskIndex, @Schema(description = "queued, started, completed, failed or cancelled") String status,
                       @Schema(description = "Attempts so far") int attempts, JsonValue output,
                       @Schema(description = "The last attempt's error (kept after a later success)") String errorMessage,
                       String queuedAt, String startedAt, String completedAt, String failedAt, String cancelledAt,
                       @Schema(description = "The worker of the latest attempt") String lastWorkerId,
                       @Schema(description = "A subflow step's task: the child run it waits for (or last waited for); null before its"
                               + " first child and for other steps") String childRunId,
                       @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY, implementation = Attempt.class, description = "Earlier attempts that ended without completing the task, oldest first")
                       List<Attempt> earlierAttempts) {

        static Task of(TaskRecord t, List<TaskAttempt> attempts) {
            return new Task(t.taskIndex(), t.status().dbValue(), t.attemptsCount(), orNull(t.output()), t.errorMessage(),
                    ApiJson.time(t.queuedAt()), ApiJson.time(t.startedAt()), ApiJson.time(t.completedAt()), ApiJson.time(t.failedAt()),
                    ApiJson.time(t.cancelledAt()), ApiJson.id(t.lastWorkerId()), ApiJson.id(t.childRunId()), attempts.stream()
                    .filter(a -> a.stepSlug().equals(t.stepSlug()) && a.taskIndex() == t.taskIndex()).map(Attempt::of).toList());
        }
    }

    /** An attempt of a task that ended without completing it. */
    @Schema(name = "Attempt", description = "An attempt of a task that ended without completing it.")
    @JsonbNillable
    @JsonbPropertyOrder({"attempt", "outcome", "workerId", "errorMessage", "startedAt", "endedAt"})
    public record Attempt(int attempt,
                          @Schema(description = "failed (the handler failed), lease expired (its worker stopped or hung), released (handed back by a stopping worker) or snoozed (the handler snoozed: pgflow.snooze_task; the attempt does not count)") String outcome,
                          String workerId, String errorMessage, String startedAt, String endedAt) {

        static Attempt of(TaskAttempt a) {
            return new Attempt(a.attempt(), a.outcome(), ApiJson.id(a.workerId()), a.errorMessage(), ApiJson.time(a.startedAt()),
                    ApiJson.time(a.endedAt()));
        }
    }

    static JsonValue orNull(JsonValue value) {
        return value == null ? JsonValue.NULL : value;
    }
}
