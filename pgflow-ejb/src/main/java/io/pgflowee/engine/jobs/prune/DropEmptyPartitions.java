package io.pgflowee.engine.jobs.prune;

import java.util.List;
import java.util.logging.Logger;

import jakarta.batch.api.AbstractBatchlet;
import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * pgflow-prune's last step: drops the run partitions the prune step emptied (their time range
 * ended, no run left), so their space returns without a vacuum. Its exit status names them.
 */
@Named
@Dependent
public class DropEmptyPartitions extends AbstractBatchlet {

    private static final Logger LOG = Logger.getLogger(DropEmptyPartitions.class.getName());

    @Inject
    PruneDatabase database;

    @Override
    public String process() throws Exception {
        List<String> dropped = database.dropEmptyPartitions();
        if (!dropped.isEmpty()) {
            LOG.info("PGFLOW-016 pgflow-prune dropped the empty run partitions " + String.join(", ", dropped));
        }
        return dropped.isEmpty() ? "no partition dropped" : "partitions dropped: " + String.join(", ", dropped);
    }
}
