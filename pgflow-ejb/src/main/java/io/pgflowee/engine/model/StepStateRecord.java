package io.pgflowee.engine.model;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.List;
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
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;

/** A row of {@code pgflow.step_states}: one step of one run. Read-only. */
@Entity
@Table(schema = "pgflow", name = "step_states")
@IdClass(StepStateRecord.Key.class)
@EntityListeners(ReadOnlyGuard.class)
public class StepStateRecord {

    /** (run id, step slug). */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private UUID runId;
        private String stepSlug;

        public Key() {
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(runId, k.runId) && Objects.equals(stepSlug, k.stepSlug);
        }

        @Override
        public int hashCode() {
            return Objects.hash(runId, stepSlug);
        }
    }

    @Id
    @Column(name = "run_id")
    private UUID runId;

    @Id
    @Column(name = "step_slug")
    private String stepSlug;

    @Column(name = "flow_slug")
    private String flowSlug;

    @Column(name = "status")
    @Convert(converter = Converters.StepStatusConverter.class)
    private StepStatus status;

    @Column(name = "remaining_tasks")
    private Integer remainingTasks;

    @Column(name = "initial_tasks")
    private Integer initialTasks;

    @Column(name = "remaining_deps")
    private int remainingDeps;

    @Column(name = "output")
    @Convert(converter = Converters.JsonConverter.class)
    private JsonValue output;

    @Column(name = "error_message")
    private String errorMessage;

    @Column(name = "skip_reason")
    @Convert(converter = Converters.SkipReasonConverter.class)
    private SkipReason skipReason;

    @Column(name = "created_at")
    private OffsetDateTime createdAt;

    @Column(name = "started_at")
    private OffsetDateTime startedAt;

    @Column(name = "completed_at")
    private OffsetDateTime completedAt;

    @Column(name = "failed_at")
    private OffsetDateTime failedAt;

    @Column(name = "skipped_at")
    private OffsetDateTime skippedAt;

    @Column(name = "cancelled_at")
    private OffsetDateTime cancelledAt;

    /** A waiting signal step: when tick() fails it for want of a signal (null: it waits forever). */
    @Column(name = "wait_deadline")
    private OffsetDateTime waitDeadline;

    /** A signal step: the payload send_signal delivered or buffered. */
    @Column(name = "signal_payload")
    @Convert(converter = Converters.JsonConverter.class)
    private JsonValue signalPayload;

    /** A signal step: when its signal came (null: none yet). */
    @Column(name = "signal_at")
    private OffsetDateTime signalAt;

    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "run_id", insertable = false, updatable = false)
    private RunRecord run;

    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumns({
        @JoinColumn(name = "flow_slug", referencedColumnName = "flow_slug", insertable = false, updatable = false),
        @JoinColumn(name = "step_slug", referencedColumnName = "step_slug", insertable = false, updatable = false)})
    private StepRecord step;

    @OneToMany(mappedBy = "stepState")
    @OrderBy("taskIndex")
    private List<TaskRecord> tasks;

    public UUID runId() {
        return runId;
    }

    public String stepSlug() {
        return stepSlug;
    }

    public String flowSlug() {
        return flowSlug;
    }

    public StepStatus status() {
        return status;
    }

    public Integer remainingTasks() {
        return remainingTasks;
    }

    /** Tasks of the step: 1 for a single step, the element count for a map, null while unknown. */
    public Integer initialTasks() {
        return initialTasks;
    }

    public int remainingDeps() {
        return remainingDeps;
    }

    public JsonValue output() {
        return output;
    }

    public String errorMessage() {
        return errorMessage;
    }

    public SkipReason skipReason() {
        return skipReason;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
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

    public OffsetDateTime skippedAt() {
        return skippedAt;
    }

    public OffsetDateTime waitDeadline() {
        return waitDeadline;
    }

    public JsonValue signalPayload() {
        return signalPayload;
    }

    public OffsetDateTime signalAt() {
        return signalAt;
    }

    public OffsetDateTime cancelledAt() {
        return cancelledAt;
    }

    public RunRecord run() {
        return run;
    }

    /** The step's definition (type, options, position). */
    public StepRecord step() {
        return step;
    }

    /** Its tasks by task index. */
    public List<TaskRecord> tasks() {
        return tasks;
    }
}
