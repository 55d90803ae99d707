package io.pgflowee.web.console;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.pgflowee.engine.query.DashboardQueries;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.WorkerQueries;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The dashboard: per flow, runs of the last hour and the queue; the latest failures. */
@Named
@RequestScoped
public class DashboardView {

    /** One flow's line. */
    public record FlowLine(String flowSlug, long started, long completed, long failed, long cancelled, long queued, long delayed,
                           long running, long waiting, String chart) {
        /** Runs with a signal step waiting. */
        public long getWaiting() {
            return waiting;
        }

        public String getChart() {
            return chart;
        }

        public String getFlowSlug() {
            return flowSlug;
        }

        public long getStarted() {
            return started;
        }

        public long getCompleted() {
            return completed;
        }

        public long getFailed() {
            return failed;
        }

        public long getCancelled() {
            return cancelled;
        }

        public long getQueued() {
            return queued;
        }

        public long getDelayed() {
            return delayed;
        }

        public long getRunning() {
            return running;
        }
    }

    /** One failed task (getters: Faces' EL 5 does not read record components). */
    public record FailureLine(String flowSlug, String runId, String step, int attempts, String failedAt, String error, String failedIso) {
        public String getFailedIso() {
            return failedIso;
        }

        public String getFlowSlug() {
            return flowSlug;
        }

        public String getRunId() {
            return runId;
        }

        public String getShortId() {
            return io.pgflowee.engine.query.RunFilter.shortId(runId);
        }

        public String getStep() {
            return step;
        }

        public int getAttempts() {
            return attempts;
        }

        public String getFailedAt() {
            return failedAt;
        }

        public String getError() {
            return error;
        }
    }

    @Inject
    DashboardQueries dashboard;

    @Inject
    FlowQueries flowQueries;

    @Inject
    WorkerQueries workers;

    private List<FlowLine> flows;
    private List<FailureLine> failures;

    public List<FlowLine> getFlows() {
        if (flows == null) {
            Map<String, long[]> lines = new TreeMap<>();
            Map<String, long[][]> minutes = new TreeMap<>();
            for (String slug : flowQueries.slugs()) {
                lines.put(slug, new long[7]);
                minutes.put(slug, new long[60][4]);
            }
            OffsetDateTime first = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).minusMinutes(59);
            for (DashboardQueries.MinuteCounts m : dashboard.perMinute()) {
                long[] l = lines.computeIfAbsent(m.flowSlug(), k -> new long[7]);
                l[0] += m.started();
                l[1] += m.completed();
                l[2] += m.failed();
                l[3] += m.cancelled();
                int i = (int) ChronoUnit.MINUTES.between(first, m.minute());
                if (i >= 0 && i < 60) {
                    long[] c = minutes.computeIfAbsent(m.flowSlug(), k -> new long[60][4])[i];
                    c[0] += m.started();
                    c[1] += m.completed();
                    c[2] += m.failed();
                    c[3] += m.cancelled();
                }
            }
            for (DashboardQueries.QueueDepth q : dashboard.queues()) {
                long[] l = lines.computeIfAbsent(q.flowSlug(), k -> new long[7]);
                l[4] = q.queued();
                l[5] = q.delayed();
                l[6] = q.running();
            }
            Map<String, Long> waiting = dashboard.waitingRuns();
            waiting.keySet().forEach(slug -> lines.computeIfAbsent(slug, k -> new long[7]));
            flows = new ArrayList<>();
            lines.forEach((slug, l) -> flows.add(new FlowLine(slug, l[0], l[1], l[2], l[3], l[4], l[5], l[6], waiting.getOrDefault(slug, 0L),
                    Diagrams.lastHour(minutes.getOrDefault(slug, new long[60][4]), slug + " in the last hour: " + l[0] + " started, " + l[1]
                            + " completed, " + l[2] + " failed, " + l[3] + " cancelled"))));
        }
        return flows;
    }

    /** Workers with a fresh heartbeat, of every server. */
    public long getLiveWorkers() {
        return workers.workers().stream().filter(WorkerQueries.WorkerView::live).count();
    }

    public List<FailureLine> getFailures() {
        if (failures == null) {
            failures = new ArrayList<>();
            for (DashboardQueries.FailedTask t : dashboard.latestFailures(5)) {
                failures.add(new FailureLine(t.flowSlug(), t.runId().toString(), t.stepSlug() + "[" + t.taskIndex() + "]", t.attempts(),
                        Times.shown(t.failedAt()), t.errorFirstLine(), Times.iso(t.failedAt())));
            }
        }
        return failures;
    }
}
