package io.pgflowee.engine.jobs.bulk;

import java.util.Properties;

import io.pgflowee.engine.jobs.JobCheck;
import io.pgflowee.engine.jobs.JobService.JobRefusal;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * pgflow-bulk-retry: the selection (flow, status, started between, error text), mode retry or restart, chunkSize.
 */
@ApplicationScoped
public class BulkRetryCheck implements JobCheck {

    @Inject
    FlowQueries flows;

    @Override
    public String job() {
        return "pgflow-bulk-retry";
    }

    @Override
    public void check(Properties p) throws JobRefusal {
        JobCheck.known(p, "pgflow-bulk-retry", "flow", "status", "startedAfter", "startedBefore", "errorContains", "mode", "chunkSize");
        JobCheck.existingFlow(flows, p.getProperty("flow"));
        try {
            RunSelection.of(p);
        } catch (IllegalArgumentException e) {
            throw new JobRefusal(e.getMessage(), false);
        }
        String mode = p.getProperty("mode", "retry");
        if (!mode.equals("retry") && !mode.equals("restart")) {
            throw new JobRefusal("mode must be retry (in place) or restart (as new runs), got '" + mode + "'", false);
        }
        JobCheck.wholeNumber(p, "chunkSize", 1, 10_000);
    }
}
