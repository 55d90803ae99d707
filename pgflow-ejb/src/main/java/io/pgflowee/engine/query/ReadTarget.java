package io.pgflowee.engine.query;

import java.security.Principal;

import io.pgflowee.engine.db.ReadReplicas;
import jakarta.ejb.SessionContext;
import jakarta.persistence.EntityManager;

/**
 * Where a query class reads ({@link ReadReplicas}): the replica's persistence unit while reads are
 * on the replica and the caller's own last change has reached it, the primary's otherwise (and
 * always outside a container, where only the primary's is given).
 */
final class ReadTarget {

    private ReadTarget() {
    }

    static EntityManager pick(EntityManager primary, EntityManager replica, ReadReplicas replicas, SessionContext context) {
        if (replica == null || replicas == null || !replicas.configured()) {
            return primary;
        }
        return replicas.readOnReplica(caller(context)) ? replica : primary;
    }

    /** The signed-in person the read is for; null for the server's own reads (timers, metrics). */
    static String caller(SessionContext context) {
        if (context == null) {
            return null;
        }
        try {
            Principal p = context.getCallerPrincipal();
            return p == null || "ANONYMOUS".equals(p.getName()) ? null : p.getName();
        } catch (IllegalStateException e) {
            return null;
        }
    }
}
