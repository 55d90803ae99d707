package io.pgflowee.engine.query;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.EntityManager;

/**
 * What the dashboard shows: runs per minute over the last hour, the queue per flow, the slowest
 * steps, and the latest failures. Aggregates in SQL, typed rows out.
 */
// An EJB, not a CDI bean: in the EAR the persistence unit lives in the EJB module, and only the module's
// own components (EJBs) resolve it when a web request of the WAR calls them. No transaction of its own.
@jakarta.ejb.Stateless
@jakarta.ejb.TransactionAttribute(jakarta.ejb.TransactionAttributeType.SUPPORTS)
public class DashboardQueries extends ReadModelQueries {

    /** Runs of a flow started, completed, failed and cancelled in one minute. */
    public record MinuteCounts(String flowSlug, OffsetDateTime minute, long started, long completed, long failed, long cancelled) {
    }

    /**
     * Tasks of a flow: claimable now, waiting for a start delay or retry backoff, and running
     * (started with a live lease). Tasks of failed runs or skipped steps that can never run are not
     * counted.
     */
    public record QueueDepth(String flowSlug, long queued, long delayed, long running) {
    }

    /** A step's completed executions in the window and its 95th percentile duration (started to completed). */
    public record SlowStep(String flowSlug, String stepSlug, long completed, double p95Seconds) {
    }

    /** A task that failed, with the first line of its error. */
    public record FailedTask(String flowSlug, UUID runId, String stepSlug, int taskIndex, int attempts, OffsetDateTime failedAt,
                             String errorFirstLine) {
    }

    /** The dashboard at {@code at} (the database's clock). */
    public record Dashboard(OffsetDateTime at, List<MinuteCounts> perMinute, List<QueueDepth> queues, List<SlowStep> slowestSteps,
                            List<FailedTask> latestFailures) {
    }

    public DashboardQueries() {
    }

    /** For use outside a container (tests, tools). */
    public DashboardQueries(EntityManager em) {
        super(em);
    }

    /** Everything the dashboard shows, with up to {@code failuresPerFlow} latest failed tasks per flow. */
    public Dashboard dashboard(int failuresPerFlow) {
        OffsetDateTime at = Rows.databaseNow(em());
        return new Dashboard(at, perMinute(), queues(), slowestSteps(10), latestFailures(failuresPerFlow));
    }

    /**
     * Per flow and minute of the last hour: runs started, and runs completed, failed and cancelled
     * (by when they finished). Minutes without any are left out.
     */
    public List<MinuteCounts> perMinute() {
        List<MinuteCounts> out = new ArrayList<>();
        for (Object o : em().createNativeQuery("""
                SELECT flow_slug, minute, sum(started), sum(completed), sum(failed), sum(cancelled) FROM (
                  SELECT r.flow_slug, date_trunc('minute', r.started_at) AS minute, 1 AS started, 0 AS completed, 0 AS failed, 0 AS cancelled
                  FROM pgflow.runs r WHERE r.started_at >= now() - interval '1 hour'
                  UNION ALL
                  SELECT r.flow_slug, date_trunc('minute', coalesce(r.completed_at, r.failed_at, r.cancelled_at)),
                         0, (r.status = 'completed')::int, (r.status = 'failed')::int, (r.status = 'cancelled')::int
                  FROM pgflow.runs r
                  WHERE coalesce(r.completed_at, r.failed_at, r.cancelled_at) >= now() - interval '1 hour'
                ) x GROUP BY flow_slug, minute ORDER BY flow_slug, minute""").getResultList()) {
            Object[] r = (Object[]) o;
            out.add(new MinuteCounts((String) r[0], Rows.time(r[1]), Rows.num(r[2]), Rows.num(r[3]), Rows.num(r[4]), Rows.num(r[5])));
        }
        return out;
    }

    /** Per flow with live tasks: queued (claimable now), delayed and running. */
    public List<QueueDepth> queues() {
        List<QueueDepth> out = new ArrayList<>();
        for (Object o : em().createNativeQuery("""
                SELECT t.flow_slug,
                       count(*) FILTER (WHERE t.status = 'queued' AND t.visible_at <= clock_timestamp()),
                       count(*) FILTER (WHERE t.status = 'queued' AND t.visible_at > clock_timestamp()),
                       count(*) FILTER (WHERE t.status = 'started')
                FROM pgflow.step_tasks t
                WHERE (t.status = 'queued' OR t.status = 'started') AND t.visible_at < 'infinity'
                GROUP BY t.flow_slug ORDER BY t.flow_slug""").getResultList()) {
            Object[] r = (Object[]) o;
            out.add(new QueueDepth((String) r[0], Rows.num(r[1]), Rows.num(r[2]), Rows.num(r[3])));
        }
        return out;
    }

    /** Per flow with runs waiting for a signal: how many runs have a signal step waiting (started). */
    public java.util.Map<String, Long> waitingRuns() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        for (Object o : em().createNativeQuery("""
                SELECT ss.flow_slug, count(DISTINCT ss.run_id)
                FROM pgflow.step_states ss
                JOIN pgflow.steps s ON s.flow_slug = ss.flow_slug AND s.step_slug = ss.step_slug
                WHERE ss.status = 'started' AND s.step_type = 'signal'
                GROUP BY ss.flow_slug""").getResultList()) {
            Object[] r = (Object[]) o;
            out.put((String) r[0], Rows.num(r[1]));
        }
        return out;
    }

    /** Runs whose steps {@link #slowestSteps(int)} looks at: the latest ones started in the last hour. */
    public static final int SLOW_STEP_SAMPLE_RUNS = 5000;

    /**
     * The {@code limit} steps with the longest 95th percentile duration (started to completed) among
     * the completed steps of the latest {@value #SLOW_STEP_SAMPLE_RUNS} runs started in the last hour:
     * a sample whose size does not grow with the rate, which keeps this fast with millions of runs.
     */
    public List<SlowStep> slowestSteps(int limit) {
        List<SlowStep> out = new ArrayList<>();
        for (Object o : em().createNativeQuery("""
                WITH recent AS (SELECT r.run_id FROM pgflow.runs r WHERE r.started_at >= now() - interval '1 hour'
                                ORDER BY r.started_at DESC LIMIT ?2)
                SELECT ss.flow_slug, ss.step_slug, count(*),
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM ss.completed_at - ss.started_at))
                FROM recent JOIN pgflow.step_states ss ON ss.run_id = recent.run_id
                WHERE ss.status = 'completed'
                GROUP BY ss.flow_slug, ss.step_slug ORDER BY 4 DESC, 1, 2 LIMIT ?1""")
                .setParameter(1, limit).setParameter(2, SLOW_STEP_SAMPLE_RUNS).getResultList()) {
            Object[] r = (Object[]) o;
            out.add(new SlowStep((String) r[0], (String) r[1], Rows.num(r[2]), ((Number) r[3]).doubleValue()));
        }
        return out;
    }

    /** Per flow, its {@code perFlow} most recently failed tasks (newest first), with their error's first line. */
    public List<FailedTask> latestFailures(int perFlow) {
        List<FailedTask> out = new ArrayList<>();
        for (Object o : em().createNativeQuery("""
                SELECT t.flow_slug, t.run_id, t.step_slug, t.task_index, t.attempts_count, t.failed_at,
                       split_part(coalesce(t.error_message, ''), E'\\n', 1)
                FROM pgflow.flows f
                CROSS JOIN LATERAL (SELECT * FROM pgflow.step_tasks t
                                    WHERE t.flow_slug = f.flow_slug AND t.status = 'failed'
                                    ORDER BY t.failed_at DESC LIMIT ?1) t
                ORDER BY t.flow_slug, t.failed_at DESC""").setParameter(1, perFlow).getResultList()) {
            Object[] r = (Object[]) o;
            out.add(new FailedTask((String) r[0], Rows.uuid(r[1]), (String) r[2],
                    ((Number) r[3]).intValue(), ((Number) r[4]).intValue(), Rows.time(r[5]), (String) r[6]));
        }
        return out;
    }
}
