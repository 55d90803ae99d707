package io.pgflowee.engine.jobs.bulk;

import io.pgflowee.engine.jobs.JobService;
import io.pgflowee.engine.jobs.RunRef;
import java.io.Serializable;
import java.util.List;

import jakarta.batch.api.chunk.AbstractItemWriter;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.batch.runtime.context.StepContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * Retries, restarts or cancels (pgflow-cancel-stuck) each run of a chunk, each in its own transaction with its record in
 * {@code pgflow_internal.job_items}, so a chunk read again after a crash acts on none twice; counts
 * what happened in the step's persistent data (added up over the job instance's executions).
 */
@Named
@Dependent
public class BulkRetryWriter extends AbstractItemWriter {

    @Inject
    JobContext job;

    @Inject
    StepContext step;

    @Inject
    BulkDatabase database;

    /** Runs acted on, refused by the engine, and found done by an earlier execution. */
    public record Counts(long acted, long refused, long doneBefore) implements Serializable {
        @Override
        public String toString() {
            return "runs acted on " + acted + ", refused " + refused + ", done before " + doneBefore;
        }
    }

    @Override
    public void writeItems(List<Object> items) throws Exception {
        java.util.Properties params = BatchRuntime.getJobOperator().getParameters(job.getExecutionId());
        BulkDatabase.Action action = BulkDatabase.Action.of(params.getProperty("mode"));
        String reason = params.getProperty("reason");
        Counts c = step.getPersistentUserData() instanceof Counts before ? before : new Counts(0, 0, 0);
        long acted = c.acted();
        long refused = c.refused();
        long doneBefore = c.doneBefore();
        for (Object item : items) {
            switch (database.actOnce(JobService.instanceKey(job), ((RunRef) item).runId(), action, reason)) {
                case ACTED -> acted++;
                case REFUSED -> refused++;
                case DONE_BEFORE -> doneBefore++;
            }
        }
        step.setPersistentUserData(new Counts(acted, refused, doneBefore));
    }
}
