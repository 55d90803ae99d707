package io.pgflowee.engine.jobs.backfill;

import io.pgflowee.engine.jobs.JobService;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import jakarta.batch.api.chunk.AbstractItemWriter;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.batch.runtime.context.StepContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * Starts a chunk's runs in one transaction of their own ({@link BackfillDatabase#startRuns}), keyed
 * {@code backfill:<instanceKey>:<item key>}, and counts runs created and runs that existed already
 * (a chunk read again after a crash) in the step's persistent data.
 */
@Named
@jakarta.enterprise.context.Dependent
public class BackfillWriter extends AbstractItemWriter {

    @Inject
    JobContext job;

    @Inject
    StepContext step;

    @Inject
    BackfillDatabase database;

    /**
     * Runs created and runs found already started, kept with the step's checkpoint, so they add up
     * over the job instance's executions (a restart continues the counts).
     */
    public record Counts(long created, long existing) implements Serializable {
        @Override
        public String toString() {
            return "runs created " + created + ", found already started " + existing;
        }
    }

    @Override
    public void writeItems(List<Object> items) throws Exception {
        String flow = BatchRuntime.getJobOperator().getParameters(job.getExecutionId()).getProperty("flow");
        List<BackfillItem> batch = new ArrayList<>(items.size());
        for (Object o : items) {
            batch.add((BackfillItem) o);
        }
        BackfillDatabase.Started started = database.startRuns(flow, batch, keyPrefix(JobService.instanceKey(job)));
        Counts before = step.getPersistentUserData() instanceof Counts c ? c : new Counts(0, 0);
        step.setPersistentUserData(new Counts(before.created() + started.created(), before.existing() + started.existing()));
    }

    /** The idempotency key prefix of a backfill job instance's runs. */
    public static String keyPrefix(String instanceKey) {
        return "backfill:" + instanceKey + ":";
    }
}
