package io.pgflowee.web.console;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.io.Serializable;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.pgflowee.engine.model.RunRecord;
import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.InvalidQueryException;
import io.pgflowee.engine.query.RunFilter;
import io.pgflowee.engine.query.RunPage;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.engine.query.StatusTotals;
import jakarta.faces.view.ViewScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The runs page: filters (flow, statuses, start time range in UTC, run id prefix, input containing
 * JSON), keyset pages of {@value #PAGE_SIZE} newest first, totals per status, and bulk cancel and
 * retry of the selected runs or of every run matching the filter (at most {@value #BULK_LIMIT}),
 * after a confirmation that says how many runs will change.
 */
@Named
@ViewScoped
public class RunsView implements Serializable {

    private static final long serialVersionUID = 1L;
    static final int PAGE_SIZE = 25;
    static final int BULK_LIMIT = 5_000;

    /** One run of the table (getters: Faces' EL 5 does not read record components). */
    public record RunLine(String runId, String flowSlug, String status, String startedAt, String startedIso, String duration,
                          int remainingSteps, int retryCount, String concurrencyKey, int priority) implements Serializable {
        public String getStartedIso() {
            return startedIso;
        }

        public String getConcurrencyKey() {
            return concurrencyKey == null ? "" : concurrencyKey;
        }

        public int getPriority() {
            return priority;
        }

        public String getRunId() {
            return runId;
        }

        public String getShortId() {
            return io.pgflowee.engine.query.RunFilter.shortId(runId);
        }

        public String getFlowSlug() {
            return flowSlug;
        }

        public String getStatus() {
            return status;
        }

        public String getStartedAt() {
            return startedAt;
        }

        public String getDuration() {
            return duration;
        }

        public int getRemainingSteps() {
            return remainingSteps;
        }

        public int getRetryCount() {
            return retryCount;
        }
    }

    @Inject
    transient RunQueries runs;

    @Inject
    transient FlowQueries flows;

    @Inject
    transient RunActions actions;

    @Inject
    transient ConsoleUser user;

    private String flow;
    private List<String> statuses = new ArrayList<>();
    private LocalDateTime startedAfter;
    private LocalDateTime startedBefore;
    private String runIdPrefix;
    private String inputContains;
    private java.util.UUID parent;
    private String concurrencyKey;
    private Integer priority;
    private String errorContains;
    private boolean oldestFirst;
    private String cursor;
    private boolean allMatching;

    private transient RunPage page;
    private transient List<RunLine> lines;
    private List<RunLine> selected = new ArrayList<>();
    private List<String> flowSlugs;

    private String pendingAction;
    private List<UUID> pendingRuns = List.of();

    // ---- filter fields

    public String getFlow() {
        return flow;
    }

    public void setFlow(String flow) {
        this.flow = flow == null || flow.isBlank() ? null : flow;
    }

    public List<String> getStatuses() {
        return statuses;
    }

    public void setStatuses(List<String> statuses) {
        this.statuses = statuses == null ? new ArrayList<>() : new ArrayList<>(statuses);
    }

    public LocalDateTime getStartedAfter() {
        return startedAfter;
    }

    public void setStartedAfter(LocalDateTime startedAfter) {
        this.startedAfter = startedAfter;
    }

    public LocalDateTime getStartedBefore() {
        return startedBefore;
    }

    public void setStartedBefore(LocalDateTime startedBefore) {
        this.startedBefore = startedBefore;
    }

    /** Only the child runs of this run (the run page's "List them"); empty for all runs. */
    public String getParent() {
        return parent == null ? "" : parent.toString();
    }

    public void setParent(String value) {
        try {
            parent = value == null || value.isBlank() ? null : java.util.UUID.fromString(value.trim());
        } catch (IllegalArgumentException e) {
            parent = null;
            Messages.error("\"" + value + "\" is not a run id: all runs are listed.");
        }
    }

    /** Only the runs of this concurrency key (the flow page's busiest keys link here). */
    public String getConcurrencyKey() {
        return concurrencyKey;
    }

    public void setConcurrencyKey(String concurrencyKey) {
        this.concurrencyKey = concurrencyKey == null || concurrencyKey.isBlank() ? null : concurrencyKey.trim();
    }

    public Integer getPriority() {
        return priority;
    }

    public void setPriority(Integer priority) {
        this.priority = priority;
    }

    public String getRunIdPrefix() {
        return runIdPrefix;
    }

    public void setRunIdPrefix(String runIdPrefix) {
        this.runIdPrefix = runIdPrefix;
    }

    public String getInputContains() {
        return inputContains;
    }

    public void setInputContains(String inputContains) {
        this.inputContains = inputContains;
    }

    /** Only runs with a task whose error contains this text (any case). */
    public String getErrorContains() {
        return errorContains;
    }

    public void setErrorContains(String errorContains) {
        this.errorContains = errorContains;
    }

    /** {@code newest} (default) or {@code oldest} first. */
    public String getOrder() {
        return oldestFirst ? "oldest" : "newest";
    }

    public void setOrder(String order) {
        this.oldestFirst = "oldest".equals(order);
    }

    /**
     * Reads the page's URL (a reload, a shared link): every filter, the order and the page's cursor,
     * as {@link #getShareUrl()} writes them. A value that is not understood is reported next to the
     * filter (and left out), never an error page. Only on the first request of the view, so an ajax
     * request keeps what the user changed since.
     */
    @RolesAllowed(Role.Name.VIEWER)
    public void fromUrl() {
        Map<String, String> p = jakarta.faces.context.FacesContext.getCurrentInstance().getExternalContext().getRequestParameterMap();
        setFlow(p.get("flow"));
        String status = p.get("status");
        statuses = new ArrayList<>();
        if (status != null && !status.isBlank()) {
            for (String one : status.split(",")) {
                if (getAllStatuses().contains(one.trim())) {
                    statuses.add(one.trim());
                } else {
                    Messages.error("\"" + one.trim() + "\" is not a run status (" + String.join(", ", getAllStatuses()) + "): left out.");
                }
            }
        }
        setParent(p.get("parent"));
        setConcurrencyKey(p.get("key"));
        if (p.get("priority") != null && !p.get("priority").isBlank()) {
            try {
                priority = Integer.valueOf(p.get("priority").trim());
            } catch (NumberFormatException e) {
                Messages.error("\"" + p.get("priority") + "\" is not a priority (a whole number from -100 to 100): left out.");
            }
        }
        startedAfter = time(p.get("from"), "from");
        startedBefore = time(p.get("to"), "to");
        runIdPrefix = blankNull(p.get("id"));
        inputContains = blankNull(p.get("input"));
        errorContains = blankNull(p.get("error"));
        setOrder(p.get("order"));
        cursor = blankNull(p.get("cursor"));
        reload();
    }

    private static String blankNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static LocalDateTime time(String value, String name) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(value.trim());
        } catch (java.time.format.DateTimeParseException e) {
            Messages.error("\"" + value + "\" in " + name + " is not a time like 2026-12-03T07:30 (UTC): left out.");
            return null;
        }
    }

    /**
     * This page as a link: {@code runs.xhtml?flow=...&status=failed,cancelled&error=...&cursor=...}
     * (what is set, in a fixed order). console.js puts it in the address bar after every change,
     * so a reload or a shared link shows the same page.
     */
    public String getShareUrl() {
        List<String[]> q = new ArrayList<>();
        add(q, "flow", flow);
        add(q, "status", statuses.isEmpty() ? null : String.join(",", statuses));
        add(q, "parent", parent == null ? null : parent.toString());
        add(q, "key", concurrencyKey);
        add(q, "priority", priority == null ? null : priority.toString());
        add(q, "from", startedAfter == null ? null : startedAfter.toString());
        add(q, "to", startedBefore == null ? null : startedBefore.toString());
        add(q, "id", runIdPrefix);
        add(q, "input", inputContains);
        add(q, "error", errorContains);
        add(q, "order", oldestFirst ? "oldest" : null);
        add(q, "cursor", cursor);
        StringBuilder b = new StringBuilder("runs.xhtml");
        String sep = "?";
        for (String[] kv : q) {
            b.append(sep).append(kv[0]).append('=').append(java.net.URLEncoder.encode(kv[1], java.nio.charset.StandardCharsets.UTF_8));
            sep = "&";
        }
        return b.toString();
    }

    private static void add(List<String[]> q, String name, String value) {
        if (value != null && !value.isBlank()) {
            q.add(new String[] {name, value});
        }
    }

    public List<String> getFlowSlugs() {
        if (flowSlugs == null) {
            flowSlugs = new ArrayList<>(flows.slugs());
        }
        return flowSlugs;
    }

    public List<String> getAllStatuses() {
        return EnumSet.allOf(RunStatus.class).stream().map(RunStatus::dbValue).toList();
    }

    // ---- the page

    /** The filter as the engine's query; null (with a message next to the field) when a field is invalid. */
    private RunFilter filter() {
        Set<RunStatus> only = EnumSet.noneOf(RunStatus.class);
        for (String s : statuses) {
            for (RunStatus st : RunStatus.values()) {
                if (st.dbValue().equals(s)) {
                    only.add(st);
                }
            }
        }
        try {
            return new RunFilter(flow, only, startedAfter == null ? null : startedAfter.atOffset(ZoneOffset.UTC),
                    startedBefore == null ? null : startedBefore.atOffset(ZoneOffset.UTC), runIdPrefix, inputContains, parent)
                    .withKey(concurrencyKey, priority).withErrorContaining(errorContains);
        } catch (InvalidQueryException e) {
            String field = e.getMessage().startsWith("runIdPrefix") ? "runs:runIdPrefix"
                    : e.getMessage().startsWith("priority") ? "runs:priority"
                    : e.getMessage().startsWith("errorContains") ? "runs:errorContains" : "runs:inputContains";
            Messages.fieldError(field, e.getMessage().replace("runIdPrefix", "Run id").replace("inputContains", "Input contains")
                    .replace("errorContains", "Error contains"));
            return null;
        }
    }

    private RunPage page() {
        if (page == null) {
            RunFilter f = filter();
            if (f == null) {
                page = new RunPage(List.of(), null, null, new StatusTotals(Map.of(), Set.of()));
            } else {
                try {
                    page = runs.page(f, cursor, PAGE_SIZE, oldestFirst);
                } catch (InvalidQueryException e) { // a cursor from an edited link: the first page instead
                    Messages.error("The link's page position is not one of this list: showing the first page.");
                    cursor = null;
                    page = runs.page(f, null, PAGE_SIZE, oldestFirst);
                }
            }
        }
        return page;
    }

    public List<RunLine> getRuns() {
        if (lines == null) {
            lines = new ArrayList<>();
            for (RunRecord r : page().runs()) {
                lines.add(new RunLine(r.runId().toString(), r.flowSlug(), r.status().dbValue(), Times.shown(r.startedAt()),
                        Times.iso(r.startedAt()), Times.duration(r.startedAt(), r.finishedAt()), r.remainingSteps(), r.retryCount(), r.concurrencyKey(), r.priority()));
            }
        }
        return lines;
    }

    /** {@code started 3 · completed 10,000+ · failed 2 · cancelled 0}: exact counts, or a lower bound marked "+". */
    public String getTotals() {
        StatusTotals t = page().totals();
        if (t.counts().isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("Matching (all statuses): ");
        String sep = "";
        for (RunStatus s : RunStatus.values()) {
            b.append(sep).append(s.dbValue()).append(' ').append(t.shown(s));
            sep = " · ";
        }
        return b.toString();
    }

    /** How many runs the filter matches with its statuses (all when none is chosen): exact when {@link #isMatchingExact()}. */
    public long getMatchingCount() {
        StatusTotals t = page().totals();
        return chosenStatuses().stream().mapToLong(t::count).sum();
    }

    /** The matching count is exact (no chosen status counted past {@link io.pgflowee.engine.query.RunQueries#COUNT_CAP}). */
    public boolean isMatchingExact() {
        StatusTotals t = page().totals();
        return chosenStatuses().stream().noneMatch(t.lowerBounds()::contains);
    }

    private Set<RunStatus> chosenStatuses() {
        Set<RunStatus> chosen = EnumSet.noneOf(RunStatus.class);
        for (RunStatus s : RunStatus.values()) {
            if (statuses.isEmpty() || statuses.contains(s.dbValue())) {
                chosen.add(s);
            }
        }
        return chosen;
    }

    /** "Select all 293 matching" is offered: more runs match than the page shows, counted exactly, few enough to act on. */
    public boolean isCanSelectMatching() {
        return !allMatching && isMatchingExact() && getMatchingCount() > getRuns().size() && getMatchingCount() <= BULK_LIMIT;
    }

    /** Every run matching the filter is selected (not only the page's). */
    public boolean isAllMatching() {
        return allMatching;
    }

    /** What "select all matching" would say when it is not offered because too many match. */
    public String getTooManyToSelect() {
        if (allMatching || getMatchingCount() <= getRuns().size() || isMatchingExact() && getMatchingCount() <= BULK_LIMIT) {
            return "";
        }
        return (isMatchingExact() ? String.format(java.util.Locale.ROOT, "%,d", getMatchingCount())
                : String.format(java.util.Locale.ROOT, "More than %,d", getMatchingCount()))
                + " runs match: narrow the filter to at most " + String.format(java.util.Locale.ROOT, "%,d", BULK_LIMIT)
                + " to act on all of them at once.";
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void selectMatching() {
        allMatching = isMatchingExact() && getMatchingCount() <= BULK_LIMIT;
        selected = new ArrayList<>(getRuns());
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void clearSelection() {
        allMatching = false;
        selected = new ArrayList<>();
    }

    /** The runs an action acts on: the checked ones, or all matching. */
    public long getSelectedCount() {
        return allMatching ? getMatchingCount() : selected.size();
    }

    /** The selection changed (a checkbox): nothing to do but re-render the counts; every run matching is no longer selected. */
    @RolesAllowed(Role.Name.VIEWER)
    public void selectionChanged() {
        allMatching = false;
    }

    public boolean isHasOlder() {
        return page().nextCursor() != null;
    }

    public boolean isHasNewer() {
        return page().previousCursor() != null;
    }

    @RolesAllowed(Role.Name.VIEWER)
    public void search() {
        cursor = null;
        reload();
    }

    @RolesAllowed(Role.Name.VIEWER)
    public void clear() {
        flow = null;
        statuses = new ArrayList<>();
        startedAfter = null;
        startedBefore = null;
        runIdPrefix = null;
        inputContains = null;
        errorContains = null;
        concurrencyKey = null;
        priority = null;
        oldestFirst = false;
        search();
    }

    @RolesAllowed(Role.Name.VIEWER)
    public void older() {
        cursor = page().nextCursor();
        reload();
    }

    @RolesAllowed(Role.Name.VIEWER)
    public void newer() {
        cursor = page().previousCursor();
        reload();
    }

    @RolesAllowed(Role.Name.VIEWER)
    public void first() {
        search();
    }

    /** Re-reads the current page (the live feed saw one of the shown flows move). */
    @RolesAllowed(Role.Name.VIEWER)
    public void refresh() {
        page = null;
        lines = null;
        List<String> keep = selected.stream().map(RunLine::runId).toList();
        selected = new ArrayList<>(getRuns().stream().filter(l -> keep.contains(l.runId())).toList());
    }

    private void reload() {
        page = null;
        lines = null;
        selected = new ArrayList<>();
        allMatching = false;
    }

    public List<RunLine> getSelected() {
        return selected;
    }

    public void setSelected(List<RunLine> selected) {
        this.selected = selected == null ? new ArrayList<>() : new ArrayList<>(selected);
    }

    // ---- bulk actions: prepare (count), confirm, execute

    /**
     * Prepares a bulk action: {@code action} is {@code retry} or {@code cancel}, {@code scope} is
     * {@code selected} or {@code matching}. Counts the runs it would change (retry: failed and
     * cancelled ones; cancel: started ones); the page then asks for confirmation.
     */
    @RolesAllowed(Role.Name.OPERATOR)
    public void prepare(String action, String scope) {
        pendingAction = null;
        pendingRuns = List.of();
        boolean retry = action.equals("retry");
        Set<RunStatus> allowed = retry ? EnumSet.of(RunStatus.FAILED, RunStatus.CANCELLED) : EnumSet.of(RunStatus.STARTED);
        List<UUID> ids;
        if (scope.equals("selected") && !allMatching) {
            ids = selected.stream().filter(l -> allowed.stream().anyMatch(s -> s.dbValue().equals(l.status())))
                    .map(l -> UUID.fromString(l.runId())).toList();
        } else {
            RunFilter f = filter();
            if (f == null) {
                return;
            }
            Set<RunStatus> only = EnumSet.copyOf(allowed);
            if (!f.statuses().isEmpty()) {
                only.retainAll(f.statuses());
            }
            ids = only.isEmpty() ? List.of() : runs.ids(f.withStatuses(only), BULK_LIMIT + 1);
            if (ids.size() > BULK_LIMIT) {
                Messages.error("More than " + BULK_LIMIT + " runs match: narrow the filter (flow, time range) and repeat.");
                return;
            }
        }
        if (ids.isEmpty()) {
            Messages.info(retry ? "Nothing to retry: no failed or cancelled run " + (scope.equals("selected") ? "is selected." : "matches.")
                    : "Nothing to cancel: no started run " + (scope.equals("selected") ? "is selected." : "matches."));
            return;
        }
        pendingAction = action;
        pendingRuns = ids;
    }

    public boolean isConfirming() {
        return pendingAction != null;
    }

    /** {@code Retry 3 runs?} */
    public String getConfirmation() {
        if (pendingAction == null) {
            return "";
        }
        int n = pendingRuns.size();
        return (pendingAction.equals("retry") ? "Retry " : "Cancel ") + n + (n == 1 ? " run?" : " runs?");
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void execute() {
        if (pendingAction == null) {
            return;
        }
        RunActions.Outcome outcome = pendingAction.equals("retry") ? actions.retry(pendingRuns, user.getName())
                : actions.cancel(pendingRuns, "cancelled in the console by " + user.getName());
        String summary = outcome.summary(pendingAction.equals("retry") ? "Retried" : "Cancelled");
        if (outcome.refused().isEmpty()) {
            Messages.info(summary);
        } else {
            Messages.error(summary);
        }
        pendingAction = null;
        pendingRuns = List.of();
        reload();
    }

    @RolesAllowed(Role.Name.VIEWER)
    public void dismiss() {
        pendingAction = null;
        pendingRuns = List.of();
    }
}
