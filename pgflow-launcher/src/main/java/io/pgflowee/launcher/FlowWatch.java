package io.pgflowee.launcher;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Tells, while the server runs, when a flow stops running here and when it runs again: a flow that
 * differs from the database, is missing or invalid does not stop the others (readiness stays UP),
 * so the launcher says it in one line with the fix, once, and says when it runs again.
 */
final class FlowWatch {

    private final Consumer<String> out;
    private final Map<String, String> known = new HashMap<>();

    FlowWatch(Consumer<String> out) {
        this.out = out;
    }

    /** Reads one readiness answer (any status); prints what changed for each flow since the last one. */
    void seen(String body) {
        ReadinessReasons.flowStates(body).forEach((slug, value) -> {
            String before = known.put(slug, value);
            boolean runs = ReadinessReasons.runs(value);
            if (!runs && !value.equals(before)) {
                String message = value.contains(": ") ? value.substring(value.indexOf(": ") + 2) : value;
                out.accept("pgflow: flow " + slug + " does not run (every other flow does): " + message);
            } else if (runs && before != null && !ReadinessReasons.runs(before)) {
                out.accept("pgflow: flow " + slug + " runs now (" + value + ")");
            }
        });
    }
}
