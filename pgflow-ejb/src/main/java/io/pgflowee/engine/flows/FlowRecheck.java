package io.pgflowee.engine.flows;

import java.util.SortedMap;

import io.pgflowee.engine.db.SchemaMigrator;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.EJB;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.inject.Inject;

/**
 * Every ten seconds while a registered flow does not run for a reason the database may resolve,
 * checks the flows again ({@link FlowRegistry#recheck}: a flow changed back, or deleted with
 * {@code delete_flow_and_data}, in another session), and when a flow is now missing from the
 * database asks the migrator to apply the changelogs again, once per new set of missing flows, so
 * that its compiled changelog creates it. The server recovers without a restart.
 *
 * <p>It lives with the flows and calls down into {@code engine.db}; the migrator knows nothing of
 * flows.
 */
@Singleton
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class FlowRecheck {

    @Inject
    FlowRegistry registry;

    @EJB
    SchemaMigrator migrator;

    /** The missing flows for which the migration last ran again. */
    private SortedMap<String, FlowStatus.State> remigratedFor = new java.util.TreeMap<>();

    @Schedule(second = "*/10", minute = "*", hour = "*", persistent = false)
    synchronized void recheck() {
        SchemaMigrator.State schema = migrator.status().state();
        if (schema != SchemaMigrator.State.APPLIED && schema != SchemaMigrator.State.DISABLED) {
            return; // the migrator retries the schema first; the flows are checked when it is ready
        }
        if (registry.notRunning().isEmpty()) {
            remigratedFor = new java.util.TreeMap<>();
            return;
        }
        registry.recheck();
        SortedMap<String, FlowStatus.State> missing = new java.util.TreeMap<>(registry.notRunning());
        missing.values().removeIf(state -> state != FlowStatus.State.MISSING);
        if (!missing.isEmpty() && !missing.equals(remigratedFor) && migrator.migrateAgain()) {
            remigratedFor = missing;
        }
    }
}
