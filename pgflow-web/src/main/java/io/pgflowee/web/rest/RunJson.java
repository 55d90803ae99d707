package io.pgflowee.web.rest;

import io.pgflowee.api.json.Jsonp;

import java.time.OffsetDateTime;
import java.util.List;

import io.pgflowee.engine.model.RunRecord;
import io.pgflowee.engine.model.StepStateRecord;
import io.pgflowee.engine.model.TaskRecord;
import io.pgflowee.engine.query.RunDetail;
import io.pgflowee.engine.query.TaskAttempt;
import io.pgflowee.engine.query.RunPage;
import io.pgflowee.engine.query.StatusTotals;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

/**
 * The API's JSON for runs, built from the read model: camelCase field names, statuses as the
 * engine's values ({@code "completed"}), times as ISO-8601, absent values as {@code null}.
 */
final class RunJson {

    private RunJson() {
    }

    static JsonObjectBuilder run(RunRecord r) {
        return run(r.runId(), r.flowSlug(), r.status().dbValue(), r.input(), r.output(), r.remainingSteps(), r.startedAt(),
                r.completedAt(), r.failedAt(), r.cancelledAt(), r.cancelReason(), r.retryCount(), r.lastRetriedAt(),
                r.restartOfRunId(), r.idempotencyKey());
    }

    /** The same fields as {@link #run(RunRecord)}, from the row an engine function returned. */
    static JsonObjectBuilder run(io.pgflowee.engine.control.RunRow r) {
        return run(r.runId(), r.flowSlug(), r.status(), io.pgflowee.api.json.JsonCodec.parse(r.input()),
                r.output() == null ? null : io.pgflowee.api.json.JsonCodec.parse(r.output()), r.remainingSteps(), r.startedAt(),
                r.completedAt(), r.failedAt(), r.cancelledAt(), r.cancelReason(), r.retryCount(), r.lastRetriedAt(),
                r.restartOfRunId(), r.idempotencyKey());
    }

    /** A run's fields, in the API's order and names (read model and engine rows alike). */
    private static JsonObjectBuilder run(java.util.UUID runId, String flowSlug, String status, JsonValue input, JsonValue output,
                                         int remainingSteps, OffsetDateTime startedAt, OffsetDateTime completedAt,
                                         OffsetDateTime failedAt, OffsetDateTime cancelledAt, String cancelReason, int retryCount,
                                         OffsetDateTime lastRetriedAt, java.util.UUID restartOfRunId, String idempotencyKey) {
        JsonObjectBuilder json = Jsonp.createObjectBuilder().add("runId", runId.toString()).add("flowSlug", flowSlug)
                .add("status", status).add("input", input).add("output", orNull(output)).add("remainingSteps", remainingSteps);
        time(json, "startedAt", startedAt);
        time(json, "completedAt", completedAt);
        time(json, "failedAt", failedAt);
        time(json, "cancelledAt", cancelledAt);
        text(json, "cancelReason", cancelReason);
        json.add("retryCount", retryCount);
        time(json, "lastRetriedAt", lastRetriedAt);
        text(json, "restartOfRunId", restartOfRunId == null ? null : restartOfRunId.toString());
        text(json, "idempotencyKey", idempotencyKey);
        return json;
    }

    /**
     * {@code {"run": ..., "steps": [...]}}, steps in step order with their tasks; each task lists its
     * earlier attempts that ended without completing it ({@code earlierAttempts}: attempt, outcome
     * {@code failed} or {@code lease expired}, workerId, errorMessage, startedAt, endedAt).
     */
    static JsonObject detail(RunDetail detail, List<TaskAttempt> attempts) {
        JsonArrayBuilder steps = Jsonp.createArrayBuilder();
        for (RunDetail.StepDetail s : detail.steps()) {
            StepStateRecord st = s.state();
            JsonObjectBuilder step = Jsonp.createObjectBuilder().add("stepSlug", st.stepSlug()).add("stepIndex", s.step().stepIndex())
                    .add("stepType", s.step().stepType().sqlValue()).add("status", st.status().dbValue());
            number(step, "initialTasks", st.initialTasks());
            number(step, "remainingTasks", st.remainingTasks());
            step.add("remainingDeps", st.remainingDeps()).add("output", orNull(st.output()));
            text(step, "errorMessage", st.errorMessage());
            text(step, "skipReason", st.skipReason() == null ? null : st.skipReason().dbValue());
            time(step, "createdAt", st.createdAt());
            time(step, "startedAt", st.startedAt());
            time(step, "completedAt", st.completedAt());
            time(step, "failedAt", st.failedAt());
            time(step, "skippedAt", st.skippedAt());
            time(step, "cancelledAt", st.cancelledAt());
            JsonArrayBuilder tasks = Jsonp.createArrayBuilder();
            for (TaskRecord t : s.tasks()) {
                JsonObjectBuilder task = Jsonp.createObjectBuilder().add("taskIndex", t.taskIndex()).add("status", t.status().dbValue())
                        .add("attempts", t.attemptsCount()).add("output", orNull(t.output()));
                text(task, "errorMessage", t.errorMessage());
                time(task, "queuedAt", t.queuedAt());
                time(task, "startedAt", t.startedAt());
                time(task, "completedAt", t.completedAt());
                time(task, "failedAt", t.failedAt());
                time(task, "cancelledAt", t.cancelledAt());
                text(task, "lastWorkerId", t.lastWorkerId() == null ? null : t.lastWorkerId().toString());
                JsonArrayBuilder earlier = Jsonp.createArrayBuilder();
                for (TaskAttempt a : attempts) {
                    if (a.stepSlug().equals(t.stepSlug()) && a.taskIndex() == t.taskIndex()) {
                        JsonObjectBuilder attempt = Jsonp.createObjectBuilder().add("attempt", a.attempt()).add("outcome", a.outcome());
                        text(attempt, "workerId", a.workerId() == null ? null : a.workerId().toString());
                        text(attempt, "errorMessage", a.errorMessage());
                        time(attempt, "startedAt", a.startedAt());
                        time(attempt, "endedAt", a.endedAt());
                        earlier.add(attempt);
                    }
                }
                tasks.add(task.add("earlierAttempts", earlier));
            }
            steps.add(step.add("tasks", tasks));
        }
        return Jsonp.createObjectBuilder().add("run", run(detail.run())).add("steps", steps).build();
    }

    /** {@code {"runs": [...], "nextCursor", "previousCursor", "totals": {...}}}. */
    static JsonObject page(RunPage page) {
        JsonArrayBuilder runs = Jsonp.createArrayBuilder();
        page.runs().forEach(r -> runs.add(run(r)));
        JsonObjectBuilder json = Jsonp.createObjectBuilder().add("runs", runs);
        text(json, "nextCursor", page.nextCursor());
        text(json, "previousCursor", page.previousCursor());
        return json.add("totals", totals(page.totals())).build();
    }

    /** Runs per status, and whether the counts are exact or PostgreSQL's estimates. */
    static JsonObjectBuilder totals(StatusTotals totals) {
        JsonObjectBuilder json = Jsonp.createObjectBuilder();
        totals.counts().forEach((status, count) -> json.add(status.dbValue(), count));
        return json.add("exact", totals.exact());
    }

    static JsonValue orNull(JsonValue value) {
        return value == null ? JsonValue.NULL : value;
    }

    static void text(JsonObjectBuilder json, String name, String value) {
        if (value == null) {
            json.addNull(name);
        } else {
            json.add(name, value);
        }
    }

    static void number(JsonObjectBuilder json, String name, Integer value) {
        if (value == null) {
            json.addNull(name);
        } else {
            json.add(name, value);
        }
    }

    static void time(JsonObjectBuilder json, String name, OffsetDateTime value) {
        text(json, name, value == null ? null : value.toString());
    }
}
