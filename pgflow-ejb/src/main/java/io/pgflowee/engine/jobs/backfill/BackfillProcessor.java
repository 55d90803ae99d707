package io.pgflowee.engine.jobs.backfill;

import io.pgflowee.engine.jobs.InvalidItemException;
import java.util.Optional;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.flows.FlowRegistry;
import jakarta.batch.api.chunk.ItemProcessor;
import jakarta.batch.runtime.BatchRuntime;
import jakarta.batch.runtime.context.JobContext;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.json.JsonValue;

/**
 * Checks each backfill item before its chunk starts anything: valid JSON, an array when the flow
 * has root map steps (as {@code start_flow} requires), and, when this server has the flow's Java
 * definition, an input its handlers can read (its input type). An item that fails is skipped with
 * its line (or key) and the reason.
 */
@Named
@jakarta.enterprise.context.Dependent
public class BackfillProcessor implements ItemProcessor {

    @Inject
    JobContext job;

    @Inject
    BackfillDatabase database;

    @Inject
    FlowRegistry registry;

    private String flowSlug;
    private boolean rootMap;
    private Optional<Flow<?>> definition;
    private JsonCodec codec;

    private void init() throws java.sql.SQLException {
        if (flowSlug == null) {
            flowSlug = BatchRuntime.getJobOperator().getParameters(job.getExecutionId()).getProperty("flow");
            rootMap = database.hasRootMap(flowSlug);
            definition = registry.flow(flowSlug);
            codec = definition.isPresent() ? JsonCodec.create() : null;
        }
    }

    @Override
    public Object processItem(Object item) throws Exception {
        init();
        BackfillItem in = (BackfillItem) item;
        if (in.unreadable() != null) {
            throw new InvalidItemException(in.key(), in.where() + ": " + in.unreadable());
        }
        JsonValue value;
        try {
            value = JsonCodec.parse(in.json());
        } catch (IllegalArgumentException e) {
            throw new InvalidItemException(in.key(), in.where() + ": " + e.getMessage());
        }
        if (rootMap && value.getValueType() != JsonValue.ValueType.ARRAY) {
            throw new InvalidItemException(in.key(), in.where() + ": flow " + flowSlug + " has root map steps but the input is not an array"
                    + " (got " + value.getValueType().name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        if (definition.isPresent()) {
            try {
                codec.decode(value, definition.get().inputType());
            } catch (RuntimeException e) {
                throw new InvalidItemException(in.key(), in.where() + ": does not fit the input type of flow " + flowSlug + " ("
                        + definition.get().inputType().getTypeName() + "): " + e.getMessage());
            }
        }
        return new BackfillItem(in.key(), in.where(), value.toString(), null);
    }
}
