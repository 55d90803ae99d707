package io.pgflowee.engine.worker;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.flows.FlowsVerified;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import io.pgflowee.engine.db.DatabaseSettings;
import jakarta.inject.Inject;

/**
 * Runs one {@link FlowWorker} per registered flow that matches the database, on the server's
 * managed executors. Workers start once the flows are verified ({@link FlowsVerified}) and stop
 * gracefully when the application is undeployed or the server shuts down.
 * {@code pgflow.workers.enabled=false} keeps this server from executing tasks (API only).
 */
@ApplicationScoped
public class WorkerManager {

    private static final Logger LOG = Logger.getLogger(WorkerManager.class.getName());

    @Resource
    ManagedExecutorService executor;

    /**
     * Threads for the workers' timers: claim polls, report flushes, heartbeats, cancel checks,
     * timeout sweeps. Not the server's default managed scheduled executor: Payara's has one thread
     * for the whole server, so every flow's timers (and their database calls) queued behind each
     * other, and a burst of one flow held another's completions back for seconds (BurstBenchmark).
     */
    @Inject
    io.pgflowee.engine.tracing.RunTracing tracing;

    @Inject
    @ConfigProperty(name = "pgflow.workers.schedulerThreads", defaultValue = "4")
    int schedulerThreads;

    private java.util.concurrent.ScheduledThreadPoolExecutor scheduler;

    /** The workers' own pool, so that API load cannot hold claims and completions back. */
    @Resource(lookup = PgflowDataSource.WORKERS_JNDI_NAME)
    DataSource dataSource;

    @Inject
    FlowRegistry registry;

    @Resource
    jakarta.enterprise.concurrent.ManagedThreadFactory threads;

    @Inject
    @ConfigProperty(name = "pgflow.workers.enabled", defaultValue = "true")
    boolean enabled;

    @Inject
    DatabaseSettings database;

    @Inject
    io.pgflowee.engine.system.ServerIdentity identity;

    @Inject
    io.pgflowee.engine.metrics.PgflowMetrics metrics;

    private WakeUpListener listener;
    private Thread shutdownHook;
    private StopSignals signals;
    /** Connections of the workers' own for the last reports and the hand-back of a stop (see {@link #stopAll}). */
    private org.postgresql.ds.PGSimpleDataSource direct;
    private boolean stopped;

    private final Map<String, FlowWorker> workers = new ConcurrentHashMap<>();
    private final JsonCodec codec = JsonCodec.create();
    private boolean warmedUp;

    void onFlowsVerified(@Observes FlowsVerified event) {
        if (!enabled) {
            LOG.info("PGFLOW-037 workers disabled (pgflow.workers.enabled=false): this server executes no tasks");
            return;
        }
        startWorkers();
    }

    /**
     * Starts a worker for every runnable flow that has none on this server: at startup, once the
     * flows are verified, and again after {@link #stopWorker(String)} or when flows were re-checked.
     */
    public synchronized void startWorkers() {
        if (!enabled || stopped) {
            return;
        }
        startListener();
        warmUpJson();
        if (scheduler == null) {
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            scheduler = new java.util.concurrent.ScheduledThreadPoolExecutor(Math.max(1, schedulerThreads), runnable -> {
                Thread thread = threads.newThread(runnable);
                thread.setName("pgflow-worker-timers-" + n.incrementAndGet());
                return thread;
            });
            scheduler.setRemoveOnCancelPolicy(true);
        }
        if (shutdownHook == null) {
            direct = new org.postgresql.ds.PGSimpleDataSource(); // read now, in the container: a stopping one may answer nothing
            direct.setURL(database.url());
            direct.setUser(database.user());
            direct.setPassword(database.password());
            signals = new StopSignals(this::stopAll);
            signals.install();
            shutdownHook = new Thread(this::stopOnJvmExit, "pgflow-graceful-stop");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        for (Flow<?> flow : registry.flows()) {
            if (registry.isRunnable(flow.slug()) && !workers.containsKey(flow.slug())) {
                FlowWorker worker = new FlowWorker(flow, dataSource, executor, scheduler,
                        WorkerSettings.of(ConfigProvider.getConfig(), flow.slug()), codec, identity.workerFunctionName(), metrics);
                worker.tracing(tracing == null ? TaskSpans.OFF : tracing.taskSpans());
                try {
                    worker.start();
                    workers.put(flow.slug(), worker);
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "PGFLOW-038 worker for flow " + flow.slug() + " did not start: " + e.getMessage()
                            + " (retried when the flows are checked again)");
                }
            }
        }
    }

    /**
     * Stops this server's worker of one flow the way an undeploy does: it stops claiming, is marked
     * stopped in {@code pgflow.workers}, and its running handlers get its {@code shutdownTimeout} to
     * finish (then they are cancelled). Other servers' workers of the flow go on.
     *
     * @return false when the flow had no worker here; true once the worker has stopped
     */
    public boolean stopWorker(String slug) {
        FlowWorker worker;
        synchronized (this) {
            worker = workers.remove(slug);
        }
        if (worker == null) {
            return false;
        }
        worker.stop();
        return true;
    }

    /**
     * JSON-B builds its mappings on first use, which takes seconds on a cold, loaded JVM: do it before
     * the first task, so that task does not spend its timeout on it.
     */
    private void warmUpJson() {
        if (!warmedUp) {
            codec.decode(codec.toJsonValue(List.of(Map.of("warm", 1))), Object.class);
            warmedUp = true;
        }
    }

    /** The running workers' ids by flow slug. */
    public Map<String, java.util.UUID> workerIds() {
        Map<String, java.util.UUID> ids = new java.util.TreeMap<>();
        workers.forEach((slug, w) -> ids.put(slug, w.workerId()));
        return ids;
    }

    private synchronized void startListener() {
        if (listener == null) {
            listener = new WakeUpListener(database.url(), database.user(), database.password(), slug -> {
                FlowWorker worker = workers.get(slug);
                if (worker != null) {
                    worker.wake();
                }
            });
            Thread thread = threads.newThread(listener);
            thread.setName("pgflow-wake-ups");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * A JVM exit that did not come through {@link StopSignals} (System.exit, a signal the platform
     * did not let us take): Payara Micro's exit does not undeploy the application, so
     * {@code @PreDestroy} would never run. This hook stops the workers as an undeploy does, as far as
     * the server, stopping at the same time, still lets it.
     */
    private void stopOnJvmExit() {
        if (!stopped) {
            LOG.info("PGFLOW-045 the JVM is exiting: stopping the workers");
        }
        stopAll();
    }

    @PreDestroy
    void undeploy() {
        if (signals != null) {
            signals.uninstall();
        }
        Thread hook = shutdownHook;
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook); // an undeploy: a redeployed application registers its own
            } catch (IllegalStateException exiting) {
                // the JVM is exiting: the hook runs (or ran) stopAll too; stopAll does its work once
            }
        }
        stopAll();
    }

    /**
     * The application is being undeployed and its resources still work (the web module says so
     * first): every worker stops gracefully now, once; {@code @PreDestroy} later does nothing more.
     */
    void onApplicationStopping(@Observes io.pgflowee.engine.system.ApplicationStopping event) {
        stopAll();
    }

    synchronized void stopAll() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (listener != null) {
            listener.stop();
        }
        // the last reports and the hand-back go through connections of their own: on SIGTERM the
        // container's pool may already be torn down while the handlers finish (measured: every pooled
        // connection invalid 4 s into a stop, and the completion of a 5 s handler was lost)
        if (direct != null) {
            workers.values().forEach(w -> w.useConnectionsOf(direct));
        }
        // every worker stops claiming and is marked stopped first; then each worker's handlers get its
        // own shutdownTimeout from now, the shortest first, so that a worker whose grace is over hands
        // its tasks back then, not when the longest grace of the server ends
        workers.values().forEach(FlowWorker::beginStop);
        long began = System.nanoTime();
        workers.values().stream().sorted(java.util.Comparator.comparing(FlowWorker::shutdownTimeout))
                .forEach(w -> w.awaitDrained(began + w.shutdownTimeout().toNanos()));
        workers.clear();
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
