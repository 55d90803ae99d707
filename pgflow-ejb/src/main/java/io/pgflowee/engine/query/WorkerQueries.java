package io.pgflowee.engine.query;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

import io.pgflowee.engine.model.WorkerRecord;
import jakarta.persistence.EntityManager;

/** Workers, live and stopped, with the age of their last heartbeat (by the database's clock). */
// An EJB, not a CDI bean: in the EAR the persistence unit lives in the EJB module, and only the module's
// own components (EJBs) resolve it when a web request of the WAR calls them. No transaction of its own.
@jakarta.ejb.Stateless
@jakarta.ejb.TransactionAttribute(jakarta.ejb.TransactionAttributeType.SUPPORTS)
public class WorkerQueries extends ReadModelQueries {

    /**
     * A worker counts as live when it is neither stopped nor deprecated and its last heartbeat is at
     * most this old: three heartbeats at the default 5 s interval.
     */
    public static final Duration LIVE_WITHIN = Duration.ofSeconds(15);

    /** A worker and how long ago it last beat. */
    public record WorkerView(WorkerRecord worker, Duration heartbeatAge, boolean live) {
    }

    public WorkerQueries() {
    }

    /** For use outside a container (tests, tools). */
    public WorkerQueries(EntityManager em) {
        super(em);
    }

    /** Tasks each worker is running now (claimed, not reported, not given up), by worker id. */
    public java.util.Map<UUID, Long> runningTasks() {
        java.util.Map<UUID, Long> running = new java.util.HashMap<>();
        for (Object o : em().createNativeQuery("SELECT t.last_worker_id, count(*) FROM pgflow.step_tasks t"
                + " WHERE t.status = 'started' AND t.visible_at < 'infinity' AND t.last_worker_id IS NOT NULL"
                + " GROUP BY t.last_worker_id").getResultList()) {
            Object[] r = (Object[]) o;
            running.put(Rows.uuid(r[0]), Rows.num(r[1]));
        }
        return running;
    }

    /** A task a worker is running: its run, step, task index and since when (its claim). */
    public record RunningTask(UUID runId, String stepSlug, int taskIndex, java.time.OffsetDateTime since) {
    }

    /**
     * What each worker is running now, at most {@code perWorker} tasks each (the longest running
     * first), by worker id: one query over the started tasks (their partial index).
     */
    public java.util.Map<UUID, List<RunningTask>> currentTasks(int perWorker) {
        java.util.Map<UUID, List<RunningTask>> out = new java.util.HashMap<>();
        for (Object o : em().createNativeQuery("SELECT x.last_worker_id, x.run_id, x.step_slug, x.task_index, x.started_at FROM ("
                + " SELECT t.last_worker_id, t.run_id, t.step_slug, t.task_index, t.started_at,"
                + " row_number() OVER (PARTITION BY t.last_worker_id ORDER BY t.started_at, t.run_id, t.step_slug, t.task_index) AS n"
                + " FROM pgflow.step_tasks t WHERE t.status = 'started' AND t.visible_at < 'infinity' AND t.last_worker_id IS NOT NULL) x"
                + " WHERE x.n <= ?1 ORDER BY x.last_worker_id, x.n").setParameter(1, perWorker).getResultList()) {
            Object[] r = (Object[]) o;
            out.computeIfAbsent(Rows.uuid(r[0]), k -> new java.util.ArrayList<>())
                    .add(new RunningTask(Rows.uuid(r[1]), (String) r[2], ((Number) r[3]).intValue(), Rows.time(r[4])));
        }
        return out;
    }

    /**
     * Live workers per flow (as {@link #workers()} counts them live), by flow slug; a flow without a
     * live worker is absent: its runs wait until a server that runs it starts.
     */
    public java.util.Map<String, Long> liveWorkersByFlow() {
        java.util.Map<String, Long> live = new java.util.HashMap<>();
        for (Object o : em().createNativeQuery("SELECT w.queue_name, count(*) FROM pgflow.workers w"
                + " WHERE w.stopped_at IS NULL AND w.deprecated_at IS NULL AND w.last_heartbeat >= now() - make_interval(secs => ?1)"
                + " GROUP BY w.queue_name").setParameter(1, (double) LIVE_WITHIN.toSeconds()).getResultList()) {
            Object[] r = (Object[]) o;
            live.put((String) r[0], Rows.num(r[1]));
        }
        return live;
    }

    /** Live workers of one flow. */
    public long liveWorkers(String flowSlug) {
        return liveWorkersByFlow().getOrDefault(flowSlug, 0L);
    }

    /** Every worker: live ones first, then by flow and newest start. */
    public List<WorkerView> workers() {
        OffsetDateTime now = Rows.databaseNow(em());
        return em().createQuery("SELECT w FROM WorkerRecord w ORDER BY w.queueName, w.startedAt DESC", WorkerRecord.class)
                .setHint(RunQueries.HINT_READ_ONLY, true).getResultList().stream()
                .map(w -> {
                    Duration age = Duration.between(w.lastHeartbeat(), now);
                    boolean live = w.stoppedAt() == null && w.deprecatedAt() == null && age.compareTo(LIVE_WITHIN) <= 0;
                    return new WorkerView(w, age.isNegative() ? Duration.ZERO : age, live);
                })
                .sorted((a, b) -> Boolean.compare(b.live(), a.live()))
                .toList();
    }
}
