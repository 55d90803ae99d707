package io.pgflowee.engine.jobs.prune;

import java.util.Properties;

import io.pgflowee.engine.jobs.JobCheck;
import io.pgflowee.engine.jobs.JobService.JobRefusal;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * pgflow-prune: the flows (existing ones), retention (an ISO-8601 duration), exportDir, chunkSize.
 */
@ApplicationScoped
public class PruneCheck implements JobCheck {

    @Inject
    FlowQueries flows;

    @Override
    public String job() {
        return "pgflow-prune";
    }

    @Override
    public void check(Properties p) throws JobRefusal {
        JobCheck.known(p, "pgflow-prune", "flows", "retention", "exportDir", "chunkSize");
        for (String flow : p.getProperty("flows", "").split(",")) {
            if (!flow.isBlank()) {
                JobCheck.existingFlow(flows, flow.trim());
            }
        }
        String retention = p.getProperty("retention");
        if (retention != null) {
            try {
                if (java.time.Duration.parse(retention).isNegative()) {
                    throw new java.time.format.DateTimeParseException("negative", retention, 0);
                }
            } catch (java.time.format.DateTimeParseException e) {
                throw new JobRefusal("retention must be an ISO-8601 duration such as P30D or PT12H, got '" + retention + "'", false);
            }
        }
        JobCheck.wholeNumber(p, "chunkSize", 1, 10_000);
    }
}
