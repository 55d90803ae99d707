package io.pgflowee.engine.query;

import io.pgflowee.api.json.Jsonp;

import java.io.StringReader;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

import io.pgflowee.engine.model.RunStatus;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;

/**
 * Which runs to list; every field is optional (null or empty: no condition).
 *
 * @param flowSlug only this flow
 * @param statuses only these statuses
 * @param startedAfter started at or after
 * @param startedBefore started before
 * @param runIdPrefix the run id starts with these hexadecimal digits (dashes ignored), or, written with
 *        an ellipsis first ({@code …9ba16cad} or {@code ...9ba16cad}), ends with them: run ids are
 *        version 7 UUIDs whose first 12 digits are the start's millisecond, so the console shows
 *        their random end
 * @param inputContains the run input contains this JSON ({@code input @> value}), for example
 *        {@code {"customer": "c-42"}}
 * @param parentRunId only the child runs that this run's subflow steps started
 * @param concurrencyKey only the runs of this concurrency key
 * @param priority only the runs of this priority
 * @param errorContains only the runs with a task attempt whose error contains this text,
 *        case-insensitive ({@code ILIKE} over {@code task_attempts}, which keeps every failed attempt,
 *        the last one too; a trigram index answers it). Step-level errors without a task attempt
 *        (a run's timeout, a map's type violation) are not searched
 */
public record RunFilter(String flowSlug, Set<RunStatus> statuses, OffsetDateTime startedAfter, OffsetDateTime startedBefore,
                        String runIdPrefix, String inputContains, UUID parentRunId, String concurrencyKey, Integer priority,
                        String errorContains) {

    /** The longest error text searched for. */
    public static final int MAX_ERROR_TEXT = 200;

    /** Runs whatever their errors. */
    public RunFilter(String flowSlug, Set<RunStatus> statuses, OffsetDateTime startedAfter, OffsetDateTime startedBefore,
                     String runIdPrefix, String inputContains, UUID parentRunId, String concurrencyKey, Integer priority) {
        this(flowSlug, statuses, startedAfter, startedBefore, runIdPrefix, inputContains, parentRunId, concurrencyKey, priority, null);
    }

    public static final RunFilter ALL = new RunFilter(null, null, null, null, null, null, null);

    /** Runs of any key and priority. */
    public RunFilter(String flowSlug, Set<RunStatus> statuses, OffsetDateTime startedAfter, OffsetDateTime startedBefore,
                     String runIdPrefix, String inputContains, UUID parentRunId) {
        this(flowSlug, statuses, startedAfter, startedBefore, runIdPrefix, inputContains, parentRunId, null, null);
    }

    /** Runs of any parent (or none). */
    public RunFilter(String flowSlug, Set<RunStatus> statuses, OffsetDateTime startedAfter, OffsetDateTime startedBefore,
                     String runIdPrefix, String inputContains) {
        this(flowSlug, statuses, startedAfter, startedBefore, runIdPrefix, inputContains, null);
    }

    /** Before hexadecimal digits in {@code runIdPrefix}: the run id ends with them. */
    public static final String ELLIPSIS = "\u2026";

    public RunFilter {
        statuses = statuses == null || statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
        if (runIdPrefix != null) {
            String trimmed = runIdPrefix.strip();
            boolean end = trimmed.startsWith(ELLIPSIS) || trimmed.startsWith("...");
            String hex = trimmed.substring(trimmed.startsWith(ELLIPSIS) ? 1 : end ? 3 : 0).replace("-", "").toLowerCase(Locale.ROOT);
            if (hex.isEmpty() ? !trimmed.isEmpty() : !hex.matches("[0-9a-f]{1,32}")) {
                throw new InvalidQueryException("runIdPrefix '" + runIdPrefix + "' is not the start of a run id (or, after an ellipsis,"
                        + " its end): use 1 to 32 hexadecimal digits (dashes are ignored), or …9ba16cad");
            }
            runIdPrefix = hex.isEmpty() ? null : end ? ELLIPSIS + hex : hex;
        }
        if (inputContains != null) {
            if (inputContains.isBlank()) {
                inputContains = null;
            } else {
                try (var reader = Jsonp.createReader(new StringReader(inputContains))) {
                    JsonValue value = reader.readValue();
                    inputContains = value.toString();
                } catch (JsonParsingException e) {
                    throw new InvalidQueryException("inputContains is not valid JSON: " + e.getMessage());
                }
            }
        }
        if (flowSlug != null && flowSlug.isBlank()) {
            flowSlug = null;
        }
        if (concurrencyKey != null && concurrencyKey.isEmpty()) {
            concurrencyKey = null;
        }
        if (errorContains != null) {
            errorContains = errorContains.strip();
            if (errorContains.isEmpty()) {
                errorContains = null;
            } else if (errorContains.length() > MAX_ERROR_TEXT) {
                throw new InvalidQueryException("errorContains is " + errorContains.length() + " characters long: search for at most "
                        + MAX_ERROR_TEXT);
            }
        }
        if (priority != null && (priority < -100 || priority > 100)) {
            throw new InvalidQueryException("priority " + priority + " is out of range: runs have priorities from -100 to 100");
        }
    }

    public RunFilter withFlow(String flow) {
        return new RunFilter(flow, statuses, startedAfter, startedBefore, runIdPrefix, inputContains, parentRunId, concurrencyKey, priority, errorContains);
    }

    public RunFilter withStatuses(Set<RunStatus> only) {
        return new RunFilter(flowSlug, only, startedAfter, startedBefore, runIdPrefix, inputContains, parentRunId, concurrencyKey, priority, errorContains);
    }

    public RunFilter withStarted(OffsetDateTime after, OffsetDateTime before) {
        return new RunFilter(flowSlug, statuses, after, before, runIdPrefix, inputContains, parentRunId, concurrencyKey, priority, errorContains);
    }

    public RunFilter withRunIdPrefix(String prefix) {
        return new RunFilter(flowSlug, statuses, startedAfter, startedBefore, prefix, inputContains, parentRunId, concurrencyKey, priority, errorContains);
    }

    public RunFilter withInputContaining(String json) {
        return new RunFilter(flowSlug, statuses, startedAfter, startedBefore, runIdPrefix, json, parentRunId, concurrencyKey, priority, errorContains);
    }

    public RunFilter withParent(UUID parent) {
        return new RunFilter(flowSlug, statuses, startedAfter, startedBefore, runIdPrefix, inputContains, parent, concurrencyKey, priority, errorContains);
    }

    public RunFilter withKey(String key, Integer level) {
        return new RunFilter(flowSlug, statuses, startedAfter, startedBefore, runIdPrefix, inputContains, parentRunId, key, level, errorContains);
    }

    public RunFilter withErrorContaining(String text) {
        return new RunFilter(flowSlug, statuses, startedAfter, startedBefore, runIdPrefix, inputContains, parentRunId, concurrencyKey, priority,
                text);
    }

    /** The SQL conditions (alias {@code r}) and their parameters; the status condition only when asked. */
    Where where(boolean withStatuses) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        if (flowSlug != null) {
            conditions.add("r.flow_slug = ?");
            params.add(flowSlug);
        }
        if (parentRunId != null) {
            conditions.add("r.parent_run_id = CAST(? AS uuid)");
            params.add(parentRunId.toString());
        }
        if (concurrencyKey != null) {
            conditions.add("r.concurrency_key = ?");
            params.add(concurrencyKey);
        }
        if (priority != null) {
            conditions.add("r.priority = ?");
            params.add(priority);
        }
        if (withStatuses && !statuses.isEmpty()) {
            conditions.add("r.status IN (" + String.join(", ", statuses.stream().map(s -> "?").toList()) + ")");
            statuses.stream().sorted().forEach(s -> params.add(s.dbValue()));
        }
        if (startedAfter != null) {
            conditions.add("r.started_at >= CAST(? AS timestamptz)");
            params.add(startedAfter.toString());
        }
        if (startedBefore != null) {
            conditions.add("r.started_at < CAST(? AS timestamptz)");
            params.add(startedBefore.toString());
        }
        if (runIdPrefix != null && runIdPrefix.startsWith(ELLIPSIS)) {
            // the random end of a run id: a text match (cheap with other conditions, a scan of the runs without)
            conditions.add("replace(CAST(r.run_id AS text), '-', '') LIKE ?");
            params.add("%" + runIdPrefix.substring(1));
        } else if (runIdPrefix != null) {
            // a prefix is a range of the primary key: no text scan of run ids
            conditions.add("r.run_id BETWEEN CAST(? AS uuid) AND CAST(? AS uuid)");
            params.add(uuidText(runIdPrefix, '0'));
            params.add(uuidText(runIdPrefix, 'f'));
        }
        if (inputContains != null) {
            conditions.add("r.input @> CAST(? AS jsonb)");
            params.add(inputContains);
        }
        if (errorContains != null) {
            // the runs of the matching attempts (found by the trigram index), not a test per run: every failed attempt,
            // the last one too, is a row of task_attempts (changeset 109-error-text-search)
            conditions.add("r.run_id IN (SELECT a.run_id FROM pgflow_internal.task_attempts a WHERE a.error_message ILIKE ?)");
            params.add(io.pgflowee.engine.db.LikePatterns.containing(errorContains));
        }
        return new Where(conditions.isEmpty() ? "TRUE" : String.join(" AND ", conditions), params);
    }

    /** How the console shows a run id short: an ellipsis and its last 8 digits (the random part of a version 7 UUID). */
    public static String shortId(String runId) {
        return runId == null ? "" : ELLIPSIS + runId.substring(runId.length() - 8);
    }

    private static String uuidText(String prefix, char pad) {
        String hex = prefix + String.valueOf(pad).repeat(32 - prefix.length());
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-"
                + hex.substring(20);
    }

    record Where(String sql, List<Object> params) {
    }
}
