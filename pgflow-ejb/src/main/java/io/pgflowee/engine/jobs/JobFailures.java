package io.pgflowee.engine.jobs;

import java.util.logging.Logger;

import jakarta.batch.runtime.context.JobContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * Keeps why a chunk failed (and with it the job: an item past the skip limit, an unreadable file,
 * an engine refusal) with the job's records, so the API and the console show the reason, not only
 * the server log: item {@value #ITEM} of {@code pgflow_internal.job_skips}.
 */
@Named
@Dependent
public class JobFailures extends jakarta.batch.api.chunk.listener.AbstractChunkListener {

    /** The job_skips item key of a failure. */
    public static final String ITEM = "(failure)";

    private static final Logger LOG = Logger.getLogger(JobFailures.class.getName());

    @Inject
    JobContext job;

    @Inject
    JobDatabase database;

    @Override
    public void onError(Exception ex) throws Exception {
        Throwable cause = ex;
        while (cause.getCause() != null && cause.getClass().getName().startsWith("com.ibm.jbatch")) {
            cause = cause.getCause();
        }
        String reason = cause instanceof InvalidItemException ? cause.getMessage() + " (one item more than the skip limit)"
                : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        database.recordSkip(JobService.instanceKey(job), ITEM, reason);
        LOG.warning("PGFLOW-093 job " + job.getJobName() + " execution " + job.getExecutionId() + " failed: " + reason);
    }
}
