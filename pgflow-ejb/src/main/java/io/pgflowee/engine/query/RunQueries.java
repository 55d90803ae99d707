package io.pgflowee.engine.query;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.pgflowee.engine.model.RunRecord;
import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.model.StepRecord;
import io.pgflowee.engine.model.StepStateRecord;
import io.pgflowee.engine.model.TaskRecord;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;

/**
 * Runs for the console and the REST API: filtered keyset pages (newest first), totals per status,
 * and the detail of one run. Reads only; typed results (the read model's entities).
 *
 * <p>Paging is by {@code (started_at, run_id)} descending, so a page never skips or repeats a run
 * while new runs are started between page reads (they are newer than every page already read).
 * A run whose starting transaction began before, but committed after, the page that covers its
 * time was read can be missed by that reader; it shows on the next read of the first page.
 */
// An EJB, not a CDI bean: in the EAR the persistence unit lives in the EJB module, and only the module's
// own components (EJBs) resolve it when a web request of the WAR calls them. No transaction of its own.
@jakarta.ejb.Stateless
@jakarta.ejb.TransactionAttribute(jakarta.ejb.TransactionAttributeType.SUPPORTS)
public class RunQueries extends ReadModelQueries {

    /** Page size limit. */
    public static final int MAX_LIMIT = 500;
    /**
     * Counting runs of one status stops here: a status with more matching runs shows this many as a
     * lower bound ("10,000+"), which keeps every count both true and fast with millions of runs.
     */
    public static final long COUNT_CAP = 10_000;

    static final String HINT_READ_ONLY = "eclipselink.read-only";

    public RunQueries() {
    }

    /** For use outside a container (tests, tools). */
    public RunQueries(EntityManager em) {
        super(em);
    }

    /**
     * A page of runs matching {@code filter}: the first page when {@code cursor} is null, else the
     * page the cursor (from a previous {@link RunPage}) points to.
     *
     * @throws IllegalArgumentException for a limit outside 1..500 or a cursor that is not one of ours
     */
    public RunPage page(RunFilter filter, String cursor, int limit) {
        return page(filter, cursor, limit, false);
    }

    /**
     * {@link #page(RunFilter, String, int)} newest first, or oldest first when {@code oldestFirst}
     * (a cursor is read in the order of the page that made it).
     */
    public RunPage page(RunFilter filter, String cursor, int limit, boolean oldestFirst) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidQueryException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        Cursor at = cursor == null || cursor.isBlank() ? null : Cursor.decode(cursor);
        RunFilter.Where where = filter.where(true);
        boolean backwards = at != null && !at.older();
        // reading forwards: older runs (newest first) or newer ones (oldest first); backwards: the other way, then reversed
        boolean descending = backwards == oldestFirst;
        StringBuilder sql = new StringBuilder("SELECT r.* FROM pgflow.runs r WHERE ").append(where.sql());
        List<Object> params = new ArrayList<>(where.params());
        if (at != null) {
            sql.append(descending ? " AND (r.started_at, r.run_id) < (CAST(? AS timestamptz), CAST(? AS uuid))"
                    : " AND (r.started_at, r.run_id) > (CAST(? AS timestamptz), CAST(? AS uuid))");
            params.add(at.startedAt().toString());
            params.add(at.runId().toString());
        }
        sql.append(descending ? " ORDER BY r.started_at DESC, r.run_id DESC" : " ORDER BY r.started_at ASC, r.run_id ASC");
        sql.append(" LIMIT ").append(limit + 1);
        List<RunRecord> rows = new ArrayList<>(runs(sql.toString(), params));
        boolean more = rows.size() > limit;
        if (more) {
            rows.remove(rows.size() - 1);
        }
        if (backwards) {
            Collections.reverse(rows);
        }
        String next = null;
        String previous = null;
        if (!rows.isEmpty()) {
            RunRecord first = rows.get(0);
            RunRecord last = rows.get(rows.size() - 1);
            boolean hasNext = backwards ? exists(where, last, oldestFirst) : more;
            boolean hasPrevious = backwards ? more : at != null && exists(where, first, !oldestFirst);
            next = hasNext ? new Cursor(true, last.startedAt(), last.runId()).encode() : null;
            previous = hasPrevious ? new Cursor(false, first.startedAt(), first.runId()).encode() : null;
        }
        return new RunPage(List.copyOf(rows), next, previous, totals(filter));
    }

    /**
     * Runs per status for the filter without its status condition (so every status shows its
     * count): exact up to {@link #COUNT_CAP} runs of a status, that lower bound beyond. One
     * statement; each status's count reads at most {@code COUNT_CAP + 1} index entries.
     */
    public StatusTotals totals(RunFilter filter) {
        RunFilter.Where where = filter.where(false);
        StringBuilder sql = new StringBuilder("SELECT ");
        List<Object> params = new ArrayList<>();
        RunStatus[] all = RunStatus.values();
        for (int i = 0; i < all.length; i++) {
            sql.append(i == 0 ? "" : ", ").append("(SELECT count(*) FROM (SELECT 1 FROM pgflow.runs r WHERE ").append(where.sql())
                    .append(" AND r.status = ? LIMIT ").append(COUNT_CAP + 1).append(") x)");
            params.addAll(where.params());
            params.add(all[i].dbValue());
        }
        Object[] row = (Object[]) query(sql.toString(), params).getSingleResult();
        Map<RunStatus, Long> counts = new EnumMap<>(RunStatus.class);
        java.util.Set<RunStatus> capped = java.util.EnumSet.noneOf(RunStatus.class);
        for (int i = 0; i < all.length; i++) {
            long n = Rows.num(row[i]);
            if (n > COUNT_CAP) {
                capped.add(all[i]);
                n = COUNT_CAP;
            }
            counts.put(all[i], n);
        }
        return new StatusTotals(counts, capped);
    }

    /** The run alone (no steps, no tasks), or empty for an unknown run. */
    public Optional<RunRecord> run(UUID runId) {
        return em().createQuery("SELECT r FROM RunRecord r WHERE r.runId = :id", RunRecord.class)
                .setParameter("id", runId).setHint(HINT_READ_ONLY, true).getResultList().stream().findFirst();
    }

    /**
     * Why a started run's queued tasks (due now) are not claimed, when a limit holds them back: its
     * flow is paused ({@code pause_flow}), its
     * key's slots are all taken ({@code set_key_concurrency}), the rate limit's bucket (the flow's, or
     * its key's) is empty ({@code set_rate_limit}), or the flow's limit is reached
     * ({@code set_flow_concurrency}); empty when nothing holds it back (or the workers just have not
     * got to it yet), for a finished run, and for an unknown one.
     */
    public Optional<String> heldBack(UUID runId) {
        List<?> rows = em().createNativeQuery("SELECT r.concurrency_key, f.max_running_per_key,"
                + " CASE WHEN f.max_running_per_key IS NOT NULL AND r.concurrency_key IS NOT NULL THEN (SELECT count(*) FROM pgflow.step_tasks t"
                + "   WHERE t.flow_slug = r.flow_slug AND t.concurrency_key = r.concurrency_key AND t.concurrency_key <> ''"
                + "   AND t.status = 'started' AND t.child_run_id IS NULL) END,"
                + " f.rate_per_second::float8, f.rate_per_key,"
                + " (CASE WHEN f.rate_per_second IS NULL THEN NULL"
                + "   WHEN f.rate_per_key THEN (SELECT least(f.rate_burst, coalesce(k.tokens + f.rate_per_second"
                + "     * extract(epoch FROM clock_timestamp() - k.refilled_at), f.rate_burst)) FROM pgflow_internal.concurrency_keys k"
                + "     WHERE k.flow_slug = r.flow_slug AND k.concurrency_key = r.concurrency_key)"
                + "   ELSE (SELECT least(f.rate_burst, b.tokens + f.rate_per_second * extract(epoch FROM clock_timestamp() - b.refilled_at))"
                + "     FROM pgflow_internal.rate_buckets b WHERE b.flow_slug = r.flow_slug) END)::float8,"
                + " f.max_running, CASE WHEN f.max_running IS NOT NULL THEN (SELECT count(*) FROM pgflow.step_tasks t WHERE t.flow_slug = r.flow_slug"
                + "   AND t.status = 'started' AND t.visible_at > clock_timestamp() AND t.child_run_id IS NULL) END, f.paused_at"
                + " FROM pgflow.runs r JOIN pgflow.flows f ON f.flow_slug = r.flow_slug"
                + " WHERE r.run_id = CAST(?1 AS uuid) AND r.status = 'started' AND EXISTS (SELECT 1 FROM pgflow.step_tasks t"
                + "   WHERE t.run_id = r.run_id AND t.status = 'queued' AND t.visible_at <= clock_timestamp())")
                .setParameter(1, runId.toString()).getResultList();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Object[] r = (Object[]) rows.get(0);
        String key = (String) r[0];
        if (r[8] != null) {
            return Optional.of("Waiting for its flow to be resumed: the flow is paused since "
                    + Rows.time(r[8]).withOffsetSameInstant(java.time.ZoneOffset.UTC).toLocalDateTime().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                            .toString().replace('T', ' ')
                    + " UTC, and nothing of it is claimed until then (resume_flow)");
        }
        if (r[1] != null && r[2] != null && ((Number) r[2]).longValue() >= ((Number) r[1]).longValue()) {
            return Optional.of("Waiting for a slot of its concurrency key \"" + key + "\": " + ((Number) r[2]).longValue() + " of "
                    + ((Number) r[1]).intValue() + " running (set_key_concurrency)");
        }
        if (r[3] != null && r[5] != null && ((Number) r[5]).doubleValue() < 1
                && (!Boolean.TRUE.equals(r[4]) || key != null)) {
            return Optional.of("Waiting for rate-limit tokens: at most " + rate(((Number) r[3]).doubleValue()) + " tasks a second "
                    + (Boolean.TRUE.equals(r[4]) ? "of its concurrency key \"" + key + "\"" : "of the flow") + " (set_rate_limit)");
        }
        if (r[6] != null && r[7] != null && ((Number) r[7]).longValue() >= ((Number) r[6]).longValue()) {
            return Optional.of("Waiting for the flow's concurrency limit: " + ((Number) r[7]).longValue() + " of " + ((Number) r[6]).intValue()
                    + " running (set_flow_concurrency)");
        }
        return Optional.empty();
    }

    private static String rate(double perSecond) {
        return perSecond == Math.rint(perSecond) ? String.valueOf((long) perSecond) : String.valueOf(perSecond);
    }

    /** The run with its steps in step order and their tasks, or empty for an unknown run. */
    public Optional<RunDetail> detail(UUID runId) {
        return detail(runId, Integer.MAX_VALUE);
    }

    /**
     * The run with its steps and at most {@code tasksPerStep} tasks of each step: failed ones first,
     * then started, queued, the others, each by task index (what a person looks at in a wide map;
     * {@link #taskCounts(UUID)} counts them all).
     */
    @SuppressWarnings("unchecked")
    public Optional<RunDetail> detail(UUID runId, int tasksPerStep) {
        Optional<RunRecord> found = run(runId);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Map<String, List<TaskRecord>> tasks = new LinkedHashMap<>();
        List<TaskRecord> rows;
        if (tasksPerStep == Integer.MAX_VALUE) {
            rows = em().createQuery("SELECT t FROM TaskRecord t WHERE t.runId = :id ORDER BY t.stepSlug, t.taskIndex",
                    TaskRecord.class).setParameter("id", runId).setHint(HINT_READ_ONLY, true).getResultList();
        } else {
            Query q = em().createNativeQuery("SELECT t.* FROM pgflow.step_tasks t WHERE t.run_id = CAST(?1 AS uuid)"
                    + " AND (t.step_slug, t.task_index) IN (SELECT x.step_slug, x.task_index FROM (SELECT u.step_slug, u.task_index,"
                    + " row_number() OVER (PARTITION BY u.step_slug ORDER BY CASE u.status WHEN 'failed' THEN 0 WHEN 'started' THEN 1"
                    + " WHEN 'queued' THEN 2 ELSE 3 END, u.task_index) AS n FROM pgflow.step_tasks u WHERE u.run_id = CAST(?1 AS uuid)) x"
                    + " WHERE x.n <= ?2) ORDER BY t.step_slug, CASE t.status WHEN 'failed' THEN 0 WHEN 'started' THEN 1"
                    + " WHEN 'queued' THEN 2 ELSE 3 END, t.task_index", TaskRecord.class);
            q.setParameter(1, runId.toString()).setParameter(2, tasksPerStep).setHint(HINT_READ_ONLY, true);
            rows = q.getResultList();
        }
        for (TaskRecord t : rows) {
            tasks.computeIfAbsent(t.stepSlug(), k -> new ArrayList<>()).add(t);
        }
        List<RunDetail.StepDetail> steps = new ArrayList<>();
        for (Object[] row : em().createQuery("SELECT s, st FROM StepStateRecord s, StepRecord st"
                + " WHERE s.runId = :id AND st.flowSlug = s.flowSlug AND st.stepSlug = s.stepSlug ORDER BY st.stepIndex",
                Object[].class).setParameter("id", runId).setHint(HINT_READ_ONLY, true).getResultList()) {
            StepStateRecord state = (StepStateRecord) row[0];
            steps.add(new RunDetail.StepDetail(state, (StepRecord) row[1], List.copyOf(tasks.getOrDefault(state.stepSlug(), List.of()))));
        }
        return Optional.of(new RunDetail(found.get(), List.copyOf(steps)));
    }

    /** The run's tasks per step and status ({@code {"fetch": {"completed": 9990, "failed": 10}}}), one grouped query. */
    public Map<String, Map<String, Long>> taskCounts(UUID runId) {
        Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        for (Object row : query("SELECT t.step_slug, t.status, count(*) FROM pgflow.step_tasks t WHERE t.run_id = CAST(? AS uuid)"
                + " GROUP BY 1, 2 ORDER BY 1, 2", List.of(runId.toString())).getResultList()) {
            Object[] c = (Object[]) row;
            counts.computeIfAbsent((String) c[0], k -> new LinkedHashMap<>()).put((String) c[1], Rows.num(c[2]));
        }
        return counts;
    }

    /**
     * The ids of at most {@code max} runs matching {@code filter} (with its statuses), newest first:
     * what a bulk action by filter acts on.
     */
    public List<UUID> ids(RunFilter filter, int max) {
        RunFilter.Where where = filter.where(true);
        List<UUID> ids = new ArrayList<>();
        for (Object id : query("SELECT r.run_id FROM pgflow.runs r WHERE " + where.sql()
                + " ORDER BY r.started_at DESC, r.run_id DESC LIMIT " + max, where.params()).getResultList()) {
            ids.add(Rows.uuid(id));
        }
        return ids;
    }

    /** The type of step {@code stepSlug} of run {@code runId}'s flow ({@code single}, {@code map_subflow}...), or empty. */
    public Optional<String> stepType(UUID runId, String stepSlug) {
        List<?> rows = query("SELECT s.step_type FROM pgflow.runs r JOIN pgflow.steps s ON s.flow_slug = r.flow_slug AND s.step_slug = ?"
                + " WHERE r.run_id = CAST(? AS uuid)", List.of(stepSlug, runId.toString())).getResultList();
        return rows.isEmpty() ? Optional.empty() : Optional.of((String) rows.get(0));
    }

    /** The status of each of {@code ids} that exists (one query). */
    public Map<UUID, String> statuses(List<UUID> ids) {
        Map<UUID, String> statuses = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return statuses;
        }
        for (Object row : query("SELECT r.run_id, r.status FROM pgflow.runs r WHERE r.run_id = ANY (CAST(? AS uuid[]))",
                List.of(ids.stream().map(UUID::toString).collect(java.util.stream.Collectors.joining(",", "{", "}")))).getResultList()) {
            Object[] c = (Object[]) row;
            statuses.put(Rows.uuid(c[0]), (String) c[1]);
        }
        return statuses;
    }

    /** The root of the family {@code runId} belongs to (itself for a run nobody started), or empty for an unknown run. */
    public Optional<UUID> rootOf(UUID runId) {
        List<?> rows = query("SELECT coalesce(r.root_run_id, r.run_id) FROM pgflow.runs r WHERE r.run_id = CAST(? AS uuid)",
                List.of(runId.toString())).getResultList();
        return rows.isEmpty() ? Optional.empty() : Optional.of(Rows.uuid(rows.get(0)));
    }

    /**
     * The child runs that the subflow steps of {@code parents} started, grouped by parent and step, in
     * the order of {@code parents} then step: every group's count per status, and at most
     * {@code listed} children per group (failed first, then running, cancelled, completed; by element).
     * Two queries whatever the number of children (the index on parent_run_id).
     */
    public List<ChildGroup> children(List<UUID> parents, int listed) {
        if (parents.isEmpty()) {
            return List.of();
        }
        String ids = "CAST(? AS uuid[])";
        List<Object> params = List.of(parents.stream().map(UUID::toString).collect(java.util.stream.Collectors.joining(",", "{", "}")));
        Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        for (Object row : query("SELECT c.parent_run_id, c.parent_step_slug, c.status, count(*) FROM pgflow.runs c"
                + " WHERE c.parent_run_id = ANY (" + ids + ") GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", params).getResultList()) {
            Object[] c = (Object[]) row;
            counts.computeIfAbsent(Rows.uuid(c[0]) + "/" + c[1], k -> new LinkedHashMap<>()).put((String) c[2], Rows.num(c[3]));
        }
        Map<String, List<FamilyMember>> members = new LinkedHashMap<>();
        for (Object row : query("SELECT x.run_id, x.flow_slug, x.status, x.parent_run_id, x.parent_step_slug, x.parent_task_index,"
                + " x.started_at, x.ended_at, x.current FROM (SELECT c.*, coalesce(c.completed_at, c.failed_at, c.cancelled_at) AS ended_at,"
                + " EXISTS (SELECT 1 FROM pgflow.step_tasks t WHERE t.run_id = c.parent_run_id AND t.step_slug = c.parent_step_slug"
                + " AND t.task_index = c.parent_task_index AND t.child_run_id = c.run_id) AS current,"
                + " row_number() OVER (PARTITION BY c.parent_run_id, c.parent_step_slug ORDER BY CASE c.status WHEN 'failed' THEN 0"
                + " WHEN 'started' THEN 1 WHEN 'cancelled' THEN 2 ELSE 3 END, c.parent_task_index, c.started_at, c.run_id) AS n"
                + " FROM pgflow.runs c WHERE c.parent_run_id = ANY (" + ids + ")) x WHERE x.n <= " + Math.max(0, listed)
                + " ORDER BY x.parent_run_id, x.parent_step_slug, x.n", params).getResultList()) {
            Object[] c = (Object[]) row;
            FamilyMember m = new FamilyMember(Rows.uuid(c[0]), (String) c[1], (String) c[2], Rows.uuid(c[3]), (String) c[4],
                    ((Number) c[5]).intValue(), Rows.time(c[6]), c[7] == null ? null : Rows.time(c[7]), Boolean.TRUE.equals(c[8]));
            members.computeIfAbsent(m.parentRunId() + "/" + m.parentStepSlug(), k -> new ArrayList<>()).add(m);
        }
        List<ChildGroup> groups = new ArrayList<>();
        for (UUID parent : parents) {
            counts.forEach((key, perStatus) -> {
                if (key.startsWith(parent + "/")) {
                    groups.add(new ChildGroup(parent, key.substring(key.indexOf('/') + 1), Map.copyOf(perStatus),
                            List.copyOf(members.getOrDefault(key, List.of()))));
                }
            });
        }
        return groups;
    }

    /** Each retry of the run (who and when), first first; empty for a run never retried (or retried before the run_retries table existed). */
    public List<RunRetry> retries(UUID runId) {
        List<RunRetry> retries = new ArrayList<>();
        for (Object row : query("SELECT x.retry_number, x.retried_at, x.retried_by FROM pgflow_internal.run_retries x"
                + " WHERE x.run_id = CAST(? AS uuid) ORDER BY x.retry_number", List.of(runId.toString())).getResultList()) {
            Object[] c = (Object[]) row;
            retries.add(new RunRetry(((Number) c[0]).intValue(), Rows.time(c[1]), (String) c[2]));
        }
        return retries;
    }

    /** The ended attempts of a run's tasks that did not complete them, oldest first. */
    public List<TaskAttempt> attempts(UUID runId) {
        List<TaskAttempt> attempts = new ArrayList<>();
        for (Object row : query("SELECT a.step_slug, a.task_index, a.attempt, a.worker_id, a.outcome, a.error_message,"
                + " a.started_at, a.ended_at FROM pgflow_internal.task_attempts a WHERE a.run_id = CAST(? AS uuid)"
                + " ORDER BY a.ended_at, a.step_slug, a.task_index", List.of(runId.toString())).getResultList()) {
            Object[] c = (Object[]) row;
            attempts.add(new TaskAttempt((String) c[0], ((Number) c[1]).intValue(), ((Number) c[2]).intValue(),
                    c[3] == null ? null : Rows.uuid(c[3]), (String) c[4], (String) c[5], Rows.time(c[6]),
                    Rows.time(c[7])));
        }
        return attempts;
    }

    @SuppressWarnings("unchecked")
    private List<RunRecord> runs(String sql, List<Object> params) {
        Query q = em().createNativeQuery(sql, RunRecord.class);
        bind(q, params);
        q.setHint(HINT_READ_ONLY, true);
        return q.getResultList();
    }

    private boolean exists(RunFilter.Where where, RunRecord from, boolean newer) {
        List<Object> params = new ArrayList<>(where.params());
        params.add(from.startedAt().toString());
        params.add(from.runId().toString());
        return !query("SELECT 1 FROM pgflow.runs r WHERE " + where.sql() + " AND (r.started_at, r.run_id) "
                + (newer ? ">" : "<") + " (CAST(? AS timestamptz), CAST(? AS uuid)) LIMIT 1", params).getResultList().isEmpty();
    }

    Query query(String sql, List<Object> params) {
        Query q = em().createNativeQuery(sql);
        bind(q, params);
        return q;
    }

    private static void bind(Query q, List<Object> params) {
        for (int i = 0; i < params.size(); i++) {
            q.setParameter(i + 1, params.get(i));
        }
    }

    /** A page position: the (started_at, run_id) of a boundary run and the direction to read from it. */
    record Cursor(boolean older, OffsetDateTime startedAt, UUID runId) {

        String encode() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    ((older ? "o" : "n") + "|" + startedAt + "|" + runId).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String text) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split("\\|");
                if (parts.length != 3 || !(parts[0].equals("o") || parts[0].equals("n"))) {
                    throw new InvalidQueryException("wrong shape");
                }
                return new Cursor(parts[0].equals("o"), OffsetDateTime.parse(parts[1]), UUID.fromString(parts[2]));
            } catch (RuntimeException e) {
                throw new InvalidQueryException("cursor '" + text + "' is not a cursor of this listing: pass the nextCursor or"
                        + " previousCursor of a page as it was returned");
            }
        }
    }
}
