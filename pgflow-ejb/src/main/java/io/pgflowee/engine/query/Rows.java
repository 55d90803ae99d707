package io.pgflowee.engine.query;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.persistence.EntityManager;

/** Column values of native query rows as the read model's types. */
final class Rows {

    private Rows() {
    }

    static long num(Object o) {
        return ((Number) o).longValue();
    }

    static UUID uuid(Object o) {
        return o instanceof UUID u ? u : UUID.fromString(o.toString());
    }

    static OffsetDateTime time(Object o) {
        if (o == null || o instanceof OffsetDateTime) {
            return (OffsetDateTime) o;
        }
        if (o instanceof java.sql.Timestamp ts) {
            return ts.toInstant().atOffset(ZoneOffset.UTC);
        }
        throw new IllegalStateException("unexpected timestamp type " + o.getClass().getName());
    }

    /** The database's clock ({@code clock_timestamp()}), so ages do not depend on this server's clock. */
    static OffsetDateTime databaseNow(EntityManager em) {
        return time(em.createNativeQuery("SELECT clock_timestamp()").getSingleResult());
    }
}
