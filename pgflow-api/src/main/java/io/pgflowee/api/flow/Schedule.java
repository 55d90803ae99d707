package io.pgflowee.api.flow;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A schedule a flow declares: runs of the flow started by cron, once per firing across every
 * server ({@code pgflow.tick()}), with the declared input plus {@code "scheduled_at"}.
 *
 * <pre>{@code
 * flow.schedule("nightly_report", "0 3 * * *", new Input("eu"))
 *     .timeZone("Europe/Berlin")        // the wall clock the expression reads (default UTC)
 *     .catchUp(Schedule.CatchUp.LATEST); // after a downtime: the most recent missed firing (default)
 * }</pre>
 *
 * The flow compiler writes the declaration into the flow's changelog ({@code
 * pgflow.apply_flow_schedules}), which creates it, updates it when the declaration changes and
 * deletes it when the declaration is removed; what operators change at run time (pause, another
 * cron) stays until the declaration changes. Names are unique across flows.
 */
public final class Schedule {

    /** What a schedule does with firings missed while no server ran. */
    public enum CatchUp {
        /** The most recent missed firing only (the default). */
        LATEST,
        /** Every missed firing, oldest first (at most 1,000 per tick). */
        ALL,
        /** None: the next firing after now. */
        NONE;

        /** The value {@code pgflow.create_schedule} takes. */
        public String sqlValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");
    private static final Pattern FIELD = Pattern.compile("[A-Za-z0-9*,/-]+");
    private static final java.util.Set<String> SHORTCUTS = java.util.Set.of("@hourly", "@daily", "@midnight", "@weekly", "@monthly",
            "@yearly", "@annually");

    private final String flowSlug;
    private final String name;
    private final String cron;
    private final Object input;
    private String timeZone = "UTC";
    private CatchUp catchUp = CatchUp.LATEST;

    Schedule(String flowSlug, String name, String cron, Object input) {
        this.flowSlug = flowSlug;
        if (name == null || !NAME.matcher(name).matches()) {
            throw new FlowDefinitionException(flowSlug, null, "schedule name \"" + name
                    + "\" is not valid: 1 to 100 letters, digits, \"_\", \".\" or \"-\"");
        }
        this.name = name;
        String problem = cronProblem(cron);
        if (problem != null) {
            throw new FlowDefinitionException(flowSlug, null, "schedule \"" + name + "\": cron \"" + cron + "\" " + problem);
        }
        this.cron = cron.trim();
        this.input = input;
    }

    /**
     * What is structurally wrong with a cron expression, or null: the five standard fields
     * (minute hour day-of-month month day-of-week) or a shortcut. Values and ranges are checked by
     * the database when the changelog applies ({@code pgflow.create_schedule}'s messages).
     */
    static String cronProblem(String cron) {
        if (cron == null || cron.isBlank()) {
            return "is empty; the five standard fields are expected (minute hour day-of-month month day-of-week)";
        }
        String text = cron.trim();
        if (text.startsWith("@")) {
            return SHORTCUTS.contains(text.toLowerCase(Locale.ROOT)) ? null
                    : "is an unknown shortcut (use @hourly, @daily, @weekly, @monthly or @yearly, or five fields)";
        }
        String[] fields = text.split("\\s+");
        if (fields.length != 5) {
            return "has " + fields.length + " field" + (fields.length == 1 ? "" : "s")
                    + "; the five standard fields are expected (minute hour day-of-month month day-of-week)"
                    + (fields.length == 6 ? ": seconds are not supported" : "");
        }
        for (String field : fields) {
            if (!FIELD.matcher(field).matches()) {
                return "has a field \"" + field + "\" with characters cron does not use (digits, names, * , - /)";
            }
        }
        return null;
    }

    /** The wall clock the expression reads: an IANA time zone such as {@code Europe/Berlin} (default UTC). */
    public Schedule timeZone(String zone) {
        if (zone == null) {
            throw new FlowDefinitionException(flowSlug, null, "schedule \"" + name + "\": the time zone cannot be null");
        }
        try {
            ZoneId.of(zone);
        } catch (DateTimeException e) {
            throw new FlowDefinitionException(flowSlug, null, "schedule \"" + name + "\": unknown time zone \"" + zone
                    + "\" (an IANA name such as Europe/Berlin or UTC)");
        }
        this.timeZone = zone;
        return this;
    }

    /** {@link #timeZone(String)} from a zone id (a region such as {@code ZoneId.of("America/New_York")}). */
    public Schedule timeZone(ZoneId zone) {
        return timeZone(zone == null ? null : zone.getId());
    }

    /** What to do with firings missed while no server ran (default {@link CatchUp#LATEST}). */
    public Schedule catchUp(CatchUp mode) {
        if (mode == null) {
            throw new FlowDefinitionException(flowSlug, null, "schedule \"" + name + "\": catchUp cannot be null");
        }
        this.catchUp = mode;
        return this;
    }

    public String name() {
        return name;
    }

    public String cron() {
        return cron;
    }

    /** The declared input (a Java value the compiler encodes with JSON-B), null for {@code {}}. */
    public Object input() {
        return input;
    }

    public String timeZone() {
        return timeZone;
    }

    public CatchUp catchUp() {
        return catchUp;
    }

    @Override
    public String toString() {
        return "Schedule[" + name + ", " + cron + ", " + timeZone + ", " + catchUp.sqlValue() + "]";
    }
}
