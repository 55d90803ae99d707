package io.pgflowee.web.console;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.io.Serializable;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.pgflowee.api.json.Jsonp;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.model.RunRecord;
import io.pgflowee.api.flow.StepType;
import io.pgflowee.engine.model.TaskRecord;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.RunDetail;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.engine.query.TaskAttempt;
import io.pgflowee.engine.query.RunRetry;
import jakarta.faces.view.ViewScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

/**
 * A run's page ({@code run.xhtml?id=}): its DAG with each step's status, a timeline of task
 * attempts, each step's input, output and error, tasks and their earlier attempts; cancel, retry and
 * restart as the status allows. The page re-reads the run when the live feed says it moved.
 */
@Named
@ViewScoped
public class RunView implements Serializable {

    private static final long serialVersionUID = 1L;
    static final int TASK_ROWS_PER_STEP = 20;
    static final int TASKS_LISTED = 50;

    /**
     * A retry_run between two attempts of a task (the task's attempts count from 1 again after it).
     *
     * @param number the run's retry number (1 for the first), 0 when the run_retries row is gone
     * @param at when, as shown (UTC); {@code iso} for the browser's time zone
     * @param by who retried it; empty when not known
     */
    public record RetryMark(int number, String at, String iso, String by) implements Serializable {
        /** "Run retried (retry 2) at ... by alice". */
        public String getText() {
            return number == 0 ? "Run retried (retry_run)" : "Run retried (retry " + number + ")";
        }

        public String getAt() {
            return at;
        }

        public String getIso() {
            return iso;
        }

        public String getBy() {
            return by;
        }
    }

    /**
     * An earlier attempt of a task.
     *
     * @param number the attempt's number in the task's whole history (1, 2, 3... across run retries)
     * @param attempt its number since the run last retried it ({@code attempts_count} then)
     * @param retried the run retry just before this attempt, or null
     */
    public record AttemptLine(int number, int attempt, String outcome, String worker, String startedAt, String startedIso, String endedAt,
                              String endedIso, String error, RetryMark retried) implements Serializable {
        public int getNumber() {
            return number;
        }

        public int getAttempt() {
            return attempt;
        }

        public RetryMark getRetried() {
            return retried;
        }

        public String getOutcome() {
            return outcome;
        }

        public String getWorker() {
            return worker;
        }

        public String getStartedAt() {
            return startedAt;
        }

        public String getStartedIso() {
            return startedIso;
        }

        public String getEndedAt() {
            return endedAt;
        }

        public String getEndedIso() {
            return endedIso;
        }

        public String getError() {
            return error;
        }
    }

    /** A task: its current (or last) attempt and the earlier ones. */
    public record TaskLine(int index, String status, int attempts, String worker, String startedAt, String endedAt, String duration,
                           String error, String output, List<AttemptLine> earlier, String childRunId, String childStatus, int number,
                           RetryMark retried, String startedIso, String endedIso)
            implements Serializable {
        public int getIndex() {
            return index;
        }

        /** The current attempt's number in the task's whole history; 0 for a task that has not run since it was queued. */
        public int getNumber() {
            return number;
        }

        /** The run retry just before the current attempt (or before the task was queued again), or null. */
        public RetryMark getRetried() {
            return retried;
        }

        public String getStartedIso() {
            return startedIso;
        }

        public String getEndedIso() {
            return endedIso;
        }

        /** A subflow step's task: the child run it waits for (or took its output from); empty otherwise. */
        public String getChildRunId() {
            return childRunId;
        }

        /** The child run's status; empty without a child. */
        public String getChildStatus() {
            return childStatus;
        }

        public String getStatus() {
            return status;
        }

        public int getAttempts() {
            return attempts;
        }

        public String getWorker() {
            return worker;
        }

        public String getStartedAt() {
            return startedAt;
        }

        public String getEndedAt() {
            return endedAt;
        }

        public String getDuration() {
            return duration;
        }

        public String getError() {
            return error;
        }

        public String getOutput() {
            return output;
        }

        public List<AttemptLine> getEarlier() {
            return earlier;
        }
    }

    /** A step of the run. */
    public record StepLine(String slug, String type, String status, String skipReason, String dependsOn, String startedAt,
                           String endedAt, String duration, String input, String output, String error, List<TaskLine> tasks,
                           int moreTasks, String signalNote, boolean signalable, List<SignalChoices.Choice> choices, String subflowSlug,
                           String children, String taskSummary, String startedIso, String endedIso) implements Serializable {
        public String getStartedIso() {
            return startedIso;
        }

        public String getEndedIso() {
            return endedIso;
        }

        /** "10,000 tasks: 9,990 completed · 10 failed" for a step of more than one task; empty otherwise. */
        public String getTaskSummary() {
            return taskSummary;
        }

        /** A subflow step: the flow its tasks start a child run of; empty for other steps. */
        public String getSubflowSlug() {
            return subflowSlug;
        }

        /** A subflow step: its child runs per status ("3 child runs: 2 completed, 1 failed"); empty for other steps. */
        public String getChildren() {
            return children;
        }

        public boolean isSubflow() {
            return !subflowSlug.isEmpty();
        }

        /** A signal step: what it waits for, since when and until when, or what it received; empty for other steps. */
        public String getSignalNote() {
            return signalNote;
        }

        /** Whether an operator may send it a signal now (a signal step without one, of a started run, not ended). */
        public boolean isSignalable() {
            return signalable;
        }

        /** One-click answers when the step's payload type is a simple choice. */
        public List<SignalChoices.Choice> getChoices() {
            return choices;
        }

        public boolean isWaiting() {
            return status.equals("waiting");
        }

        /** Tasks not listed (a wide map lists its first {@value RunView#TASKS_LISTED}). */
        public int getMoreTasks() {
            return moreTasks;
        }

        public String getSlug() {
            return slug;
        }

        public String getType() {
            return type;
        }

        public String getStatus() {
            return status;
        }

        public String getSkipReason() {
            return skipReason;
        }

        public String getDependsOn() {
            return dependsOn;
        }

        public String getStartedAt() {
            return startedAt;
        }

        public String getEndedAt() {
            return endedAt;
        }

        public String getDuration() {
            return duration;
        }

        public String getInput() {
            return input;
        }

        public String getOutput() {
            return output;
        }

        public String getError() {
            return error;
        }

        public List<TaskLine> getTasks() {
            return tasks;
        }

        public boolean isMap() {
            return type.equals("map") || type.equals("map_subflow");
        }
    }

    @Inject
    transient RunQueries runs;

    @Inject
    transient FlowQueries flows;

    @Inject
    transient RunActions actions;

    @Inject
    transient io.pgflowee.engine.query.WorkerQueries workers;

    @Inject
    transient ConsoleUser user;

    @Inject
    transient io.pgflowee.engine.control.Signals signals;

    @Inject
    transient io.pgflowee.engine.control.EngineOperations engine;

    private String id;
    private UUID runId;
    private boolean badId;

    private transient RunDetail detail;
    private transient boolean loaded;
    private transient List<StepLine> steps;
    private transient String dag;
    private transient String timeline;
    /** {@link #getNoWorker()}, once read (null: not read yet). */
    private transient Optional<String> noWorker;
    /** {@link #getHeldBack()}, once read (null: not read yet). */
    private transient Optional<String> heldBack;
    /** The priority typed in the run page's form. */
    private Integer newPriority;
    /** The signal payloads typed in the run page's forms, by step slug. */
    private final java.util.HashMap<String, String> payloads = new java.util.HashMap<>();

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
        try {
            runId = id == null ? null : UUID.fromString(id.trim());
            badId = runId == null;
        } catch (IllegalArgumentException e) {
            runId = null;
            badId = true;
        }
    }

    private Optional<RunDetail> detail() {
        if (!loaded) {
            detail = runId == null ? null : runs.detail(runId, TASKS_LISTED).orElse(null);
            loaded = true;
        }
        return Optional.ofNullable(detail);
    }

    private RunRecord run() {
        return detail().map(RunDetail::run).orElseThrow();
    }

    /** What the page says instead of the run: a bad or unknown id. */
    public String getProblem() {
        if (badId) {
            return "\"" + (id == null ? "" : id) + "\" is not a run id (a UUID such as 3f2a9c1e-0b7d-4d2a-9a51-6c1f0e8b4d21).";
        }
        return detail().isPresent() ? null : "No run " + runId + " in the database (it may have been pruned).";
    }

    public boolean isFound() {
        return getProblem() == null;
    }

    public String getRunId() {
        return runId == null ? "" : runId.toString();
    }

    public String getFlowSlug() {
        return run().flowSlug();
    }

    public String getStatus() {
        return run().status().dbValue();
    }

    /**
     * For a started run whose flow has no live worker on any server: what the page says (the run
     * waits until a server that runs the flow starts); null otherwise.
     */
    public String getNoWorker() {
        // read once per rendering of the run (the page asks twice: rendered and value), like the run itself
        if (noWorker == null) {
            noWorker = Optional.ofNullable(!"started".equals(getStatus()) || workers.liveWorkers(getFlowSlug()) > 0 ? null
                    : "No live worker serves flow " + getFlowSlug() + " on any server: this run waits until a server that runs"
                    + " the flow starts (or the flow is resumed there). See Workers.");
        }
        return noWorker.orElse(null);
    }

    /**
     * For a started run whose due tasks a limit holds back (its key's slots, the rate limit's
     * tokens, the flow's limit): what the page says; null otherwise.
     */
    public String getHeldBack() {
        if (heldBack == null) {
            heldBack = "started".equals(getStatus()) ? runs.heldBack(runId) : Optional.empty();
        }
        return heldBack.orElse(null);
    }

    public String getConcurrencyKey() {
        return run().concurrencyKey();
    }

    public int getPriority() {
        return run().priority();
    }

    public Integer getNewPriority() {
        return newPriority == null && isFound() ? Integer.valueOf(getPriority()) : newPriority;
    }

    public void setNewPriority(Integer newPriority) {
        this.newPriority = newPriority;
    }

    /** set_run_priority: the run and the child runs it started take the typed priority. */
    @RolesAllowed(Role.Name.OPERATOR)
    public void changePriority() {
        if (newPriority == null) {
            Messages.error("Type a priority from -100 to 100.");
            return;
        }
        try {
            engine.setRunPriority(runId, newPriority);
            Messages.info("Run " + runId + " now has priority " + newPriority + ".");
        } catch (EngineRefusal | SQLException e) {
            Messages.error("Priority not changed: " + Messages.why(e));
        }
        newPriority = null;
        refresh();
    }

    public String getStartedAt() {
        return Times.shown(run().startedAt());
    }

    public String getStartedIso() {
        return Times.iso(run().startedAt());
    }

    public String getFinishedIso() {
        return Times.iso(run().finishedAt());
    }

    public String getFinishedAt() {
        return Times.shown(run().finishedAt());
    }

    public String getDuration() {
        return Times.duration(run().startedAt(), run().finishedAt());
    }

    public int getRetryCount() {
        return run().retryCount();
    }

    public int getRemainingSteps() {
        return run().remainingSteps();
    }

    /** A child run: the run whose subflow step started it; empty for a run nobody started. */
    public String getParentRunId() {
        return run().parentRunId() == null ? "" : run().parentRunId().toString();
    }

    /** A child run: which step (and element) of the parent started it, "pay" or "ship[3]". */
    public String getParentStep() {
        RunRecord r = run();
        if (r.parentRunId() == null) {
            return "";
        }
        boolean map = runs.stepType(r.parentRunId(), r.parentStepSlug()).map("map_subflow"::equals).orElse(false);
        return map ? r.parentStepSlug() + "[" + r.parentTaskIndex() + "]" : r.parentStepSlug();
    }

    /** The run at the top of this run's family. */
    public String getRootRunId() {
        return run().rootRunId().toString();
    }

    /** Whether the run belongs to a family: it was started by a subflow step, or its subflow steps started runs. */
    public boolean isInFamily() {
        return run().parentRunId() != null || detail().map(d -> d.steps().stream().anyMatch(s -> s.step().stepType().isSubflow()))
                .orElse(false);
    }

    public String getRestartOf() {
        return run().restartOfRunId() == null ? "" : run().restartOfRunId().toString();
    }

    public String getCancelReason() {
        return run().cancelReason() == null ? "" : run().cancelReason();
    }

    public String getIdempotencyKey() {
        return run().idempotencyKey() == null ? "" : run().idempotencyKey();
    }

    public String getInput() {
        return JsonText.shown(run().input());
    }

    public String getOutput() {
        return JsonText.shown(run().output());
    }

    public boolean isCanCancel() {
        return user.isOperator() && getStatus().equals("started");
    }

    public boolean isCanRetry() {
        return user.isOperator() && (getStatus().equals("failed") || getStatus().equals("cancelled"));
    }

    public boolean isCanRestart() {
        return user.isOperator() && run().status().finished();
    }

    public List<StepLine> getSteps() {
        if (steps == null) {
            build();
        }
        return steps;
    }

    public String getDag() {
        if (dag == null) {
            build();
        }
        return dag;
    }

    public String getTimeline() {
        if (timeline == null) {
            build();
        }
        return timeline;
    }

    private void build() {
        RunDetail d = detail().orElseThrow();
        Map<String, List<String>> deps = new LinkedHashMap<>();
        for (FlowQueries.StepSummary s : flows.steps(d.run().flowSlug())) {
            deps.put(s.step().stepSlug(), s.dependsOn());
        }
        Map<String, List<TaskAttempt>> earlier = new LinkedHashMap<>();
        List<RunRetry> retries = runs.retries(runId);
        Map<String, Map<String, Long>> taskCounts = runs.taskCounts(runId);
        for (TaskAttempt a : runs.attempts(runId)) {
            earlier.computeIfAbsent(a.stepSlug() + "/" + a.taskIndex(), k -> new ArrayList<>()).add(a);
        }
        Map<String, JsonValue> outputs = new LinkedHashMap<>();
        for (RunDetail.StepDetail s : d.steps()) {
            if (s.state().output() != null && s.state().status().dbValue().equals("completed")) {
                outputs.put(s.state().stepSlug(), s.state().output());
            }
        }
        OffsetDateTime now = OffsetDateTime.now();
        Map<String, io.pgflowee.engine.query.ChildGroup> childGroups = new LinkedHashMap<>();
        Map<UUID, String> childStatus = new LinkedHashMap<>();
        if (d.steps().stream().anyMatch(s -> s.step().stepType().isSubflow())) {
            for (io.pgflowee.engine.query.ChildGroup g : runs.children(List.of(runId), 0)) {
                childGroups.put(g.stepSlug(), g);
            }
            childStatus.putAll(runs.statuses(d.steps().stream().filter(s -> s.step().stepType().isSubflow())
                    .flatMap(s -> s.tasks().stream().limit(TASKS_LISTED)).map(TaskRecord::childRunId)
                    .filter(java.util.Objects::nonNull).toList()));
        }
        List<StepLine> lines = new ArrayList<>();
        List<Diagrams.Node> nodes = new ArrayList<>();
        List<Diagrams.Row> rows = new ArrayList<>();
        for (RunDetail.StepDetail s : d.steps()) {
            String slug = s.state().stepSlug();
            List<String> dependsOn = deps.getOrDefault(slug, List.of());
            boolean map = s.step().stepType().isMap();
            boolean signal = s.step().stepType() == StepType.SIGNAL;
            String status = s.state().status().dbValue();
            if (signal && status.equals("started")) {
                status = "waiting"; // the run page's word for a signal step that started: it waits, nothing runs
            }
            List<TaskLine> tasks = new ArrayList<>();
            int shown = 0;
            int stepRowStart = rows.size();
            for (TaskRecord t : s.tasks()) {
                String taskStatus = t.status().dbValue();
                List<TaskAttempt> before = new ArrayList<>(earlier.getOrDefault(slug + "/" + t.taskIndex(), List.of()));
                if (!before.isEmpty() && taskStatus.equals("failed")) {
                    // fail_task keeps every failed attempt, the last one too, which the task's own row shows
                    TaskAttempt last = before.get(before.size() - 1);
                    if (last.attempt() == t.attemptsCount() && last.outcome().equals("failed")) {
                        before.remove(before.size() - 1);
                    }
                }
                List<AttemptLine> attemptLines = new ArrayList<>();
                List<Diagrams.Bar> bars = new ArrayList<>();
                int number = 0;
                int previous = 0;
                OffsetDateTime previousEnd = null;
                for (TaskAttempt a : before) {
                    RetryMark mark = number > 0 && a.attempt() <= previous ? retryBetween(retries, previousEnd, a.startedAt()) : null;
                    attemptLines.add(new AttemptLine(++number, a.attempt(), a.outcome(), shortId(a.workerId()), Times.shown(a.startedAt()),
                            Times.iso(a.startedAt()), Times.shown(a.endedAt()), Times.iso(a.endedAt()),
                            a.errorMessage() == null ? "" : a.errorMessage(), mark));
                    previous = a.attempt();
                    previousEnd = a.endedAt();
                    if (a.startedAt() != null) {
                        bars.add(new Diagrams.Bar(a.startedAt(), a.endedAt(), barKind(a.outcome()),
                                "attempt " + number + " " + a.outcome() + ": " + (a.errorMessage() == null ? "" : a.errorMessage())));
                    }
                }
                RetryMark currentMark = number > 0 && t.attemptsCount() <= previous
                        ? retryBetween(retries, previousEnd, t.startedAt() != null ? t.startedAt() : t.queuedAt()) : null;
                int currentNumber = t.attemptsCount() == 0 ? 0 : number + 1;
                OffsetDateTime end = t.completedAt() != null ? t.completedAt() : t.failedAt() != null ? t.failedAt() : t.cancelledAt();
                if (t.startedAt() != null) {
                    bars.add(new Diagrams.Bar(t.startedAt(), end, taskStatus, "attempt " + currentNumber + " " + taskStatus));
                } else if (taskStatus.equals("queued")) {
                    bars.add(new Diagrams.Bar(t.queuedAt(), null, "queued", "queued since " + Times.shown(t.queuedAt())));
                }
                if (tasks.size() < TASKS_LISTED) {
                    tasks.add(new TaskLine(t.taskIndex(), taskStatus, t.attemptsCount(), shortId(t.lastWorkerId()), Times.shown(t.startedAt()),
                            Times.shown(end), Times.duration(t.startedAt(), end),
                            t.errorMessage() == null || taskStatus.equals("completed") ? "" : t.errorMessage(), JsonText.shown(t.output()),
                            List.copyOf(attemptLines), t.childRunId() == null ? "" : t.childRunId().toString(),
                            t.childRunId() == null ? "" : childStatus.getOrDefault(t.childRunId(), ""), currentNumber, currentMark,
                            Times.iso(t.startedAt()), Times.iso(end)));
                }
                if (shown++ < TASK_ROWS_PER_STEP) {
                    rows.add(new Diagrams.Row(map ? slug + "[" + t.taskIndex() + "]" : slug, bars));
                }
            }
            OffsetDateTime stepEnd = s.state().completedAt() != null ? s.state().completedAt()
                    : s.state().failedAt() != null ? s.state().failedAt()
                    : s.state().skippedAt() != null ? s.state().skippedAt() : s.state().cancelledAt();
            if (signal && s.state().startedAt() != null) {
                rows.add(new Diagrams.Row(slug, List.of(new Diagrams.Bar(s.state().startedAt(), stepEnd, stepEnd == null ? "waiting"
                        : status, signalNote(s.state(), status)))));
            }
            Map<String, Long> perStatus = taskCounts.getOrDefault(slug, Map.of());
            long taskTotal = perStatus.values().stream().mapToLong(Long::longValue).sum();
            if (taskTotal > TASK_ROWS_PER_STEP) {
                // a wide map: the step's whole span in one bar, then its first tasks (failed first) and how many more
                rows.add(stepRowStart, new Diagrams.Row(slug + " (all " + taskTotal + " tasks)",
                        s.state().startedAt() == null ? List.of() : List.of(new Diagrams.Bar(s.state().startedAt(), stepEnd(s.state()),
                                s.state().status().dbValue(), taskSummary(taskTotal, perStatus)))));
                rows.add(new Diagrams.Row("… " + (taskTotal - Math.min(TASK_ROWS_PER_STEP, s.tasks().size())) + " more tasks of " + slug,
                        List.of()));
            }
            boolean signalable = signal && user.isOperator() && d.run().status().dbValue().equals("started") && s.state().signalAt() == null
                    && (status.equals("waiting") || status.equals("created"));
            List<SignalChoices.Choice> choices = signalable
                    ? signals.payloadType(d.run().flowSlug(), slug).map(t -> SignalChoices.of(t, user.getName())).orElse(List.of())
                    : List.of();
            lines.add(new StepLine(slug, s.step().stepType().sqlValue(), status,
                    s.state().skipReason() == null ? "" : s.state().skipReason().dbValue(), String.join(", ", dependsOn),
                    Times.shown(s.state().startedAt()), Times.shown(stepEnd), Times.duration(s.state().startedAt(), stepEnd),
                    stepInput(d.run(), dependsOn, map, outputs), JsonText.shown(s.state().output()),
                    s.state().errorMessage() == null ? "" : s.state().errorMessage(), List.copyOf(tasks),
                    (int) Math.max(0, taskTotal - tasks.size()), signal ? signalNote(s.state(), status) : "", signalable, choices,
                    s.step().subflowSlug() == null ? "" : s.step().subflowSlug(),
                    s.step().stepType().isSubflow() ? childrenNote(childGroups.get(slug)) : "",
                    taskTotal > 1 ? taskSummary(taskTotal, perStatus) : "", Times.iso(s.state().startedAt()), Times.iso(stepEnd)));
            Integer n = s.state().initialTasks();
            String kind = s.step().stepType() == StepType.MAP_SUBFLOW ? "subflow " + s.step().subflowSlug() + " ×" + (n == null ? "?" : n)
                    : s.step().stepType() == StepType.SUBFLOW ? "subflow " + s.step().subflowSlug()
                    : map ? "map ×" + (n == null ? "?" : n) : signal ? "signal" : "";
            nodes.add(new Diagrams.Node(slug, dependsOn, status, kind));
        }
        steps = List.copyOf(lines);
        dag = Diagrams.dag(nodes, "Steps of run " + runId + " and their status: " + String.join(", ",
                lines.stream().map(l -> l.slug() + " " + l.status()).toList()));
        timeline = Diagrams.timeline(rows, d.run().startedAt(), d.run().finishedAt() == null ? now : d.run().finishedAt(),
                "Timeline of the run's task attempts");
    }

    /** "10,000 tasks: 9,990 completed · 10 failed" (statuses in a fixed order). */
    static String taskSummary(long total, Map<String, Long> perStatus) {
        List<String> parts = new ArrayList<>();
        for (String status : List.of("failed", "started", "queued", "completed", "cancelled")) {
            long n = perStatus.getOrDefault(status, 0L);
            if (n > 0) {
                parts.add(String.format(java.util.Locale.ROOT, "%,d", n) + " " + status);
            }
        }
        return String.format(java.util.Locale.ROOT, "%,d", total) + (total == 1 ? " task: " : " tasks: ") + String.join(" · ", parts);
    }

    private static OffsetDateTime stepEnd(io.pgflowee.engine.model.StepStateRecord state) {
        return state.completedAt() != null ? state.completedAt() : state.failedAt() != null ? state.failedAt()
                : state.skippedAt() != null ? state.skippedAt() : state.cancelledAt();
    }

    /**
     * The run retry between a task's attempt that ended at {@code after} and its next one (started,
     * or queued, at {@code before}): the last one recorded in that span, else one without details.
     */
    static RetryMark retryBetween(List<RunRetry> retries, OffsetDateTime after, OffsetDateTime before) {
        RunRetry found = null;
        for (RunRetry r : retries) {
            if ((after == null || !r.retriedAt().isBefore(after)) && (before == null || !r.retriedAt().isAfter(before))) {
                found = r;
            }
        }
        return found == null ? new RetryMark(0, "", "", "")
                : new RetryMark(found.number(), Times.shown(found.retriedAt()), Times.iso(found.retriedAt()), found.retriedBy());
    }

    /** "3 child runs: 1 started, 2 completed" (every child the step started, retried ones included), or "No child run yet". */
    static String childrenNote(io.pgflowee.engine.query.ChildGroup group) {
        if (group == null || group.total() == 0) {
            return "No child run yet";
        }
        List<String> parts = new ArrayList<>();
        for (String status : List.of("started", "completed", "failed", "cancelled")) {
            long n = group.counts().getOrDefault(status, 0L);
            if (n > 0) {
                parts.add(n + " " + status);
            }
        }
        return group.total() + (group.total() == 1 ? " child run: " : " child runs: ") + String.join(", ", parts);
    }

    /** What the step's handler gets: the run input for a root step, else the completed dependencies' outputs by slug. */
    private static String stepInput(RunRecord run, List<String> dependsOn, boolean map, Map<String, JsonValue> outputs) {
        if (dependsOn.isEmpty()) {
            return map ? "each element of the run input" : JsonText.shown(run.input());
        }
        if (map) {
            JsonValue array = outputs.get(dependsOn.get(0));
            return array == null ? "" : "each element of " + JsonText.shown(array);
        }
        JsonObjectBuilder b = Jsonp.createObjectBuilder();
        for (String dep : dependsOn) {
            if (outputs.containsKey(dep)) {
                b.add(dep, outputs.get(dep));
            }
        }
        return JsonText.shown(b.build());
    }

    /** What a signal step waits for or got: "waiting for a signal since ..., deadline ..." and the like. */
    static String signalNote(io.pgflowee.engine.model.StepStateRecord state, String status) {
        String deadline = state.waitDeadline() == null ? "no deadline" : "deadline " + Times.shown(state.waitDeadline()) + " UTC";
        return switch (status) {
            case "waiting" -> "Waiting for a signal since " + Times.shown(state.startedAt()) + " UTC, " + deadline + ".";
            case "created" -> state.signalAt() == null ? "Will wait for a signal once its dependencies complete."
                    : "A signal came early (" + Times.shown(state.signalAt()) + " UTC): the step completes with it when it would wait.";
            case "completed" -> state.signalAt() == null ? "Completed." : "Signalled at " + Times.shown(state.signalAt()) + " UTC.";
            case "failed" -> "Waited for a signal from " + Times.shown(state.startedAt()) + " UTC; none came.";
            default -> "Signal step, " + status + ".";
        };
    }

    private static String shortId(UUID id) {
        return id == null ? "" : id.toString().substring(0, 8);
    }

    // ---- actions

    /** Re-reads the run (the live feed saw it move). */
    @RolesAllowed(Role.Name.VIEWER)
    public void refresh() {
        loaded = false;
        detail = null;
        steps = null;
        dag = null;
        timeline = null;
        noWorker = null;
        heldBack = null;
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void cancel() {
        report(actions.cancel(List.of(runId), "cancelled in the console by " + user.getName()), "Cancelled");
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void retry() {
        report(actions.retry(List.of(runId), user.getName()), "Retried");
    }

    /** Restarts the run as a new run and opens it. */
    @RolesAllowed(Role.Name.OPERATOR)
    public String restart() {
        try {
            UUID restarted = actions.restart(runId);
            return "run?faces-redirect=true&id=" + restarted;
        } catch (EngineRefusal | SQLException e) {
            Messages.error("Not restarted: " + Messages.why(e));
        }
        return null;
    }

    /** The JSON payloads of the signal forms, by step slug (the form's text area). */
    public Map<String, String> getPayloads() {
        return payloads;
    }

    /** Sends the signal typed in the step's form; an empty form sends nothing (a payload is typed on purpose, {} for none). */
    @RolesAllowed(Role.Name.OPERATOR)
    public void sendSignal(String step) {
        String payload = payloads.get(step);
        if (payload == null || payload.isBlank()) {
            Messages.error("Not sent: type the signal's payload as JSON ({} for none).");
            return;
        }
        signal(step, payload);
    }

    /** Sends one of the step's one-click answers ({@link StepLine#getChoices()}), found again by its label. */
    @RolesAllowed(Role.Name.OPERATOR)
    public void sendChoice(String step, String label) {
        Optional<SignalChoices.Choice> choice = getSteps().stream().filter(l -> l.slug().equals(step)).flatMap(l -> l.choices().stream())
                .filter(c -> c.label().equals(label)).findFirst();
        if (choice.isEmpty()) {
            Messages.error("Not sent: step " + step + " offers no answer \"" + label + "\" now.");
            refresh();
            return;
        }
        signal(step, choice.get().payload());
    }

    private void signal(String step, String payload) {
        try {
            io.pgflowee.api.json.JsonCodec.parse(payload);
        } catch (IllegalArgumentException e) {
            Messages.error("Not sent: the payload is not valid JSON: " + e.getMessage());
            return; // the text stays in the form to be fixed
        }
        try {
            io.pgflowee.engine.control.Signals.Result result = signals.send(runId, step, payload);
            Messages.info(switch (result) {
                case DELIVERED -> "Signal delivered to " + step + ": it completed with " + payload + ".";
                case BUFFERED -> "Signal kept for " + step + ": it completes with " + payload + " when it would wait.";
                case IGNORED -> "Signal ignored: " + step + " already had one, or no longer waits.";
            });
            payloads.remove(step);
        } catch (EngineRefusal | SQLException e) {
            Messages.error("Not sent: " + Messages.why(e));
        }
        refresh();
    }

    /** The timeline colour of an ended attempt: failed, lost (its lease expired), or handed back (snoozed, released by a stopping worker). */
    static String barKind(String outcome) {
        return switch (outcome) {
            case "failed" -> "failed";
            case "lease expired" -> "lost";
            default -> "handed-back";
        };
    }

    private void report(RunActions.Outcome outcome, String done) {
        if (outcome.refused().isEmpty()) {
            Messages.info(done + " run " + runId + ".");
        } else {
            Messages.error("Not " + done.toLowerCase() + ": " + outcome.refused().get(0).substring(runId.toString().length() + 2));
        }
        refresh();
    }
}
