package io.pgflowee.engine.jobs.prune;

import io.pgflowee.engine.jobs.JobDatabase;
import io.pgflowee.engine.jobs.JobService;
import io.pgflowee.engine.jobs.RunKeysetReader;
import io.pgflowee.engine.jobs.RunRef;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import org.eclipse.microprofile.config.Config;

import jakarta.batch.api.BatchProperty;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * A flow's runs that finished before its retention, oldest first by (finish time, run_id), which is
 * also the checkpoint.
 */
@Named
@Dependent
public class PrunableRunsReader extends RunKeysetReader {

    @Inject
    JobContext job;

    @Inject
    JobDatabase database;

    @Inject
    PruneDatabase prune;

    @Inject
    Config config;

    @Inject
    @BatchProperty(name = "flow")
    String flow;

    private OffsetDateTime cutoff;

    /** The retention of a flow: the job's parameter, else pgflow.prune.retention.<flow>, else pgflow.prune.retention, else 30 days. */
    static Duration retention(String parameter, Config config, String flow) {
        String text = parameter != null && !parameter.isBlank() ? parameter
                : config.getOptionalValue("pgflow.prune.retention." + flow, String.class)
                        .orElse(config.getOptionalValue("pgflow.prune.retention", String.class).orElse("P30D"));
        return Duration.parse(text);
    }

    @Override
    protected void prepare() {
        if (flow == null || flow.isBlank()) {
            nothingToRead();
            return;
        }
        String parameter = BatchRuntime.getJobOperator().getParameters(job.getExecutionId()).getProperty("retention");
        cutoff = OffsetDateTime.now(ZoneOffset.UTC).minus(retention(parameter, config, flow));
    }

    @Override
    protected void started() throws Exception {
        if (flow != null && !flow.isBlank()) {
            database.partition(JobService.instanceKey(job), flow, false);
            if (isFirstOpen()) {
                database.total(JobService.instanceKey(job), flow, prune.countPrunable(flow, cutoff));
            }
        }
    }

    @Override
    protected void finished() throws Exception {
        if (flow != null && !flow.isBlank()) {
            database.partition(JobService.instanceKey(job), flow, true);
        }
    }

    @Override
    protected List<RunRef> next(RunRef after, int limit) throws Exception {
        return prune.prunableRuns(flow, cutoff, after, limit);
    }
}
