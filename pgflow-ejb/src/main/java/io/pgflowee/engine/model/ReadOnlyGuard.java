package io.pgflowee.engine.model;

import jakarta.persistence.PrePersist;
import jakarta.persistence.PreRemove;
import jakarta.persistence.PreUpdate;

/**
 * Makes every attempt to write an engine entity through JPA fail loudly: state changes only
 * through the {@code pgflow.*} SQL functions ({@link io.pgflowee.engine.control.EngineOperations}),
 * which keep counters, queues and events consistent in one transaction.
 */
public class ReadOnlyGuard {

    @PrePersist
    @PreUpdate
    @PreRemove
    void refuse(Object entity) {
        throw new UnsupportedOperationException("pgflow entities are read-only (" + entity.getClass().getSimpleName()
                + "): change engine state through the pgflow.* SQL functions, from Java with EngineOperations");
    }
}
