package io.pgflowee.engine.query;

import java.security.Principal;

import io.pgflowee.engine.db.ReadReplicas;
import jakarta.annotation.Resource;
import jakarta.ejb.SessionContext;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;

/**
 * What every query class of the read model shares: the primary's persistence unit, the replica's,
 * and {@link #em()}, where each read goes ({@link ReadReplicas}): the replica's unit while reads are
 * on the replica and the caller's own last change has reached it, the primary's otherwise (and
 * always outside a container, where only the primary's is given). Queries call {@link #em()},
 * never the field.
 */
public abstract class ReadModelQueries {

    @PersistenceContext(unitName = "pgflow")
    EntityManager em;

    /** The same read model on the replica; null outside a container. */
    @PersistenceContext(unitName = "pgflow-read")
    EntityManager replicaEm;

    @Inject
    ReadReplicas replicas;

    @Resource
    SessionContext session;

    ReadModelQueries() {
    }

    /** Outside a container (tests, tools): every read on {@code em}. */
    ReadModelQueries(EntityManager em) {
        this.em = em;
    }

    /** Where this read goes: the replica while it is up and has the caller's last change, else the primary. */
    EntityManager em() {
        if (replicaEm == null || replicas == null || !replicas.configured()) {
            return em;
        }
        return replicas.readOnReplica(caller()) ? replicaEm : em;
    }

    /** The signed-in person the read is for; null for the server's own reads (timers, metrics). */
    private String caller() {
        if (session == null) {
            return null;
        }
        try {
            Principal p = session.getCallerPrincipal();
            return p == null || "ANONYMOUS".equals(p.getName()) ? null : p.getName();
        } catch (IllegalStateException e) {
            return null;
        }
    }
}
