package io.pgflowee.engine.model;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;

import jakarta.json.JsonValue;
import jakarta.persistence.Column;
import io.pgflowee.api.flow.StepType;
import io.pgflowee.api.flow.WhenExhausted;
import io.pgflowee.api.flow.WhenUnmet;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.OneToMany;
import jakarta.persistence.Table;

/** A row of {@code pgflow.steps}: one step of a flow, with its options and condition. Read-only. */
@Entity
@Table(schema = "pgflow", name = "steps")
@IdClass(StepRecord.Key.class)
@EntityListeners(ReadOnlyGuard.class)
public class StepRecord {

    /** (flow slug, step slug). */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private String flowSlug;
        private String stepSlug;

        public Key() {
        }

        public Key(String flowSlug, String stepSlug) {
            this.flowSlug = flowSlug;
            this.stepSlug = stepSlug;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(flowSlug, k.flowSlug) && Objects.equals(stepSlug, k.stepSlug);
        }

        @Override
        public int hashCode() {
            return Objects.hash(flowSlug, stepSlug);
        }
    }

    @Id
    @Column(name = "flow_slug")
    private String flowSlug;

    @Id
    @Column(name = "step_slug")
    private String stepSlug;

    @Column(name = "step_type")
    @Convert(converter = Converters.StepTypeConverter.class)
    private StepType stepType;

    @Column(name = "step_index")
    private int stepIndex;

    @Column(name = "deps_count")
    private int depsCount;

    @Column(name = "opt_max_attempts")
    private Integer maxAttempts;

    @Column(name = "opt_base_delay")
    private Integer baseDelay;

    @Column(name = "opt_timeout")
    private Integer timeout;

    @Column(name = "opt_start_delay")
    private Integer startDelay;

    @Column(name = "required_input_pattern")
    @Convert(converter = Converters.JsonConverter.class)
    private JsonValue requiredInputPattern;

    @Column(name = "forbidden_input_pattern")
    @Convert(converter = Converters.JsonConverter.class)
    private JsonValue forbiddenInputPattern;

    @Column(name = "when_unmet")
    @Convert(converter = Converters.WhenUnmetConverter.class)
    private WhenUnmet whenUnmet;

    @Column(name = "when_exhausted")
    @Convert(converter = Converters.WhenExhaustedConverter.class)
    private WhenExhausted whenExhausted;

    @Column(name = "subflow_slug")
    private String subflowSlug;

    @Column(name = "created_at")
    private OffsetDateTime createdAt;

    @ManyToOne
    @JoinColumn(name = "flow_slug", insertable = false, updatable = false)
    private FlowRecord flow;

    @OneToMany(mappedBy = "step")
    private List<DependencyRecord> dependencies;

    public String flowSlug() {
        return flowSlug;
    }

    public String stepSlug() {
        return stepSlug;
    }

    public StepType stepType() {
        return stepType;
    }

    public int stepIndex() {
        return stepIndex;
    }

    public int depsCount() {
        return depsCount;
    }

    /** The step's own option, or null when the flow's applies. */
    public Integer maxAttempts() {
        return maxAttempts;
    }

    public Integer baseDelay() {
        return baseDelay;
    }

    public Integer timeout() {
        return timeout;
    }

    public Integer startDelay() {
        return startDelay;
    }

    /** The {@code when} condition ({@code if}), or null. */
    public JsonValue requiredInputPattern() {
        return requiredInputPattern;
    }

    /** The {@code unless} condition ({@code ifNot}), or null. */
    public JsonValue forbiddenInputPattern() {
        return forbiddenInputPattern;
    }

    public WhenUnmet whenUnmet() {
        return whenUnmet;
    }

    public WhenExhausted whenExhausted() {
        return whenExhausted;
    }

    /** A subflow or map_subflow step: the flow its tasks start a child run of; null for other steps. */
    public String subflowSlug() {
        return subflowSlug;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public FlowRecord flow() {
        return flow;
    }

    /** The steps this one depends on. */
    public List<DependencyRecord> dependencies() {
        return dependencies;
    }
}
