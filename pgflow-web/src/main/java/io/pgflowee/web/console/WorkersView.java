package io.pgflowee.web.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.pgflowee.engine.query.WorkerQueries;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The workers page: every worker of every server, live ones first. */
@Named
@RequestScoped
public class WorkersView {

    /** One worker (getters: Faces' EL 5 does not read record components). */
    public record WorkerLine(String workerId, String flowSlug, String server, boolean live, String heartbeatAge, String startedAt,
                             String stoppedAt, long running, String heartbeatIso, String startedIso, String stoppedIso, List<TaskLine> tasks) {
        public String getHeartbeatIso() {
            return heartbeatIso;
        }

        public String getStartedIso() {
            return startedIso;
        }

        public String getStoppedIso() {
            return stoppedIso;
        }

        /** What it runs now (the longest running first, at most {@value WorkersView#TASKS_SHOWN}). */
        public List<TaskLine> getTasks() {
            return tasks;
        }

        /** Running tasks not listed. */
        public long getMoreTasks() {
            return Math.max(0, running - tasks.size());
        }

        public String getWorkerId() {
            return workerId;
        }

        public String getFlowSlug() {
            return flowSlug;
        }

        public String getServer() {
            return server;
        }

        public boolean isLive() {
            return live;
        }

        public String getState() {
            return live ? "live" : stoppedAt.isEmpty() ? "silent" : "stopped";
        }

        public String getHeartbeatAge() {
            return heartbeatAge;
        }

        public String getStartedAt() {
            return startedAt;
        }

        public String getStoppedAt() {
            return stoppedAt;
        }

        public long getRunning() {
            return running;
        }
    }

    /** A task a worker runs: run (a link), step, index, for how long. */
    public record TaskLine(String runId, String shortId, String step, int index, String since, String sinceIso, String duration) {
        public String getRunId() {
            return runId;
        }

        public String getShortId() {
            return shortId;
        }

        public String getStep() {
            return step;
        }

        public int getIndex() {
            return index;
        }

        public String getSince() {
            return since;
        }

        public String getSinceIso() {
            return sinceIso;
        }

        public String getDuration() {
            return duration;
        }
    }

    static final int TASKS_SHOWN = 5;

    @Inject
    WorkerQueries workers;

    private List<WorkerLine> lines;

    public List<WorkerLine> getWorkers() {
        if (lines == null) {
            Map<UUID, Long> running = workers.runningTasks();
            Map<UUID, List<WorkerQueries.RunningTask>> current = workers.currentTasks(TASKS_SHOWN);
            List<WorkerLine> live = new ArrayList<>();
            List<WorkerLine> others = new ArrayList<>();
            for (WorkerQueries.WorkerView w : workers.workers()) {
                long seconds = w.heartbeatAge().toSeconds();
                String age = seconds < 120 ? seconds + " s" : seconds < 7200 ? seconds / 60 + " min" : seconds / 3600 + " h";
                WorkerLine line = new WorkerLine(w.worker().workerId().toString(), w.worker().queueName(), w.worker().functionName(),
                        w.live(), age, Times.shown(w.worker().startedAt()), Times.shown(w.worker().stoppedAt()),
                        running.getOrDefault(w.worker().workerId(), 0L), Times.iso(w.worker().lastHeartbeat()),
                        Times.iso(w.worker().startedAt()), Times.iso(w.worker().stoppedAt()),
                        current.getOrDefault(w.worker().workerId(), List.of()).stream().map(t -> new TaskLine(t.runId().toString(),
                                io.pgflowee.engine.query.RunFilter.shortId(t.runId().toString()), t.stepSlug(), t.taskIndex(), Times.shown(t.since()),
                                Times.iso(t.since()), Times.duration(t.since(), null))).toList());
                (w.live() ? live : others).add(line);
            }
            lines = new ArrayList<>(live);
            lines.addAll(others);
        }
        return lines;
    }
}
