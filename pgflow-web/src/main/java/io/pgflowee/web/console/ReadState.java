package io.pgflowee.web.console;

import io.pgflowee.engine.db.ReadReplicas;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The console's note about where its pages read ({@link ReadReplicas}): shown on every page while a
 * configured replica is more than a second behind (the page may miss the last second's changes),
 * or while reads are on the primary because the replica is down or too far behind. Nothing without
 * a replica, or with one close behind.
 */
@Named("readState")
@RequestScoped
public class ReadState {

    /** Lag a person notices on a live page. */
    static final long SHOWN_FROM_MILLIS = 1_000;

    @Inject
    ReadReplicas replicas;

    public boolean isShown() {
        return text() != null;
    }

    public String getText() {
        return text();
    }

    String text() {
        if (replicas == null || !replicas.configured()) {
            return null;
        }
        ReadReplicas.Status status = replicas.status();
        if (status.readsOnReplica()) {
            return status.lagMillis() > SHOWN_FROM_MILLIS
                    ? String.format(java.util.Locale.ROOT, "Pages read a replica %.1f s behind the primary: the last changes may be missing.",
                            status.lagMillis() / 1000.0)
                    : null;
        }
        return "Pages read the primary: " + status.reason() + ".";
    }
}
