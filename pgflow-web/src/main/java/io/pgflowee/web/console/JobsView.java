package io.pgflowee.web.console;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pgflowee.engine.jobs.JobService;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.faces.view.ViewScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The "Batch jobs" page (admin): the latest executions with their progress, stop and restart, the
 * skipped items of one, and a form that starts a backfill from a file on the server or a query.
 * While an execution runs, the page re-reads every 2 s (the job repository has no events).
 */
@Named
@ViewScoped
public class JobsView implements Serializable {

    private static final long serialVersionUID = 1L;

    /** One execution (getters: Faces' EL 5 does not read record components). */
    public record ExecutionLine(long executionId, long instanceId, String job, String status, String startedAt, String endedAt,
                                String progress, String parameters, List<String> skipped, String server, boolean serverLost,
                                String startedIso, String endedIso)
            implements Serializable {
        public String getStartedIso() {
            return startedIso;
        }

        public String getEndedIso() {
            return endedIso;
        }

        public long getExecutionId() {
            return executionId;
        }

        public long getInstanceId() {
            return instanceId;
        }

        public String getJob() {
            return job;
        }

        public String getStatus() {
            return status;
        }

        public String getStartedAt() {
            return startedAt;
        }

        public String getEndedAt() {
            return endedAt;
        }

        public String getProgress() {
            return progress;
        }

        public String getParameters() {
            return parameters;
        }

        public List<String> getSkipped() {
            return skipped;
        }

        /** The server that runs (or ran) the execution, host/pid. */
        public String getServer() {
            return server;
        }

        /** Shown STARTED, but its server stopped beating: it may be restarted on this one. */
        public boolean isServerLost() {
            return serverLost;
        }

        public boolean isRunning() {
            return (status.equals("STARTED") || status.equals("STARTING")) && !serverLost;
        }

        public boolean isRestartable() {
            return status.equals("STOPPED") || status.equals("FAILED") || serverLost;
        }
    }

    @Inject
    transient JobService jobs;

    @Inject
    transient io.pgflowee.engine.jobs.JobDatabase jobRows;

    @Inject
    transient FlowQueries flows;

    @Inject
    transient io.pgflowee.engine.jobs.prune.PruneSchedule schedule;

    @Inject
    transient io.pgflowee.engine.system.SystemInfoService system;

    /** A partition of the run tables as the prune card lists it. */
    public record PartitionLine(String name, String from, String to, String fromIso, String toIso, String status, long runs, String size) {
        public String getName() {
            return name;
        }

        public String getFrom() {
            return from;
        }

        public String getTo() {
            return to;
        }

        public String getFromIso() {
            return fromIso;
        }

        public String getToIso() {
            return toIso;
        }

        public String getStatus() {
            return status;
        }

        public long getRuns() {
            return runs;
        }

        public String getSize() {
            return size;
        }
    }

    private transient io.pgflowee.engine.system.SystemInfoService.RunPartitions partitions;

    private String flow;
    private String source = "path";
    private String path;
    private String sql;
    private Integer chunkSize = 500;
    private Integer skipLimit = 100;
    private transient List<ExecutionLine> lines;

    // pgflow-bulk-retry
    private String retryFlow;
    private String retryStatus = "failed";
    private String retryAfter;
    private String retryBefore;
    private String retryError;
    private String retryMode = "retry";

    // pgflow-prune
    private String pruneFlows;
    private String pruneRetention = "P30D";
    private String pruneExportDir;

    // pgflow-cancel-stuck
    private String stuckFlow;
    private String stuckOlderThan = "PT6H";
    private String stuckReason;

    public List<ExecutionLine> getExecutions() {
        if (lines == null) {
            lines = new ArrayList<>();
            for (JobService.ExecutionView e : jobs.recent(25, true)) {
                StringBuilder progress = new StringBuilder(live(e));
                boolean first = true;
                for (JobService.StepView s : e.steps()) {
                    Map<String, Long> m = s.metrics();
                    // a later step without items (pgflow-prune's drop-empty-partitions) adds nothing to say
                    if (!first && m.values().stream().allMatch(v -> v == 0L) && s.data() == null) {
                        continue;
                    }
                    progress.append(first ? "" : " · ").append("read ").append(m.getOrDefault("READ_COUNT", 0L)).append(" · written ")
                            .append(m.getOrDefault("WRITE_COUNT", 0L)).append(" · skipped ")
                            .append(m.getOrDefault("PROCESS_SKIP_COUNT", 0L) + m.getOrDefault("READ_SKIP_COUNT", 0L)
                                    + m.getOrDefault("WRITE_SKIP_COUNT", 0L));
                    if (s.data() != null) {
                        progress.append(" (").append(s.data()).append(')');
                    }
                    first = false;
                }
                if (!e.partitions().isEmpty()) {
                    progress.append(" · partitions: ").append(String.join(", ", e.partitions().stream().map(p -> p.partition() + " "
                            + p.items() + (p.done() ? " done" : e.status().equals("STARTED") ? " (running)" : " (not finished)")).toList()));
                }
                if (e.startedAt() != null) {
                    progress.append(" · ").append(e.endedAt() == null ? "running for " : "took ").append(Times.duration(java.time.Duration.ofMillis(
                            (e.endedAt() == null ? System.currentTimeMillis() : e.endedAt().getTime()) - e.startedAt().getTime())));
                }
                List<String> skipped = new ArrayList<>(e.skipped().stream().map(k -> k[1]).toList());
                if (e.failure() != null) {
                    skipped.add("failed: " + e.failure());
                }
                lines.add(new ExecutionLine(e.executionId(), e.instanceId(), e.job(), e.status(), time(e.startedAt()), time(e.endedAt()),
                        progress.toString(), parameters(e.parameters()), skipped, e.server(), e.serverLost(), iso(e.startedAt()),
                        iso(e.endedAt())));
            }
        }
        return lines;
    }

    /**
     * While an execution runs: "done 1,234 of 5,000 (24.7 %) · 310 a second · about 12 s left · "
     * from the rows its work writes in its own transactions (the runtime's read and written counts
     * move only at checkpoints); empty for an ended execution or one without an instance key.
     */
    private String live(JobService.ExecutionView e) {
        String key = e.parameters().get(JobService.INSTANCE_KEY);
        if (e.endedAt() != null || e.startedAt() == null || key == null) {
            return "";
        }
        io.pgflowee.engine.jobs.JobDatabase.Progress p;
        try {
            p = jobRows.progress(key, e.job(), e.parameters().get("flow"));
        } catch (java.sql.SQLException ex) {
            return "";
        }
        return progressText(p.done(), p.total(), (System.currentTimeMillis() - e.startedAt().getTime()) / 1000.0) + " · ";
    }

    /** "done 1,234 of 5,000 (24.7 %) · 310 a second · about 12 s left" (without a total: done and rate only). */
    static String progressText(long done, Long total, double seconds) {
        java.util.Locale l = java.util.Locale.ROOT;
        StringBuilder b = new StringBuilder("done ").append(String.format(l, "%,d", done));
        if (total != null) {
            b.append(" of ").append(String.format(l, "%,d", total));
            if (total > 0) {
                b.append(String.format(l, " (%.1f %%)", Math.min(100.0, 100.0 * done / total)));
            }
        }
        double rate = seconds > 0 ? done / seconds : 0;
        b.append(" · ").append(rate >= 10 ? String.format(l, "%,.0f", rate) : String.format(l, "%.1f", rate)).append(" a second");
        if (total != null && rate > 0 && done < total) {
            b.append(" · about ").append(Times.duration(java.time.Duration.ofMillis((long) ((total - done) / rate * 1000)))).append(" left");
        }
        return b.toString();
    }

    public boolean isAnyRunning() {
        return getExecutions().stream().anyMatch(ExecutionLine::isRunning);
    }

    private static String parameters(Map<String, String> p) {
        Map<String, String> shown = new LinkedHashMap<>(p);
        shown.remove(JobService.INSTANCE_KEY);
        return shown.toString().replaceAll("^\\{|\\}$", "");
    }

    private static String iso(Date d) {
        return d == null ? "" : Times.iso(d.toInstant().atOffset(java.time.ZoneOffset.UTC));
    }

    private static String time(Date d) {
        return d == null ? "" : Times.shown(d.toInstant().atOffset(java.time.ZoneOffset.UTC));
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void refresh() {
        lines = null;
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void stop(long executionId) {
        try {
            jobs.stop(executionId);
            Messages.info("Stopping execution " + executionId + ": it ends after its current chunk.");
        } catch (JobService.JobRefusal e) {
            Messages.error(e.getMessage());
        }
        refresh();
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void restart(long executionId) {
        try {
            Messages.info("Restarted as execution " + jobs.restart(executionId) + ", from the last checkpoint.");
        } catch (JobService.JobRefusal e) {
            Messages.error(e.getMessage());
        }
        refresh();
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void start() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("flow", flow);
        params.put(source.equals("sql") ? "sql" : "path", source.equals("sql") ? sql : path);
        params.put("chunkSize", chunkSize == null ? null : chunkSize.toString());
        params.put("skipLimit", skipLimit == null ? null : skipLimit.toString());
        // the refusal goes next to the field it names
        startJob("pgflow-backfill", params, refusal -> "start:" + (refusal.startsWith("path") ? "path"
                : refusal.startsWith("the query") ? "sql" : refusal.contains("flow") ? "flow" : "source"));
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void startBulkRetry() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("flow", retryFlow);
        params.put("status", retryStatus);
        params.put("startedAfter", retryAfter);
        params.put("startedBefore", retryBefore);
        params.put("errorContains", retryError);
        params.put("mode", retryMode);
        startJob("pgflow-bulk-retry", params, refusal -> "retry:refusal");
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void startPrune() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("flows", pruneFlows);
        params.put("retention", pruneRetention);
        params.put("exportDir", pruneExportDir);
        startJob("pgflow-prune", params, refusal -> "prune:refusal");
    }

    @RolesAllowed(Role.Name.ADMIN)
    public void startCancelStuck() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("flow", stuckFlow);
        params.put("olderThan", stuckOlderThan);
        params.put("reason", stuckReason);
        startJob("pgflow-cancel-stuck", params, refusal -> "stuck:refusal");
    }

    /** Starts the job; a refusal is shown at the client id {@code fieldOf} gives for its message. */
    private void startJob(String job, Map<String, String> params, java.util.function.UnaryOperator<String> fieldOf) {
        try {
            Messages.info("Started " + job + " as execution " + jobs.start(job, params) + ".");
        } catch (JobService.JobRefusal e) {
            Messages.fieldError(fieldOf.apply(e.getMessage()), e.getMessage());
        }
        refresh();
    }

    public List<String> getFlowSlugs() {
        return flows.slugs();
    }

    public String getFlow() {
        return flow;
    }

    public void setFlow(String flow) {
        this.flow = flow;
    }

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public String getSql() {
        return sql;
    }

    public void setSql(String sql) {
        this.sql = sql;
    }

    public Integer getChunkSize() {
        return chunkSize;
    }

    public void setChunkSize(Integer chunkSize) {
        this.chunkSize = chunkSize;
    }

    public Integer getSkipLimit() {
        return skipLimit;
    }

    public void setSkipLimit(Integer skipLimit) {
        this.skipLimit = skipLimit;
    }

    public String getRetryFlow() {
        return retryFlow;
    }

    public void setRetryFlow(String v) {
        retryFlow = v;
    }

    public String getRetryStatus() {
        return retryStatus;
    }

    public void setRetryStatus(String v) {
        retryStatus = v;
    }

    public String getRetryAfter() {
        return retryAfter;
    }

    public void setRetryAfter(String v) {
        retryAfter = v;
    }

    public String getRetryBefore() {
        return retryBefore;
    }

    public void setRetryBefore(String v) {
        retryBefore = v;
    }

    public String getRetryError() {
        return retryError;
    }

    public void setRetryError(String v) {
        retryError = v;
    }

    public String getRetryMode() {
        return retryMode;
    }

    public void setRetryMode(String v) {
        retryMode = v;
    }

    public String getPruneFlows() {
        return pruneFlows;
    }

    public void setPruneFlows(String v) {
        pruneFlows = v;
    }

    public String getPruneRetention() {
        return pruneRetention;
    }

    public void setPruneRetention(String v) {
        pruneRetention = v;
    }

    public String getPruneExportDir() {
        return pruneExportDir;
    }

    public void setPruneExportDir(String v) {
        pruneExportDir = v;
    }

    /** The daily prune's state on this server, for the prune form. */
    public String getPruneSchedule() {
        if (!schedule.isDaily()) {
            return "Daily prune: off on this server (pgflow.prune.daily=true starts it at 03:00 UTC, on one server of the pool).";
        }
        return "Daily prune: on, every flow with its retention; next at " + schedule.nextRun()
                .map(d -> Times.shown(d.toInstant().atOffset(java.time.ZoneOffset.UTC)) + " UTC").orElse("? (no timer)") + ".";
    }

    private io.pgflowee.engine.system.SystemInfoService.RunPartitions partitions() {
        if (partitions == null) {
            try {
                partitions = system.runPartitions();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("the run partitions could not be read: " + e.getMessage(), e);
            }
        }
        return partitions;
    }

    /** How the run tables are laid out for pruning: plain (rows deleted), or partitioned (ranges dropped) and how far ahead. */
    public String getPartitioning() {
        io.pgflowee.engine.system.SystemInfoService.RunPartitions p = partitions();
        if (!p.partitioned()) {
            return "Run tables: plain (not partitioned): pruning deletes runs row by row. Partitioning by time"
                    + " (pgflow.partition_run_tables(), docs/operations.md) lets it drop whole weeks instead.";
        }
        return "Run tables: partitioned by time, " + p.ranges() + " ranges, " + (p.ahead(java.time.Instant.now())
                ? "made ahead until " + Times.shown(p.aheadUntil().atOffset(java.time.ZoneOffset.UTC)) + " UTC"
                : "NONE AHEAD: new runs land in the default partition 'other' (is any server's scheduler running?)")
                + ". Pruning drops a range once every run in it finished before the retention.";
    }

    public boolean isPartitioned() {
        return partitions().partitioned();
    }

    public List<PartitionLine> getPartitions() {
        return partitions().partitions().stream().map(p -> new PartitionLine(p.name(), time(p.startsAt(), Times::shown), time(p.endsAt(), Times::shown),
                time(p.startsAt(), Times::iso), time(p.endsAt(), Times::iso), p.status(), p.runs(), size(p.bytes()))).toList();
    }

    private static String time(java.time.Instant t, java.util.function.Function<java.time.OffsetDateTime, String> format) {
        return t == null ? "" : format.apply(t.atOffset(java.time.ZoneOffset.UTC));
    }

    static String size(long bytes) {
        if (bytes < 1024 * 1024) {
            return (bytes + 1023) / 1024 + " KiB";
        }
        return bytes < 10L * 1024 * 1024 * 1024 ? String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                : String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / 1073741824.0);
    }

    public String getStuckFlow() {
        return stuckFlow;
    }

    public void setStuckFlow(String v) {
        stuckFlow = v;
    }

    public String getStuckOlderThan() {
        return stuckOlderThan;
    }

    public void setStuckOlderThan(String v) {
        stuckOlderThan = v;
    }

    public String getStuckReason() {
        return stuckReason;
    }

    public void setStuckReason(String v) {
        stuckReason = v;
    }
}
