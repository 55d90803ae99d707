package io.pgflowee.engine.jobs;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import jakarta.batch.api.chunk.AbstractItemReader;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The runs matching a bulk job's filter (flow, statuses, start time range, text in a failed step's
 * error), oldest first, 500 per read. The checkpoint is the last run's (started_at, run_id), so a
 * restart continues after it whatever changed meanwhile.
 */
@Named
@Dependent
public class MatchingRunsReader extends AbstractItemReader {

    private static final int PAGE = 500;

    @Inject
    JobContext job;

    @Inject
    JobDatabase database;

    private final Deque<RunRef> page = new ArrayDeque<>();
    private RunRef last;
    private boolean done;

    @Override
    public void open(Serializable checkpoint) {
        if (checkpoint != null) {
            String[] at = checkpoint.toString().split("\\|", 2);
            last = new RunRef(UUID.fromString(at[1]), OffsetDateTime.parse(at[0]));
        }
    }

    @Override
    public Object readItem() throws Exception {
        if (page.isEmpty() && !done) {
            Properties p = BatchRuntime.getJobOperator().getParameters(job.getExecutionId());
            List<RunRef> runs = database.matchingRuns(RunSelection.of(p), last, PAGE);
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
