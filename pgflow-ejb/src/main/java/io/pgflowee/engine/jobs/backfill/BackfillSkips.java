package io.pgflowee.engine.jobs.backfill;

import io.pgflowee.engine.jobs.InvalidItemException;
import io.pgflowee.engine.jobs.JobDatabase;
import io.pgflowee.engine.jobs.JobService;
import java.util.logging.Logger;

import jakarta.batch.api.chunk.listener.SkipProcessListener;
import jakarta.batch.runtime.context.JobContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** Records each skipped backfill item with its line (or key) and reason ({@code pgflow_internal.job_skips}). */
@Named
@jakarta.enterprise.context.Dependent
public class BackfillSkips implements SkipProcessListener {

    private static final Logger LOG = Logger.getLogger(BackfillSkips.class.getName());

    @Inject
    JobContext job;

    @Inject
    JobDatabase database;

    @Override
    public void onSkipProcessItem(Object item, Exception ex) throws Exception {
        String key = ex instanceof InvalidItemException invalid ? invalid.itemKey() : ((BackfillItem) item).key();
        database.recordSkip(JobService.instanceKey(job), key, ex.getMessage());
        LOG.info("PGFLOW-090 job " + job.getJobName() + " (instance " + job.getInstanceId() + ") skipped " + ex.getMessage());
    }
}
