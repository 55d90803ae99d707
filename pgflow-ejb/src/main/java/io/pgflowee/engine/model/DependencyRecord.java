package io.pgflowee.engine.model;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.JoinColumns;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

/** A row of {@code pgflow.deps}: step {@code stepSlug} depends on step {@code depSlug}. Read-only. */
@Entity
@Table(schema = "pgflow", name = "deps")
@IdClass(DependencyRecord.Key.class)
@EntityListeners(ReadOnlyGuard.class)
public class DependencyRecord {

    /** (flow slug, dependency slug, step slug). */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private String flowSlug;
        private String depSlug;
        private String stepSlug;

        public Key() {
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(flowSlug, k.flowSlug) && Objects.equals(depSlug, k.depSlug)
                    && Objects.equals(stepSlug, k.stepSlug);
        }

        @Override
        public int hashCode() {
            return Objects.hash(flowSlug, depSlug, stepSlug);
        }
    }

    @Id
    @Column(name = "flow_slug")
    private String flowSlug;

    @Id
    @Column(name = "dep_slug")
    private String depSlug;

    @Id
    @Column(name = "step_slug")
    private String stepSlug;

    @Column(name = "created_at")
    private OffsetDateTime createdAt;

    @ManyToOne
    @JoinColumns({
        @JoinColumn(name = "flow_slug", referencedColumnName = "flow_slug", insertable = false, updatable = false),
        @JoinColumn(name = "step_slug", referencedColumnName = "step_slug", insertable = false, updatable = false)})
    private StepRecord step;

    public String flowSlug() {
        return flowSlug;
    }

    /** The step depended on. */
    public String depSlug() {
        return depSlug;
    }

    /** The dependent step. */
    public String stepSlug() {
        return stepSlug;
    }

    public OffsetDateTime createdAt() {
        return createdAt;
    }

    public StepRecord step() {
        return step;
    }
}
