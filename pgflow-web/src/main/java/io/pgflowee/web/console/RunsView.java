package io.pgflowee.web.console;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.io.Serializable;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
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
    public record RunLine(String runId, String flowSlug, String status, String startedAt, String duration, int remainingSteps,
                          int retryCount, String concurrencyKey, int priority) implements Serializable {
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
    private String cursor;
    private String statusParam;

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

    /** The {@code status} view parameter: statuses separated by commas ({@code runs.xhtml?status=failed,cancelled}). */
    public String getStatusParam() {
        return statusParam;
    }

    public void setStatusParam(String param) {
        this.statusParam = param;
        if (param != null && !param.isBlank()) {
            statuses = new ArrayList<>(List.of(param.split(",")));
        }
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
                    .withKey(concurrencyKey, priority);
        } catch (InvalidQueryException e) {
            String field = e.getMessage().startsWith("runIdPrefix") ? "filter:runIdPrefix"
                    : e.getMessage().startsWith("priority") ? "filter:priority" : "filter:inputContains";
            Messages.fieldError(field, e.getMessage().replace("runIdPrefix", "Run id").replace("inputContains", "Input contains"));
            return null;
        }
    }

    private RunPage page() {
        if (page == null) {
            RunFilter f = filter();
            page = f == null ? new RunPage(List.of(), null, null, new StatusTotals(java.util.Map.of(), true))
                    : runs.page(f, cursor, PAGE_SIZE);
        }
        return page;
    }

    public List<RunLine> getRuns() {
        if (lines == null) {
            lines = new ArrayList<>();
            for (RunRecord r : page().runs()) {
                lines.add(new RunLine(r.runId().toString(), r.flowSlug(), r.status().dbValue(), Times.shown(r.startedAt()),
                        Times.duration(r.startedAt(), r.finishedAt()), r.remainingSteps(), r.retryCount(), r.concurrencyKey(), r.priority()));
            }
        }
        return lines;
    }

    /** {@code started 3 · completed 10 · failed 2 · cancelled 0}, "about" when estimated. */
    public String getTotals() {
        StatusTotals t = page().totals();
        if (t.counts().isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(t.exact() ? "Matching (all statuses): " : "Matching (all statuses, estimated): ");
        String sep = "";
        for (RunStatus s : RunStatus.values()) {
            b.append(sep).append(s.dbValue()).append(' ').append(t.counts().getOrDefault(s, 0L));
            sep = " · ";
        }
        return b.toString();
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
        concurrencyKey = null;
        priority = null;
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
        if (scope.equals("selected")) {
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
        RunActions.Outcome outcome = pendingAction.equals("retry") ? actions.retry(pendingRuns)
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
