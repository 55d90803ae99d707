package io.pgflowee.web.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.pgflowee.engine.query.DashboardQueries;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The dashboard: per flow, runs of the last hour and the queue; the latest failures. */
@Named
@RequestScoped
public class DashboardView {

    /** One flow's line. */
    public record FlowLine(String flowSlug, long started, long completed, long failed, long cancelled, long queued, long delayed,
                           long running) {
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
    public record FailureLine(String flowSlug, String runId, String step, int attempts, String failedAt, String error) {
        public String getFlowSlug() {
            return flowSlug;
        }

        public String getRunId() {
            return runId;
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

    private List<FlowLine> flows;
    private List<FailureLine> failures;

    public List<FlowLine> getFlows() {
        if (flows == null) {
            Map<String, long[]> lines = new TreeMap<>();
            for (String slug : flowQueries.slugs()) {
                lines.put(slug, new long[7]);
            }
            for (DashboardQueries.MinuteCounts m : dashboard.perMinute()) {
                long[] l = lines.computeIfAbsent(m.flowSlug(), k -> new long[7]);
                l[0] += m.started();
                l[1] += m.completed();
                l[2] += m.failed();
                l[3] += m.cancelled();
            }
            for (DashboardQueries.QueueDepth q : dashboard.queues()) {
                long[] l = lines.computeIfAbsent(q.flowSlug(), k -> new long[7]);
                l[4] = q.queued();
                l[5] = q.delayed();
                l[6] = q.running();
            }
            flows = new ArrayList<>();
            lines.forEach((slug, l) -> flows.add(new FlowLine(slug, l[0], l[1], l[2], l[3], l[4], l[5], l[6])));
        }
        return flows;
    }

    public List<FailureLine> getFailures() {
        if (failures == null) {
            failures = new ArrayList<>();
            for (DashboardQueries.FailedTask t : dashboard.latestFailures(5)) {
                failures.add(new FailureLine(t.flowSlug(), t.runId().toString(), t.stepSlug() + "[" + t.taskIndex() + "]", t.attempts(),
                        Times.shown(t.failedAt()), t.errorFirstLine()));
            }
        }
        return failures;
    }
}
