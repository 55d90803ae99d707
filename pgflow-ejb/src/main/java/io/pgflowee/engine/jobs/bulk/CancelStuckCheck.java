package io.pgflowee.engine.jobs.bulk;

import java.util.Properties;

import io.pgflowee.engine.jobs.JobCheck;
import io.pgflowee.engine.jobs.JobService.JobRefusal;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * pgflow-cancel-stuck: olderThan (required) becomes the fixed cutoff startedBefore (now minus it), so a
 * restart cancels the same runs; mode cancel selects started runs; reason defaults to one that names
 * the limit.
 */
@ApplicationScoped
public class CancelStuckCheck implements JobCheck {

    @Inject
    FlowQueries flows;

    @Override
    public String job() {
        return "pgflow-cancel-stuck";
    }

    @Override
    public void check(Properties p) throws JobRefusal {
        JobCheck.known(p, "pgflow-cancel-stuck", "flow", "olderThan", "reason", "chunkSize");
        JobCheck.existingFlow(flows, p.getProperty("flow"));
        String olderThan = p.getProperty("olderThan");
        if (olderThan == null) {
            throw new JobRefusal("parameter 'olderThan' is required: how long ago a still started run must have begun, as an ISO-8601"
                    + " duration (PT6H, P2D)", false);
        }
        java.time.Duration limit;
        try {
            limit = java.time.Duration.parse(olderThan);
        } catch (java.time.format.DateTimeParseException e) {
            throw new JobRefusal("olderThan must be an ISO-8601 duration such as PT6H or P2D, got '" + olderThan + "'", false);
        }
        if (limit.isNegative() || limit.isZero()) {
            throw new JobRefusal("olderThan must be longer than zero, got '" + olderThan + "'", false);
        }
        p.setProperty("mode", "cancel");
        p.setProperty("startedBefore", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minus(limit).toString());
        if (p.getProperty("reason") == null) {
            p.setProperty("reason", "stuck: still running " + olderThan + " after its start (pgflow-cancel-stuck)");
        }
        JobCheck.wholeNumber(p, "chunkSize", 1, 10_000);
    }
}
