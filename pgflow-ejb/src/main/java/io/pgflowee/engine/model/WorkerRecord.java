package io.pgflowee.engine.model;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of {@code pgflow.workers}: one worker of one flow on one server. Read-only. */
@Entity
@Table(schema = "pgflow", name = "workers")
@EntityListeners(ReadOnlyGuard.class)
public class WorkerRecord {

    @Id
    @Column(name = "worker_id")
    private UUID workerId;

    /** The flow slug it claims from. */
    @Column(name = "queue_name")
    private String queueName;

    /** Its server (host and process). */
    @Column(name = "function_name")
    private String functionName;

    @Column(name = "started_at")
    private OffsetDateTime startedAt;

    @Column(name = "deprecated_at")
    private OffsetDateTime deprecatedAt;

    @Column(name = "stopped_at")
    private OffsetDateTime stoppedAt;

    @Column(name = "last_heartbeat")
    private OffsetDateTime lastHeartbeat;

    @Column(name = "idle")
    private boolean idle;

    public UUID workerId() {
        return workerId;
    }

    public String queueName() {
        return queueName;
    }

    public String functionName() {
        return functionName;
    }

    public OffsetDateTime startedAt() {
        return startedAt;
    }

    public OffsetDateTime deprecatedAt() {
        return deprecatedAt;
    }

    public OffsetDateTime stoppedAt() {
        return stoppedAt;
    }

    public OffsetDateTime lastHeartbeat() {
        return lastHeartbeat;
    }

    public boolean idle() {
        return idle;
    }
}
