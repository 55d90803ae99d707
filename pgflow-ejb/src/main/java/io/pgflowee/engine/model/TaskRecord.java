package io.pgflowee.engine.model;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.UUID;

import jakarta.json.JsonValue;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.JoinColumns;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

/** A row of {@code pgflow.step_tasks}: one task (one element of a map) and its latest attempt. Read-only. */
@Entity
@Table(schema = "pgflow", name = "step_tasks")
@IdClass(TaskRecord.Key.class)
@EntityListeners(ReadOnlyGuard.class)
public class TaskRecord {

    /** (run id, step slug, task index). */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private UUID runId;
        private String stepSlug;
        private int taskIndex;

        public Key() {
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(runId, k.runId) && Objects.equals(stepSlug, k.stepSlug) && taskIndex == k.taskIndex;
        }

        @Override
        public int hashCode() {
            return Objects.hash(runId, stepSlug, taskIndex);
        }
    }

    @Id
    @Column(name = "run_id")
    private UUID runId;

    @Id
    @Column(name = "step_slug")
    private String stepSlug;

    @Id
    @Column(name = "task_index")
    private int taskIndex;

    @Column(name = "flow_slug")
    private String flowSlug;

    @Column(name = "status")
    @Convert(converter = Converters.TaskStatusConverter.class)
    private TaskStatus status;

    @Column(name = "attempts_count")
    private int attemptsCount;

    @Column(name = "error_message")
    private String errorMessage;

    @Column(name = "output")
    @Convert(converter = Converters.JsonConverter.class)
    private JsonValue output;

    @Column(name = "queued_at")
    private OffsetDateTime queuedAt;

    @Column(name = "started_at")
    private OffsetDateTime startedAt;

    @Column(name = "completed_at")
    private OffsetDateTime completedAt;

    @Column(name = "failed_at")
    private OffsetDateTime failedAt;

    @Column(name = "cancelled_at")
    private OffsetDateTime cancelledAt;

    @Column(name = "last_worker_id")
    @Convert(converter = Converters.NullableUuidConverter.class)
    private UUID lastWorkerId;

    @Column(name = "requeued_count")
    private int requeuedCount;

    @Column(name = "last_requeued_at")
    private OffsetDateTime lastRequeuedAt;

    @Column(name = "permanently_stalled_at")
    private OffsetDateTime permanentlyStalledAt;

    @Column(name = "child_run_id")
    @Convert(converter = Converters.NullableUuidConverter.class)
    private UUID childRunId;

    @Column(name = "visible_at")
    private OffsetDateTime visibleAt;

    @Column(name = "concurrency_key")
    private String concurrencyKey;

    @Column(name = "priority")
    private int priority;

    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumns({
        @JoinColumn(name = "run_id", referencedColumnName = "run_id", insertable = false, updatable = false),
        @JoinColumn(name = "step_slug", referencedColumnName = "step_slug", insertable = false, updatable = false)})
    private StepStateRecord stepState;

    public UUID runId() {
        return runId;
    }

    public String stepSlug() {
        return stepSlug;
    }

    public int taskIndex() {
        return taskIndex;
    }

    public String flowSlug() {
        return flowSlug;
    }

    public TaskStatus status() {
        return status;
    }

    /** Attempts so far (the current one included while started). */
    public int attemptsCount() {
        return attemptsCount;
    }

    /** The last attempt's error (kept after a later success or a retry_run). */
    public String errorMessage() {
        return errorMessage;
    }

    public JsonValue output() {
        return output;
    }

    public OffsetDateTime queuedAt() {
        return queuedAt;
    }

    public OffsetDateTime startedAt() {
        return startedAt;
    }

    public OffsetDateTime completedAt() {
        return completedAt;
    }

    public OffsetDateTime failedAt() {
        return failedAt;
    }

    public OffsetDateTime cancelledAt() {
        return cancelledAt;
    }

    /** The worker of the latest attempt. */
    public UUID lastWorkerId() {
        return lastWorkerId;
    }

    public int requeuedCount() {
        return requeuedCount;
    }

    public OffsetDateTime lastRequeuedAt() {
        return lastRequeuedAt;
    }

    public OffsetDateTime permanentlyStalledAt() {
        return permanentlyStalledAt;
    }

    /** A subflow step's task: the child run it waits for (or last waited for); null before its first child. */
    public UUID childRunId() {
        return childRunId;
    }

    /** Queued: when it becomes claimable; started: when its lease ends; far future: never (orphaned or cancelled). */
    public OffsetDateTime visibleAt() {
        return visibleAt;
    }

    public StepStateRecord stepState() {
        return stepState;
    }

    /** The run's concurrency key copied onto the task ("" for a run without a key). */
    public String concurrencyKey() {
        return concurrencyKey;
    }

    /** The task's priority (its run's). */
    public int priority() {
        return priority;
    }
}
