package io.pgflowee.engine.query;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The child runs that one subflow step of one run started: how many per status (all of them, however
 * many) and the ones listed (at most the limit asked for: failed and running children first, then by
 * element).
 *
 * @param counts child runs per status ({@code started}, {@code completed}, {@code failed}, {@code cancelled})
 */
public record ChildGroup(UUID parentRunId, String stepSlug, Map<String, Long> counts, List<FamilyMember> listed) {

    /** All child runs of the step, listed or not. */
    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
