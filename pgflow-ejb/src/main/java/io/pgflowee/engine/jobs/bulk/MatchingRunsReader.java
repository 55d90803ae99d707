package io.pgflowee.engine.jobs.bulk;

import io.pgflowee.engine.jobs.RunKeysetReader;
import io.pgflowee.engine.jobs.RunRef;
import java.util.List;

import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The runs matching a bulk job's filter (flow, statuses, start time range, text in a failed step's
 * error), oldest first by (started_at, run_id), which is also the checkpoint.
 */
@Named
@Dependent
public class MatchingRunsReader extends RunKeysetReader {

    @Inject
    JobContext job;

    @Inject
    BulkDatabase database;

    private RunSelection selection;

    @Override
    protected void prepare() {
        selection = RunSelection.of(BatchRuntime.getJobOperator().getParameters(job.getExecutionId()));
    }

    @Inject
    io.pgflowee.engine.jobs.JobDatabase jobs;

    @Override
    protected void started() throws Exception {
        if (isFirstOpen()) {
            jobs.total(io.pgflowee.engine.jobs.JobService.instanceKey(job), "", database.countMatching(selection));
        }
    }

    @Override
    protected List<RunRef> next(RunRef after, int limit) throws Exception {
        return database.matchingRuns(selection, after, limit);
    }
}
