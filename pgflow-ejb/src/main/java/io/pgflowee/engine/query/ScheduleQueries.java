package io.pgflowee.engine.query;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.pgflowee.api.json.JsonCodec;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.persistence.EntityManager;

/**
 * Schedules ({@code pgflow_internal.schedules}) with their next firings ({@code
 * pgflow.schedule_firings}) and their latest runs (keys {@code schedule:<name>:...}, found through
 * {@code idx_runs_schedule}), in one query per page.
 */
// An EJB for the same reason as FlowQueries: the persistence unit lives in the EJB module.
@jakarta.ejb.Stateless
@jakarta.ejb.TransactionAttribute(jakarta.ejb.TransactionAttributeType.SUPPORTS)
public class ScheduleQueries extends ReadModelQueries {

    /** The most schedules one page holds. */
    public static final int MAX_PAGE = 200;

    /** A run a schedule started: {@code firing} is the instant of its key (the firing, or the trigger's instant). */
    public record ScheduledRun(UUID runId, String status, OffsetDateTime startedAt, String firing) {
    }

    /**
     * A schedule, its next firings (earliest first, whether paused or not) and latest runs (newest first).
     *
     * @param declared whether the flow's Java definition declares it (the definition updates and deletes it)
     */
    public record ScheduleView(String name, String flowSlug, String cron, String inputJson, String timeZone, String catchUp,
                               OffsetDateTime nextFireAt, OffsetDateTime lastFiredAt, String lastError, OffsetDateTime pausedAt,
                               OffsetDateTime createdAt, OffsetDateTime updatedAt, boolean declared, List<Instant> nextFirings,
                               List<ScheduledRun> latestRuns) {

        public boolean paused() {
            return pausedAt != null;
        }
    }

    /** A page of schedules by name, and the name to continue after (null on the last page). */
    public record SchedulePage(List<ScheduleView> items, String next) {
    }

    public ScheduleQueries() {
    }

    /** For use outside a container (tests, tools). */
    public ScheduleQueries(EntityManager em) {
        super(em);
    }

    private static final String SELECT = "SELECT s.schedule_name, s.flow_slug, s.cron, s.input::text, s.time_zone, s.catch_up, s.next_fire_at,"
            + " s.last_fired_at, s.last_error, s.paused_at, s.created_at, s.updated_at, s.declared_as IS NOT NULL,"
            + " array_to_string(ARRAY(SELECT to_char(f AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            + "   FROM pgflow.schedule_firings(s.schedule_name, ?1) f), ','),"
            + " (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.run_id, 'status', r.status, 'at', r.started_at,"
            + "   'firing', substr(r.idempotency_key, length(s.schedule_name) + 11)) ORDER BY r.started_at DESC, r.idempotency_key DESC), '[]')::text"
            + "   FROM (SELECT r.run_id, r.status, r.started_at, r.idempotency_key FROM pgflow.runs r"
            + "    WHERE r.flow_slug = s.flow_slug AND r.idempotency_key LIKE 'schedule:%'"
            + "     AND split_part(r.idempotency_key, ':', 2) = s.schedule_name"
            + "    ORDER BY r.started_at DESC, r.idempotency_key DESC LIMIT ?2) r)"
            + " FROM pgflow_internal.schedules s";

    /**
     * Schedules by name after {@code after} (null: from the first), of one flow when {@code flowSlug}
     * is not null, at most {@code limit} (1 to {@link #MAX_PAGE}), each with {@code firings} next
     * firings (1 to 100) and its {@code runs} latest runs (0 to 100).
     */
    public SchedulePage page(String flowSlug, String after, int limit, int firings, int runs) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new InvalidQueryException("limit must be 1 to " + MAX_PAGE + ", got " + limit);
        }
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em().createNativeQuery(SELECT + " WHERE (CAST(?3 AS text) IS NULL OR s.flow_slug = ?3)"
                        + " AND (CAST(?4 AS text) IS NULL OR s.schedule_name > ?4)"
                        + " ORDER BY s.schedule_name LIMIT ?5")
                .setParameter(1, bounded(firings, 1, 100, "firings")).setParameter(2, bounded(runs, 0, 100, "runs"))
                .setParameter(3, flowSlug).setParameter(4, after).setParameter(5, limit + 1).getResultList();
        List<ScheduleView> items = new ArrayList<>();
        for (Object[] r : rows.subList(0, Math.min(limit, rows.size()))) {
            items.add(view(r));
        }
        return new SchedulePage(List.copyOf(items), rows.size() > limit ? items.get(items.size() - 1).name() : null);
    }

    /** One schedule, or empty when there is none of that name. */
    public Optional<ScheduleView> schedule(String name, int firings, int runs) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em().createNativeQuery(SELECT + " WHERE s.schedule_name = ?3")
                .setParameter(1, bounded(firings, 1, 100, "firings")).setParameter(2, bounded(runs, 0, 100, "runs"))
                .setParameter(3, name).getResultList();
        return rows.stream().findFirst().map(ScheduleQueries::view);
    }

    /** How many schedules there are (of one flow when {@code flowSlug} is not null), and how many of them are paused. */
    public long[] counts(String flowSlug) {
        Object[] r = (Object[]) em().createNativeQuery("SELECT count(*), count(*) FILTER (WHERE paused_at IS NOT NULL)"
                + " FROM pgflow_internal.schedules WHERE CAST(?1 AS text) IS NULL OR flow_slug = ?1").setParameter(1, flowSlug).getSingleResult();
        return new long[] {((Number) r[0]).longValue(), ((Number) r[1]).longValue()};
    }

    private static int bounded(int value, int min, int max, String what) {
        if (value < min || value > max) {
            throw new InvalidQueryException(what + " must be " + min + " to " + max + ", got " + value);
        }
        return value;
    }

    private static ScheduleView view(Object[] r) {
        List<Instant> next = new ArrayList<>();
        String firings = (String) r[13];
        if (firings != null && !firings.isEmpty()) {
            for (String f : firings.split(",")) {
                next.add(Instant.parse(f));
            }
        }
        List<ScheduledRun> runs = new ArrayList<>();
        for (JsonValue v : JsonCodec.parse((String) r[14]).asJsonArray()) {
            JsonObject o = v.asJsonObject();
            runs.add(new ScheduledRun(UUID.fromString(o.getString("id")), o.getString("status"), OffsetDateTime.parse(o.getString("at")),
                    o.getString("firing")));
        }
        return new ScheduleView((String) r[0], (String) r[1], (String) r[2], (String) r[3], (String) r[4], (String) r[5], Rows.time(r[6]),
                Rows.time(r[7]), (String) r[8], Rows.time(r[9]), Rows.time(r[10]), Rows.time(r[11]), Boolean.TRUE.equals(r[12]), List.copyOf(next),
                List.copyOf(runs));
    }
}
