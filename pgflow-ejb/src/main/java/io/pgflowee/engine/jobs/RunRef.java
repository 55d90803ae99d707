package io.pgflowee.engine.jobs;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A run a job acts on, with the time that orders it (keyset: started_at for bulk jobs, the finish time for pruning; then run_id). */
public record RunRef(UUID runId, OffsetDateTime startedAt) implements Serializable {

    /** The rows (run_id, the ordering time) of a query, in order. */
    public static java.util.List<RunRef> all(java.sql.PreparedStatement ps) throws java.sql.SQLException {
        java.util.List<RunRef> out = new java.util.ArrayList<>();
        try (java.sql.ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new RunRef(rs.getObject(1, UUID.class), rs.getObject(2, OffsetDateTime.class)));
            }
        }
        return out;
    }

    /** The checkpoint text of this run: {@code <started_at>|<run_id>}. */
    String checkpoint() {
        return startedAt + "|" + runId;
    }

    /** The run of a {@link #checkpoint()} text. */
    static RunRef fromCheckpoint(String checkpoint) {
        String[] at = checkpoint.split("\\|", 2);
        return new RunRef(UUID.fromString(at[1]), OffsetDateTime.parse(at[0]));
    }
}
