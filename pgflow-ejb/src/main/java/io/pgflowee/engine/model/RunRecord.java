package io.pgflowee.engine.model;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

import jakarta.json.JsonValue;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.OneToMany;
import jakarta.persistence.Table;

/** A row of {@code pgflow.runs}. Read-only: runs change through the pgflow.* SQL functions. */
@Entity
@Table(schema = "pgflow", name = "runs")
@EntityListeners(ReadOnlyGuard.class)
public class RunRecord {

    @Id
    @Column(name = "run_id")
    private UUID runId;

    @Column(name = "flow_slug")
    private String flowSlug;

    @Column(name = "status")
    @Convert(converter = Converters.RunStatusConverter.class)
    private RunStatus status;

    @Column(name = "input")
    @Convert(converter = Converters.JsonConverter.class)
    private JsonValue input;

    @Column(name = "output")
    @Convert(converter = Converters.JsonConverter.class)
    private JsonValue output;

    @Column(name = "remaining_steps")
    private int remainingSteps;

    @Column(name = "started_at")
    private OffsetDateTime startedAt;

    @Column(name = "completed_at")
    private OffsetDateTime completedAt;

    @Column(name = "failed_at")
    private OffsetDateTime failedAt;

    @Column(name = "cancelled_at")
    private OffsetDateTime cancelledAt;

    @Column(name = "cancel_reason")
    private String cancelReason;

    @Column(name = "retry_count")
    private int retryCount;

    @Column(name = "last_retried_at")
    private OffsetDateTime lastRetriedAt;

    @Column(name = "restart_of_run_id")
    @Convert(converter = Converters.NullableUuidConverter.class)
    private UUID restartOfRunId;

    @Column(name = "parent_run_id")
    @Convert(converter = Converters.NullableUuidConverter.class)
    private UUID parentRunId;

    @Column(name = "parent_step_slug")
    private String parentStepSlug;

    @Column(name = "parent_task_index")
    private Integer parentTaskIndex;

    @Column(name = "root_run_id")
    @Convert(converter = Converters.NullableUuidConverter.class)
    private UUID rootRunId;

    @Column(name = "timeout_at")
    private OffsetDateTime timeoutAt;

    @Column(name = "idempotency_key")
    private String idempotencyKey;

    @Column(name = "concurrency_key")
    private String concurrencyKey;

    @Column(name = "priority")
    private int priority;

    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "flow_slug", insertable = false, updatable = false)
    private FlowRecord flow;

    @OneToMany(mappedBy = "run")
    private List<StepStateRecord> stepStates;

    public UUID runId() {
        return runId;
    }

    public String flowSlug() {
        return flowSlug;
    }

    public RunStatus status() {
        return status;
    }

    public JsonValue input() {
        return input;
    }

    /** The leaf steps' outputs once completed, else null. */
    public JsonValue output() {
        return output;
    }

    public int remainingSteps() {
        return remainingSteps;
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

    public String cancelReason() {
        return cancelReason;
    }

    public int retryCount() {
        return retryCount;
    }

    public OffsetDateTime lastRetriedAt() {
        return lastRetriedAt;
    }

    /** A child run: the run whose subflow step started it; null for a run nobody started. */
    public UUID parentRunId() {
        return parentRunId;
    }

    /** A child run: the parent's subflow step that started it. */
    public String parentStepSlug() {
        return parentStepSlug;
    }

    /** A child run: the task of the parent's step that started it (the element of a map subflow). */
    public Integer parentTaskIndex() {
        return parentTaskIndex;
    }

    /** The run at the top of this run's family: itself when nobody started it. */
    public UUID rootRunId() {
        return rootRunId == null ? runId : rootRunId;
    }

    /** A child of a subflow step with a timeout: when {@code pgflow.tick()} fails it; null without a bound. */
    public OffsetDateTime timeoutAt() {
        return timeoutAt;
    }

    public UUID restartOfRunId() {
        return restartOfRunId;
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** When it completed, failed or was cancelled; null while started. */
    public OffsetDateTime finishedAt() {
        return completedAt != null ? completedAt : failedAt != null ? failedAt : cancelledAt;
    }

    public FlowRecord flow() {
        return flow;
    }

    /** Its step states, in no particular order (the run detail query orders them by step). */
    public List<StepStateRecord> stepStates() {
        return stepStates;
    }

    /** The run's concurrency key (start_flow's concurrency_key), or null. */
    public String concurrencyKey() {
        return concurrencyKey;
    }

    /** The run's priority, -100..100 (higher claimed first). */
    public int priority() {
        return priority;
    }
}
