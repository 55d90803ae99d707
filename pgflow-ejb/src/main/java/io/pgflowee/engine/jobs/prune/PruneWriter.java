package io.pgflowee.engine.jobs.prune;

import io.pgflowee.engine.jobs.JobService;
import io.pgflowee.engine.jobs.RunRef;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.config.Config;

import jakarta.batch.api.BatchProperty;
import jakarta.batch.api.chunk.AbstractItemWriter;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.batch.runtime.context.StepContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * Exports a chunk of a flow's old runs (with step states and tasks) to
 * {@code <exportDir>/<flow>/<instanceKey>-<first run>.jsonl.gz}, then deletes them, in one
 * transaction ({@link PruneDatabase#exportAndDelete}); counts the runs in the partition's data.
 */
@Named
@Dependent
public class PruneWriter extends AbstractItemWriter {

    @Inject
    JobContext job;

    @Inject
    StepContext step;

    @Inject
    PruneDatabase database;

    @Inject
    Config config;

    @Inject
    @BatchProperty(name = "flow")
    String flow;

    /** Runs exported and deleted by this partition. */
    public record Counts(long pruned) implements Serializable {
        @Override
        public String toString() {
            return "runs exported and deleted " + pruned;
        }
    }

    /** Where exports go: the job's parameter exportDir, else pgflow.prune.exportDir, else <tmp>/pgflow-exports. */
    static Path exportDir(String parameter, Config config) {
        return Path.of(parameter != null && !parameter.isBlank() ? parameter : config.getOptionalValue("pgflow.prune.exportDir", String.class)
                .orElse(System.getProperty("java.io.tmpdir") + "/pgflow-exports"));
    }

    @Override
    public void writeItems(List<Object> items) throws Exception {
        List<UUID> runs = new ArrayList<>(items.size());
        for (Object o : items) {
            runs.add(((RunRef) o).runId());
        }
        Path dir = exportDir(BatchRuntime.getJobOperator().getParameters(job.getExecutionId()).getProperty("exportDir"), config)
                .resolve(flow);
        Path file = dir.resolve(JobService.instanceKey(job) + "-" + runs.get(0) + ".jsonl.gz");
        int deleted = database.exportAndDelete(runs, file, JobService.instanceKey(job), flow);
        Counts before = step.getPersistentUserData() instanceof Counts c ? c : new Counts(0);
        step.setPersistentUserData(new Counts(before.pruned() + deleted));
    }
}
