package io.pgflowee.engine.jobs.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import jakarta.batch.api.partition.PartitionMapper;
import jakarta.batch.api.partition.PartitionPlan;
import jakarta.batch.api.partition.PartitionPlanImpl;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** One partition per flow (all flows, or the job parameter {@code flows}), two at a time. */
@Named
@Dependent
public class FlowPartitions implements PartitionMapper {

    @Inject
    JobContext job;

    @Inject
    PruneDatabase database;

    @Override
    public PartitionPlan mapPartitions() throws Exception {
        String only = BatchRuntime.getJobOperator().getParameters(job.getExecutionId()).getProperty("flows");
        List<String> slugs = only == null || only.isBlank() ? database.flowSlugs()
                : new ArrayList<>(Arrays.stream(only.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
        PartitionPlanImpl plan = new PartitionPlanImpl();
        plan.setPartitions(Math.max(slugs.size(), 1));
        plan.setThreads(2);
        Properties[] props = new Properties[plan.getPartitions()];
        for (int i = 0; i < props.length; i++) {
            props[i] = new Properties();
            props[i].setProperty("flow", slugs.isEmpty() ? "" : slugs.get(i));
        }
        plan.setPartitionProperties(props);
        return plan;
    }
}
