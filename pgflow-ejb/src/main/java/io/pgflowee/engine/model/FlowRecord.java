package io.pgflowee.engine.model;

import java.time.OffsetDateTime;
import java.util.List;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;

/** A row of {@code pgflow.flows}: a flow definition with its options and operator settings. Read-only. */
@Entity
@Table(schema = "pgflow", name = "flows")
@EntityListeners(ReadOnlyGuard.class)
public class FlowRecord {

    @Id
    @Column(name = "flow_slug")
    private String flowSlug;

    @Column(name = "opt_max_attempts")
    private int maxAttempts;

    @Column(name = "opt_base_delay")
    private int baseDelay;

    @Column(name = "opt_timeout")
    private int timeout;

    @Column(name = "created_at")
    private OffsetDateTime createdAt;

    @Column(name = "paused_at")
    private OffsetDateTime pausedAt;

    @Column(name = "max_running")
    private Integer maxRunning;

    @Column(name = "max_running_per_key")
    private Integer maxRunningPerKey;

    @Column(name = "rate_per_second")
    private java.math.BigDecimal ratePerSecond;

    @Column(name = "rate_burst")
    private Integer rateBurst;

    @Column(name = "rate_per_key")
    private boolean ratePerKey;

    @OneToMany(mappedBy = "flow")
    @OrderBy("stepIndex")
    private List<StepRecord> steps;

    public String flowSlug() {
        return flowSlug;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public int baseDelay() {
        return baseDelay;
    }

    public int timeout() {
        return timeout;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    /** When {@code pause_flow} paused it, or null while it runs. */
    public OffsetDateTime pausedAt() {
        return pausedAt;
    }

    /** The {@code set_flow_concurrency} limit, or null. */
    public Integer maxRunning() {
        return maxRunning;
    }

    /** Its steps in step order (a topological order). */
    public List<StepRecord> steps() {
        return steps;
    }

    /** set_key_concurrency's limit per concurrency key, or null. */
    public Integer maxRunningPerKey() {
        return maxRunningPerKey;
    }

    /** set_rate_limit's tasks per second, or null for no rate limit. */
    public java.math.BigDecimal ratePerSecond() {
        return ratePerSecond;
    }

    /** The rate limit's burst (bucket size), or null. */
    public Integer rateBurst() {
        return rateBurst;
    }

    /** Whether each concurrency key has its own bucket. */
    public boolean ratePerKey() {
        return ratePerKey;
    }
}
