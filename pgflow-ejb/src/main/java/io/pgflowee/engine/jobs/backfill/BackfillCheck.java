package io.pgflowee.engine.jobs.backfill;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Properties;

import io.pgflowee.engine.jobs.JobCheck;
import io.pgflowee.engine.jobs.JobService.JobRefusal;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * pgflow-backfill: a flow that exists and exactly one source, a readable file on this server or a query
 * that reads as (key, input) rows; format, chunkSize, skipLimit.
 */
@ApplicationScoped
public class BackfillCheck implements JobCheck {

    @Inject
    FlowQueries flows;

    @Inject
    BackfillDatabase database;

    @Override
    public String job() {
        return "pgflow-backfill";
    }

    @Override
    public void check(Properties p) throws JobRefusal {
        JobCheck.known(p, "pgflow-backfill", "flow", "path", "sql", "format", "chunkSize", "skipLimit");
        String flow = p.getProperty("flow");
        if (flow == null) {
            throw new JobRefusal("parameter 'flow' is required: the flow to start runs of", false);
        }
        JobCheck.existingFlow(flows, flow);
        boolean path = p.getProperty("path") != null;
        boolean sql = p.getProperty("sql") != null;
        if (path == sql) {
            throw new JobRefusal("give exactly one source: 'path' (a CSV or JSON-lines file on the server) or 'sql' (a query"
                    + " returning the columns key and input)", false);
        }
        if (path) {
            Path file = Path.of(p.getProperty("path"));
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new JobRefusal("path '" + file + "' is not a readable file on this server", false);
            }
        }
        String format = p.getProperty("format");
        if (format != null && !format.equals("csv") && !format.equals("jsonl")) {
            throw new JobRefusal("format must be csv or jsonl, got '" + format + "'", false);
        }
        JobCheck.wholeNumber(p, "chunkSize", 1, 10_000);
        JobCheck.wholeNumber(p, "skipLimit", 0, Integer.MAX_VALUE);
        if (sql) {
            try {
                database.queryPage(p.getProperty("sql"), null, 1);
            } catch (SQLException e) {
                throw new JobRefusal("the query cannot be read as (key, input) rows: " + e.getMessage(), false);
            } catch (jakarta.ejb.EJBException e) {
                throw new JobRefusal("the query cannot be read as (key, input) rows: " + e.getCause(), false);
            }
        }
    }
}
