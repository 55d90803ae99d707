package io.pgflowee.engine.jobs;

import java.io.Serializable;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.config.Config;

import jakarta.batch.api.BatchProperty;
import jakarta.batch.api.chunk.AbstractItemReader;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * A flow's runs that finished before its retention, oldest first (keyset on the finish time and run
 * id, which is also the checkpoint), 500 per read.
 */
@Named
@Dependent
public class PrunableRunsReader extends AbstractItemReader {

    private static final int PAGE = 500;

    @Inject
    JobContext job;

    @Inject
    JobDatabase database;

    @Inject
    Config config;

    @Inject
    @BatchProperty(name = "flow")
    String flow;

    private OffsetDateTime cutoff;
    private final Deque<RunRef> page = new ArrayDeque<>();
    private RunRef last;
    private boolean done;

    /** The retention of a flow: the job's parameter, else pgflow.prune.retention.<flow>, else pgflow.prune.retention, else 30 days. */
    static Duration retention(String parameter, Config config, String flow) {
        String text = parameter != null && !parameter.isBlank() ? parameter
                : config.getOptionalValue("pgflow.prune.retention." + flow, String.class)
                        .orElse(config.getOptionalValue("pgflow.prune.retention", String.class).orElse("P30D"));
        return Duration.parse(text);
    }

    @Override
    public void open(Serializable checkpoint) {
        if (flow == null || flow.isBlank()) {
            done = true;
            return;
        }
        String parameter = BatchRuntime.getJobOperator().getParameters(job.getExecutionId()).getProperty("retention");
        cutoff = OffsetDateTime.now(ZoneOffset.UTC).minus(retention(parameter, config, flow));
        if (checkpoint != null) {
            String[] at = checkpoint.toString().split("\\|", 2);
            last = new RunRef(UUID.fromString(at[1]), OffsetDateTime.parse(at[0]));
        }
    }

    @Override
    public Object readItem() throws Exception {
        if (page.isEmpty() && !done) {
            List<RunRef> runs = database.prunableRuns(flow, cutoff, last, PAGE);
            page.addAll(runs);
            done = runs.size() < PAGE;
        }
        RunRef next = page.poll();
        if (next != null) {
            last = next;
        }
        return next;
    }

    @Override
    public Serializable checkpointInfo() {
        return last == null ? null : last.checkpoint();
    }
}
