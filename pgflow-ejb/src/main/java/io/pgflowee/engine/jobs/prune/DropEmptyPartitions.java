package io.pgflowee.engine.jobs.prune;

import java.util.List;
import java.util.logging.Logger;

import jakarta.batch.api.AbstractBatchlet;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * pgflow-prune's last step: drops the run partitions the prune step emptied (their time range
 * ended, no run left), so their space returns without a vacuum. Its exit status names them, and
 * the ones left because their tables stayed busy through every try (the next prune drops them).
 */
@Named
@Dependent
public class DropEmptyPartitions extends AbstractBatchlet {

    private static final Logger LOG = Logger.getLogger(DropEmptyPartitions.class.getName());

    @Inject
    PruneDatabase database;

    @Override
    public String process() throws Exception {
        PruneDatabase.Drops drops = database.dropEmptyPartitions();
        List<String> dropped = drops.dropped();
        if (!dropped.isEmpty()) {
            LOG.info("PGFLOW-016 pgflow-prune dropped the empty run partitions " + String.join(", ", dropped));
        }
        String status = dropped.isEmpty() ? "no partition dropped" : "partitions dropped: " + String.join(", ", dropped);
        if (!drops.busy().isEmpty()) {
            String busy = String.join(", ", drops.busy());
            LOG.warning("PGFLOW-016 pgflow-prune left the empty run partitions " + busy + ": their tables stayed busy through every"
                    + " try (pgflow.partition_lock_timeout); the next prune drops them");
            status += "; left for the next prune (tables busy): " + busy;
        }
        return status;
    }
}
