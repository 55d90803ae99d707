package io.pgflowee.engine.events;

import java.time.Instant;
import java.util.Comparator;
import java.util.Set;
import java.util.UUID;

/**
 * One transition of a run or of one of its steps, as sent on {@code pgflow_events} or derived from
 * the tables ({@link RunEventHub#history}). Both give the same {@link #id()} for the same
 * transition: the transition's time in microseconds (the {@code *_at} column it wrote), an order
 * rank, the run and the step.
 *
 * @param type       {@code run:started}, {@code run:retried}, {@code run:completed}, {@code run:failed},
 *                   {@code run:cancelled}, {@code step:started}, {@code step:waiting} (a signal step),
 *                   {@code step:completed}, {@code step:failed}, {@code step:skipped} or {@code step:cancelled};
 *                   {@code run:child_started} / {@code run:child_finished}: a subflow step's task started a child run /
 *                   the child it waits for ended ({@code status} is then the child's)
 * @param stepSlug   null for run events (but the child events: the subflow step)
 * @param skipReason only for {@code step:skipped}
 * @param atMicros   the transition's time, microseconds since 1970
 * @param taskIndex  child events only: the subflow step's task (the element of a map subflow)
 * @param childRunId child events only: the child run
 * @param childFlowSlug child events only: the child run's flow
 */
public record RunEvent(String type, UUID runId, String flowSlug, String stepSlug, String status, String skipReason,
                       long atMicros, Integer taskIndex, UUID childRunId, String childFlowSlug) {

    /** An event of the run itself or of one of its steps (not of a child). */
    public RunEvent(String type, UUID runId, String flowSlug, String stepSlug, String status, String skipReason, long atMicros) {
        this(type, runId, flowSlug, stepSlug, status, skipReason, atMicros, null, null, null);
    }

    /** The event types after which a run has no further event (until a retry). */
    public static final Set<String> TERMINAL = Set.of("run:completed", "run:failed", "run:cancelled");

    /** Order of events with the same time: events of one transaction are sent in this order. */
    public static final Comparator<RunEvent> ORDER = Comparator.comparingLong(RunEvent::atMicros)
            .thenComparingInt(RunEvent::rank)
            .thenComparing(e -> e.runId().toString())
            .thenComparing(e -> e.stepSlug() == null ? "" : e.stepSlug())
            .thenComparingInt(e -> e.childRunId() == null ? -1 : e.taskIndex());

    /**
     * The stable id: {@code <micros>/<rank>/<run id>/<step slug or empty>}, and {@code #<task index>} for
     * a child event (the children of a map subflow start in one transaction).
     */
    public String id() {
        return atMicros + "/" + rank() + "/" + runId + "/" + (stepSlug == null ? "" : stepSlug)
                + (childRunId == null ? "" : "#" + taskIndex);
    }

    public boolean terminal() {
        return TERMINAL.contains(type);
    }

    public Instant at() {
        return Instant.ofEpochSecond(Math.floorDiv(atMicros, 1_000_000L), Math.floorMod(atMicros, 1_000_000L) * 1_000L);
    }

    int rank() {
        return switch (type) {
            case "run:started" -> 0;
            case "run:retried" -> 1;
            case "step:started" -> 3;
            case "run:completed", "run:failed", "run:cancelled" -> 4;
            case "step:waiting" -> 5; // right after its step:started (a run cannot end in the transaction a step starts waiting)
            case "run:child_started" -> 6; // the report of the task that started it, after the events it caused
            default -> 2; // a step's end comes before the starts it causes in the same transaction
        };
    }

    /**
     * The time of an event id (from {@code Last-Event-ID}), in microseconds.
     *
     * @throws IllegalArgumentException when {@code id} is not one of ours
     */
    public static long timeOf(String id) {
        int slash = id == null ? -1 : id.indexOf('/');
        try {
            if (slash > 0) {
                return Long.parseLong(id.substring(0, slash));
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("'" + id + "' is not an event id of this API (<micros>/<rank>/<run id>/<step>)");
    }

    static long micros(java.time.OffsetDateTime t) {
        return t.toEpochSecond() * 1_000_000L + t.getNano() / 1_000L;
    }
}
