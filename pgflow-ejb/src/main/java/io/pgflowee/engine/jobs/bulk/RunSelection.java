package io.pgflowee.engine.jobs.bulk;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Which runs a bulk job acts on: flow (all when null), statuses (default failed), started from /
 * before (ISO-8601 with offset), and text a failed step's error contains (case-insensitive).
 */
public record RunSelection(String flow, List<String> statuses, OffsetDateTime startedAfter, OffsetDateTime startedBefore,
                           String errorContains) {

    /**
     * From job parameters; an invalid one throws IllegalArgumentException naming it. The runs of
     * pgflow-cancel-stuck ({@code mode=cancel}) are the started ones; the others' are failed and/or cancelled.
     */
    public static RunSelection of(Properties p) {
        List<String> statuses = new ArrayList<>();
        if ("cancel".equals(p.getProperty("mode"))) {
            statuses.add("started");
        } else {
            for (String s : p.getProperty("status", "failed").split(",")) {
                String status = s.trim();
                if (!status.equals("failed") && !status.equals("cancelled")) {
                    throw new IllegalArgumentException("status must be failed, cancelled or both (failed,cancelled), got '" + status + "'");
                }
                statuses.add(status);
            }
        }
        return new RunSelection(blankToNull(p.getProperty("flow")), List.copyOf(statuses), time(p, "startedAfter"), time(p, "startedBefore"),
                blankToNull(p.getProperty("errorContains")));
    }

    private static OffsetDateTime time(Properties p, String name) {
        String v = blankToNull(p.getProperty(name));
        if (v == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(v);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be an ISO-8601 time with an offset (2026-11-28T00:00:00Z), got '" + v + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
