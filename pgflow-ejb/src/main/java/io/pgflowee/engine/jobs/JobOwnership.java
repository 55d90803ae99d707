package io.pgflowee.engine.jobs;

import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.batch.api.listener.JobListener;
import jakarta.batch.runtime.context.JobContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * Job listener of every pgflow job: records the execution as this server's as it starts and as
 * ended as it ends ({@link JobExecutions}), so that a server that dies with it is noticed.
 */
@Named
@jakarta.enterprise.context.Dependent
public class JobOwnership implements JobListener {

    private static final Logger LOG = Logger.getLogger(JobOwnership.class.getName());

    @Inject
    JobContext job;

    @Inject
    JobExecutions executions;

    @Override
    public void beforeJob() throws Exception {
        executions.started(JobService.instanceKey(job), job.getExecutionId());
    }

    @Override
    public void afterJob() {
        try {
            executions.ended(JobService.instanceKey(job), job.getExecutionId());
        } catch (Exception e) {
            // the execution's own outcome stands; only the record of its end is missing
            LOG.log(Level.WARNING, "PGFLOW-095 could not record the end of job execution " + job.getExecutionId() + ": " + e.getMessage());
        }
    }
}
