package io.pgflowee.engine.query;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.pgflowee.engine.model.DependencyRecord;
import io.pgflowee.engine.model.FlowRecord;
import io.pgflowee.engine.model.StepRecord;
import jakarta.persistence.EntityManager;

/** Flows with their options, steps (in step order), dependencies and runs per status. */
// An EJB, not a CDI bean: in the EAR the persistence unit lives in the EJB module, and only the module's
// own components (EJBs) resolve it when a web request of the WAR calls them. No transaction of its own.
@jakarta.ejb.Stateless
@jakarta.ejb.TransactionAttribute(jakarta.ejb.TransactionAttributeType.SUPPORTS)
public class FlowQueries extends ReadModelQueries {

    /** A flow with its steps and its runs per status. */
    public record FlowSummary(FlowRecord flow, List<StepSummary> steps, StatusTotals runs) {
    }

    /** A step and the slugs of the steps it depends on (sorted). */
    public record StepSummary(StepRecord step, List<String> dependsOn) {
    }

    public FlowQueries() {
    }

    /** For use outside a container (tests, tools). */
    public FlowQueries(EntityManager em) {
        super(em);
    }

    /** Every flow in the database, by slug. */
    public List<FlowSummary> flows() {
        return summaries(null);
    }

    /** One flow, or empty when the database does not have it. */
    public Optional<FlowSummary> flow(String slug) {
        return summaries(slug).stream().findFirst();
    }

    /** The slugs of every flow in the database, in order (no steps, no run counts). */
    public List<String> slugs() {
        return em().createQuery("SELECT x.flowSlug FROM FlowRecord x ORDER BY x.flowSlug", String.class).getResultList();
    }

    /** Whether the database has this flow (one primary-key read). */
    public boolean exists(String slug) {
        return slug != null && em().find(FlowRecord.class, slug) != null;
    }

    /** One step's run times (pgflow.step_durations): null percentiles when no task of it completed in the window. */
    public record StepDuration(String stepSlug, int stepIndex, long completed, long failed, Double p50Ms, Double p95Ms, Double maxMs) {
    }

    /** How long each step of the flow took, from its tasks that ended at or after {@code since}, in step order (pgflow.step_durations). */
    public List<StepDuration> stepDurations(String slug, java.time.OffsetDateTime since) {
        List<StepDuration> out = new ArrayList<>();
        for (Object o : em().createNativeQuery("SELECT step_slug, step_index, completed, failed, p50_ms::float8, p95_ms::float8, max_ms::float8"
                + " FROM pgflow.step_durations(?1, ?2)").setParameter(1, slug).setParameter(2, since).getResultList()) {
            Object[] r = (Object[]) o;
            out.add(new StepDuration((String) r[0], ((Number) r[1]).intValue(), ((Number) r[2]).longValue(), ((Number) r[3]).longValue(),
                    r[4] == null ? null : ((Number) r[4]).doubleValue(), r[5] == null ? null : ((Number) r[5]).doubleValue(),
                    r[6] == null ? null : ((Number) r[6]).doubleValue()));
        }
        return List.copyOf(out);
    }

    /** One concurrency key's tasks of a flow now: started (holding its slots) and queued. */
    public record KeyLoad(String key, long running, long queued) {
    }

    /**
     * The busiest concurrency keys of the flow: the {@code limit} keys with the most tasks started,
     * then queued (one read of the flow's unfinished tasks); runs without a key are left out.
     */
    public List<KeyLoad> busiestKeys(String slug, int limit) {
        List<KeyLoad> out = new ArrayList<>();
        // queued and started counted apart, each through its partial index (a status IN (...) list can use neither);
        // concurrency_key > '' (not <> '') bounds the queue index's scan past a keyless flow's tasks
        for (Object o : em().createNativeQuery("SELECT k, sum(running), sum(queued) FROM ("
                + " SELECT t.concurrency_key AS k, count(*) AS running, 0 AS queued FROM pgflow.step_tasks t"
                + "  WHERE t.flow_slug = ?1 AND t.status = 'started' AND t.concurrency_key <> '' AND t.child_run_id IS NULL GROUP BY 1"
                + " UNION ALL"
                + " SELECT t.concurrency_key, 0, count(*) FROM pgflow.step_tasks t"
                + "  WHERE t.flow_slug = ?1 AND t.status = 'queued' AND t.concurrency_key > '' GROUP BY 1) x"
                + " GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT ?2").setParameter(1, slug).setParameter(2, limit).getResultList()) {
            Object[] r = (Object[]) o;
            out.add(new KeyLoad((String) r[0], ((Number) r[1]).longValue(), ((Number) r[2]).longValue()));
        }
        return List.copyOf(out);
    }

    /** A flow's steps in step order with their dependencies (no run counts): empty for an unknown flow. */
    public List<StepSummary> steps(String slug) {
        return List.copyOf(stepsOf(slug).getOrDefault(slug, List.of()));
    }

    /** Steps per flow slug (of one flow when {@code only} is given). */
    private Map<String, List<StepSummary>> stepsOf(String only) {
        String where = only == null ? "" : " WHERE x.flowSlug = :slug";
        var stepQuery = em().createQuery("SELECT x FROM StepRecord x" + where + " ORDER BY x.flowSlug, x.stepIndex", StepRecord.class);
        var depQuery = em().createQuery("SELECT x FROM DependencyRecord x" + where + " ORDER BY x.flowSlug, x.stepSlug, x.depSlug",
                DependencyRecord.class);
        if (only != null) {
            stepQuery.setParameter("slug", only);
            depQuery.setParameter("slug", only);
        }
        Map<String, List<String>> deps = new LinkedHashMap<>();
        for (DependencyRecord d : depQuery.setHint(RunQueries.HINT_READ_ONLY, true).getResultList()) {
            deps.computeIfAbsent(d.flowSlug() + "/" + d.stepSlug(), k -> new ArrayList<>()).add(d.depSlug());
        }
        Map<String, List<StepSummary>> steps = new LinkedHashMap<>();
        for (StepRecord s : stepQuery.setHint(RunQueries.HINT_READ_ONLY, true).getResultList()) {
            steps.computeIfAbsent(s.flowSlug(), k -> new ArrayList<>())
                    .add(new StepSummary(s, List.copyOf(deps.getOrDefault(s.flowSlug() + "/" + s.stepSlug(), List.of()))));
        }
        return steps;
    }

    private List<FlowSummary> summaries(String only) {
        String where = only == null ? "" : " WHERE x.flowSlug = :slug";
        var flowQuery = em().createQuery("SELECT x FROM FlowRecord x" + where + " ORDER BY x.flowSlug", FlowRecord.class);
        if (only != null) {
            flowQuery.setParameter("slug", only);
        }
        Map<String, List<StepSummary>> steps = stepsOf(only);
        RunQueries runs = new RunQueries(em());
        List<FlowSummary> flows = new ArrayList<>();
        for (FlowRecord f : flowQuery.setHint(RunQueries.HINT_READ_ONLY, true).getResultList()) {
            flows.add(new FlowSummary(f, List.copyOf(steps.getOrDefault(f.flowSlug(), List.of())),
                    runs.totals(RunFilter.ALL.withFlow(f.flowSlug()))));
        }
        return List.copyOf(flows);
    }
}
