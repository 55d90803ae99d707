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
                             String stoppedAt, long running) {
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

    @Inject
    WorkerQueries workers;

    private List<WorkerLine> lines;

    public List<WorkerLine> getWorkers() {
        if (lines == null) {
            Map<UUID, Long> running = workers.runningTasks();
            List<WorkerLine> live = new ArrayList<>();
            List<WorkerLine> others = new ArrayList<>();
            for (WorkerQueries.WorkerView w : workers.workers()) {
                long seconds = w.heartbeatAge().toSeconds();
                String age = seconds < 120 ? seconds + " s" : seconds < 7200 ? seconds / 60 + " min" : seconds / 3600 + " h";
                WorkerLine line = new WorkerLine(w.worker().workerId().toString(), w.worker().queueName(), w.worker().functionName(),
                        w.live(), age, Times.shown(w.worker().startedAt()), Times.shown(w.worker().stoppedAt()),
                        running.getOrDefault(w.worker().workerId(), 0L));
                (w.live() ? live : others).add(line);
            }
            lines = new ArrayList<>(live);
            lines.addAll(others);
        }
        return lines;
    }
}
