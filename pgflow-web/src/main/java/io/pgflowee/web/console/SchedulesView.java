package io.pgflowee.web.console;

import java.io.Serializable;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.ScheduleQueries;
import io.pgflowee.web.security.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.faces.view.ViewScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The Schedules page ({@code schedules.xhtml?flow=}): every schedule with its next 5 firings (in
 * the schedule's time zone, and in the viewer's, which the browser fills in), its latest runs with
 * their status, and the actions: trigger a run now (operator), pause, resume, delete, backfill a
 * range, create and change (admin).
 */
@Named
@ViewScoped
public class SchedulesView implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final int PAGE = 50;
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("EEE yyyy-MM-dd HH:mm", java.util.Locale.ROOT);

    /** One firing: in the schedule's zone (rendered here) and as an instant for the browser to show in the viewer's zone. */
    public record Firing(String inZone, String instant) {
        public String getInZone() {
            return inZone;
        }

        public String getInstant() {
            return instant;
        }
    }

    /** A run of a row (EL reads bean getters, not record accessors). */
    public record RunLine(String runId, String status, String firing) {
        public String getRunId() {
            return runId;
        }

        public String getStatus() {
            return status;
        }

        public String getFiring() {
            return firing;
        }
    }

    /** A row of the table. */
    public record Line(ScheduleQueries.ScheduleView s, List<Firing> firings) {
        public List<Firing> getFirings() {
            return firings;
        }

        public String getName() {
            return s.name();
        }

        public String getFlowSlug() {
            return s.flowSlug();
        }

        public boolean isDeclared() {
            return s.declared();
        }

        public String getCron() {
            return s.cron();
        }

        public String getTimeZone() {
            return s.timeZone();
        }

        public String getCatchUp() {
            return s.catchUp();
        }

        public boolean isPaused() {
            return s.paused();
        }

        public String getLastError() {
            return s.lastError();
        }

        public List<RunLine> getRuns() {
            return s.latestRuns().stream().map(r -> new RunLine(r.runId().toString(), r.status(), r.firing())).toList();
        }

        public String getState() {
            return s.paused() ? "paused" : "active";
        }

        public String getLastFired() {
            return Times.shown(s.lastFiredAt());
        }

        public String getLastFiredIso() {
            return Times.iso(s.lastFiredAt());
        }

        public String getInput() {
            return s.inputJson();
        }
    }

    @Inject
    transient ScheduleQueries queries;

    @Inject
    transient FlowQueries flows;

    @Inject
    transient EngineOperations engine;

    private String flow;
    private String after;
    private transient ScheduleQueries.SchedulePage page;
    private transient long[] counts;

    // the create / change form
    private String name;
    private String formFlow;
    private String cron;
    private String input = "{}";
    private String timeZone = "UTC";
    private String catchUp = "latest";
    // the backfill form
    private String backfillName;
    private String backfillFrom;
    private String backfillTo;

    public String getFlow() {
        return flow;
    }

    public void setFlow(String flow) {
        this.flow = flow == null || flow.isBlank() ? null : flow.trim();
    }

    public String getAfter() {
        return after;
    }

    public void setAfter(String after) {
        this.after = after == null || after.isBlank() ? null : after;
    }

    private ScheduleQueries.SchedulePage page() {
        if (page == null) {
            page = queries.page(flow, after, PAGE, 5, 5);
        }
        return page;
    }

    public List<Line> getLines() {
        List<Line> lines = new ArrayList<>();
        for (ScheduleQueries.ScheduleView s : page().items()) {
            ZoneId zone = zone(s.timeZone());
            List<Firing> firings = new ArrayList<>();
            for (Instant at : s.nextFirings()) {
                firings.add(new Firing(zone == null ? at.toString() : LOCAL.format(at.atZone(zone)), at.toString()));
            }
            lines.add(new Line(s, firings));
        }
        return lines;
    }

    private static ZoneId zone(String id) {
        try {
            return ZoneId.of(id);
        } catch (java.time.DateTimeException e) {
            return null; // a zone PostgreSQL knows and Java does not: the instants are shown in UTC
        }
    }

    /** The name after which the next page starts, or null on the last page. */
    public String getNext() {
        return page().next();
    }

    private long[] counts() {
        if (counts == null) {
            counts = queries.counts(flow);
        }
        return counts;
    }

    public long getTotal() {
        return counts()[0];
    }

    public long getPausedCount() {
        return counts()[1];
    }

    public List<String> getFlowSlugs() {
        return flows.slugs();
    }

    // ---- actions

    private interface Action {
        Object run() throws EngineRefusal, SQLException;
    }

    private void act(Action action, String done) {
        try {
            action.run();
            Messages.info(done);
        } catch (EngineRefusal | SQLException e) {
            Messages.error(Messages.why(e));
        }
        page = null;
        counts = null;
    }

    /** trigger_schedule: an operator's (it starts a run, as the flow page's start does). */
    @RolesAllowed(Role.Name.OPERATOR)
    public void trigger(String schedule) {
        try {
            var run = engine.triggerSchedule(schedule);
            Messages.info("Started run " + run.runId() + " of " + schedule + " now.");
        } catch (EngineRefusal | SQLException e) {
            Messages.error(Messages.why(e));
        }
        page = null;
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void pause(String schedule) {
        act(() -> engine.pauseSchedule(schedule, true), "Paused " + schedule + ": nothing of it fires until it is resumed.");
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void resume(String schedule) {
        act(() -> engine.pauseSchedule(schedule, false), "Resumed " + schedule + ": it fires from its next firing on; nothing missed is caught up.");
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void delete(String schedule) {
        act(() -> engine.deleteSchedule(schedule), "Deleted " + schedule + "; its runs stay.");
    }

    /** Fills the form with a schedule, to change it (the form is an admin's). */
    @RolesAllowed(Role.Name.ADMIN)
    public void edit(String schedule) {
        queries.schedule(schedule, 1, 0).ifPresent(s -> {
            name = s.name();
            formFlow = s.flowSlug();
            cron = s.cron();
            input = s.inputJson();
            timeZone = s.timeZone();
            catchUp = s.catchUp();
        });
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void create() {
        String json = checkedInput();
        if (json == null) {
            return;
        }
        try {
            EngineOperations.ScheduleChange change = engine.createSchedule(name, formFlow, cron, json, timeZone, catchUp);
            Messages.info(change.created() ? "Created " + change.name() + "." : change.name() + " exists with this definition: nothing changed.");
        } catch (EngineRefusal | SQLException e) {
            Messages.error(Messages.why(e));
        }
        page = null;
        counts = null;
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void change() {
        String json = checkedInput();
        if (json == null) {
            return;
        }
        act(() -> engine.updateSchedule(name, cron, json, timeZone, catchUp), "Changed " + name + ".");
    }

    private String checkedInput() {
        String text = input == null || input.isBlank() ? "{}" : input;
        try {
            return JsonCodec.parse(text).toString();
        } catch (IllegalArgumentException e) {
            Messages.fieldError("form:input", "Input is not JSON: " + e.getMessage());
            return null;
        }
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void backfill() {
        OffsetDateTime from;
        OffsetDateTime to;
        try {
            from = OffsetDateTime.parse(backfillFrom == null ? "" : backfillFrom.trim());
            to = OffsetDateTime.parse(backfillTo == null ? "" : backfillTo.trim());
        } catch (DateTimeParseException e) {
            Messages.error("From and to must be ISO-8601 instants with an offset, as 2026-11-01T00:00:00Z.");
            return;
        }
        try {
            int started = engine.backfillSchedule(backfillName, from, to);
            Messages.info("Backfilled " + backfillName + ": started " + (started == 1 ? "1 run" : started + " runs")
                    + " (firings started before are not started again).");
        } catch (EngineRefusal | SQLException e) {
            Messages.error(Messages.why(e));
        }
        page = null;
    }

    // ---- form fields

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    /** The form's flow: the one being edited, else the page's flow filter. */
    public String getFormFlow() {
        return formFlow != null ? formFlow : flow;
    }

    public void setFormFlow(String formFlow) {
        this.formFlow = formFlow;
    }

    public String getCron() {
        return cron;
    }

    public void setCron(String cron) {
        this.cron = cron;
    }

    public String getInput() {
        return input;
    }

    public void setInput(String input) {
        this.input = input;
    }

    public String getTimeZone() {
        return timeZone;
    }

    public void setTimeZone(String timeZone) {
        this.timeZone = timeZone;
    }

    public String getCatchUp() {
        return catchUp;
    }

    public void setCatchUp(String catchUp) {
        this.catchUp = catchUp;
    }

    public String getBackfillName() {
        return backfillName;
    }

    public void setBackfillName(String backfillName) {
        this.backfillName = backfillName;
    }

    public String getBackfillFrom() {
        return backfillFrom;
    }

    public void setBackfillFrom(String backfillFrom) {
        this.backfillFrom = backfillFrom;
    }

    public String getBackfillTo() {
        return backfillTo;
    }

    public void setBackfillTo(String backfillTo) {
        this.backfillTo = backfillTo;
    }
}
