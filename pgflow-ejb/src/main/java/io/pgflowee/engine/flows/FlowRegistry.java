package io.pgflowee.engine.flows;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;
import io.pgflowee.engine.db.DatabaseProblems;
import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.db.SchemaReady;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import io.pgflowee.engine.db.DatabaseSettings;
import jakarta.inject.Inject;

/**
 * The flows of this application: every CDI bean implementing {@link FlowDefinition}, in any jar of
 * the deployment. Once the schema is in place (each time {@link SchemaReady} fires) each flow is
 * compared with the database; only flows whose shape matches run. A missing flow is created from
 * its Java definition only with {@code pgflow.flows.autoCompile=true}.
 */
@ApplicationScoped
public class FlowRegistry {

    private static final Logger LOG = Logger.getLogger(FlowRegistry.class.getName());

    @Inject
    @Any
    Instance<FlowDefinition> definitions;

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Inject
    @ConfigProperty(name = "pgflow.flows.autoCompile", defaultValue = "false")
    boolean autoCompile;

    @Inject
    DatabaseSettings database;

    @Inject
    jakarta.enterprise.event.Event<FlowsVerified> flowsVerified;

    private final Map<String, Flow<?>> flows = new TreeMap<>();
    private final Map<String, FlowStatus> statuses = new ConcurrentHashMap<>();

    @PostConstruct
    void collect() {
        Map<String, String> origin = new LinkedHashMap<>();
        for (FlowDefinition definition : definitions) {
            String source = definition.getClass().getName().replaceAll("\\$Proxy\\$.*|\\$\\$.*", "");
            try {
                Flow<?> flow = definition.flow().validate();
                String previous = origin.putIfAbsent(flow.slug(), source);
                if (previous != null) {
                    flows.remove(flow.slug());
                    invalid(flow.slug(), "flow '" + flow.slug() + "' is defined twice, by " + previous + " and by " + source
                            + "; neither runs until one is renamed");
                    continue;
                }
                flows.put(flow.slug(), flow);
                statuses.put(flow.slug(), new FlowStatus(flow.slug(), FlowStatus.State.UNCHECKED, List.of(),
                        "flow '" + flow.slug() + "' is not checked yet: waiting for the pgflow schema"));
            } catch (RuntimeException e) {
                invalid(source, "flow definition " + source + " is invalid and will not run: " + e.getMessage());
            }
        }
        LOG.info(() -> "PGFLOW-020 " + flows.size() + " flow(s) registered: " + String.join(", ", flows.keySet()));
    }

    private void invalid(String key, String message) {
        statuses.put(key, new FlowStatus(key, FlowStatus.State.INVALID, List.of(), message));
        LOG.severe("PGFLOW-024 " + message);
    }

    /** Compares every registered flow with the database; called whenever the schema has been applied. */
    void onSchemaReady(@Observes SchemaReady event) {
        verifyAll();
        flowsVerified.fire(new FlowsVerified((int) statuses.values().stream().filter(FlowStatus::runnable).count()));
    }

    /**
     * Checks the flows that do not run again (a flow deleted with {@code delete_flow_and_data}, or
     * changed back, in another session), and starts their workers when one became runnable: the
     * server recovers without a restart. Called every ten seconds while {@link #notRunning()} is not empty
     * ({@link FlowRecheck}).
     */
    public void recheck() {
        long before = statuses.values().stream().filter(FlowStatus::runnable).count();
        verifyAll();
        long after = statuses.values().stream().filter(FlowStatus::runnable).count();
        if (after > before) {
            flowsVerified.fire(new FlowsVerified((int) after));
        }
    }

    /**
     * The registered flows that do not run for a reason the database may resolve (missing, differing,
     * or not checked), by slug with their state; empty when every valid flow runs.
     */
    public java.util.SortedMap<String, FlowStatus.State> notRunning() {
        java.util.SortedMap<String, FlowStatus.State> notRunning = new java.util.TreeMap<>();
        for (FlowStatus status : statuses()) {
            if (!status.runnable() && status.state() != FlowStatus.State.INVALID) {
                notRunning.put(status.slug(), status.state());
            }
        }
        return notRunning;
    }

    /** Compares every registered flow with the database now. */
    public synchronized void verifyAll() {
        try (Connection c = dataSource.getConnection()) {
            for (Flow<?> flow : flows.values()) {
                FlowStatus status;
                try {
                    status = FlowVerifier.verify(c, flow, autoCompile);
                } catch (Exception e) {
                    status = new FlowStatus(flow.slug(), FlowStatus.State.UNCHECKED, List.of(), "flow '" + flow.slug()
                            + "' could not be checked: " + DatabaseProblems.describe(database.url(), e));
                }
                FlowStatus previous = statuses.put(flow.slug(), status);
                if (previous == null || !previous.equals(status)) {
                    log(status);
                }
            }
        } catch (Exception e) {
            LOG.log(Level.WARNING, "PGFLOW-025 flows not checked: " + DatabaseProblems.describe(database.url(), e));
        }
    }

    private static void log(FlowStatus status) {
        switch (status.state()) {
            case VERIFIED, COMPILED -> LOG.info("PGFLOW-021 " + status.message());
            case MISSING -> LOG.warning("PGFLOW-022 " + status.message());
            default -> LOG.severe("PGFLOW-023 " + status.message());
        }
        status.scheduleDifferences().forEach(d -> LOG.warning("PGFLOW-026 flow '" + status.slug() + "': " + d));
    }

    /**
     * How the database's schedules differ from those the flow's Java definition declares, read now
     * (an operator's change at run time shows at once); empty for a flow not registered here or
     * without schedules, or when the database cannot be read (the startup check logs that).
     */
    public List<String> scheduleDifferences(String slug) {
        Flow<?> flow = flows.get(slug);
        if (flow == null || flow.schedules().isEmpty()) {
            return List.of();
        }
        try (Connection c = dataSource.getConnection()) {
            return FlowVerifier.scheduleDifferences(c, flow);
        } catch (SQLException e) {
            return List.of("schedules not compared with the database: " + e.getMessage());
        }
    }

    /** For use outside a container (tests, tools): a registry of these flows, none of them checked against a database. */
    public static FlowRegistry of(Flow<?>... defined) {
        FlowRegistry registry = new FlowRegistry();
        for (Flow<?> flow : defined) {
            registry.flows.put(flow.slug(), flow.validate());
        }
        return registry;
    }

    /** The registered flows by slug (valid definitions only). */
    public Collection<Flow<?>> flows() {
        return List.copyOf(flows.values());
    }

    /** The flow with this slug, if one is registered. */
    public Optional<Flow<?>> flow(String slug) {
        return Optional.ofNullable(flows.get(slug));
    }

    /**
     * The concurrency key and priority a run of {@code slug} gets from the flow's Java definition
     * ({@code .concurrencyKey(in -> ...)}, {@code .priority(in -> ...)}) for this input, with
     * {@code key} and {@code priority} (a caller's explicit choice: a REST header, a console field)
     * taking precedence when not null. A flow not registered here computes nothing.
     *
     * @throws IllegalArgumentException the input does not map to the flow's input type, or a function threw (the message names it)
     */
    public io.pgflowee.api.flow.RunKeys runKeys(String slug, String inputJson, String key, Integer priority) {
        io.pgflowee.api.flow.RunKeys computed = io.pgflowee.api.flow.RunKeys.NONE;
        Flow<?> flow = flows.get(slug);
        if (flow != null && flow.computesRunKeys() && (key == null || priority == null)) {
            computed = flow.runKeysOf(KEYS_CODEC, inputJson);
        }
        return computed.or(key, priority);
    }

    private static final io.pgflowee.api.json.JsonCodec KEYS_CODEC = io.pgflowee.api.json.JsonCodec.create();

    /** Each registered flow's (or invalid definition's) status, sorted by slug. */
    public List<FlowStatus> statuses() {
        List<FlowStatus> list = new ArrayList<>(statuses.values());
        list.sort((a, b) -> a.slug().compareTo(b.slug()));
        return list;
    }

    /**
     * Why this server refuses to start a run of {@code slug}, or empty when it may: a registered flow
     * whose Java definition differs from the database ({@link FlowStatus.State#MISMATCH}) is not run
     * by this server's workers, so a run started here would wait with no hint. {@code start_flow}
     * from SQL stays allowed (another server may run the database's version).
     */
    public Optional<String> refusalToStart(String slug) {
        FlowStatus status = statuses.get(slug);
        if (status == null || status.state() != FlowStatus.State.MISMATCH) {
            return Optional.empty();
        }
        // the status message names the differences and the fix (a new slug, or delete_flow_and_data)
        return Optional.of(status.message() + ". Until then a run started here would wait: no worker of this server runs the flow.");
    }

    /** True when the flow is registered and matches the database. */
    public boolean isRunnable(String slug) {
        FlowStatus status = statuses.get(slug);
        return status != null && status.runnable();
    }
}
