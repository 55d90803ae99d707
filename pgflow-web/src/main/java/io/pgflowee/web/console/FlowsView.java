package io.pgflowee.web.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.flows.FlowStatus;
import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The flows page: every flow of the database, whether this server runs it, its controls and run counts. */
@Named
@RequestScoped
public class FlowsView {

    /** One flow (getters: Faces' EL 5 does not read record components). */
    public record FlowLine(String slug, String state, String stateMessage, int steps, String options, String paused, String limit,
                           long started, long completed, long failed, long cancelled, Map<String, String> shown, long liveWorkers) {
        /** Each status's count as shown: {@code 293}, or {@code 10,000+} for a lower bound. */
        public Map<String, String> getShown() {
            return shown;
        }

        /** Live workers of the flow on all servers (0: its runs wait). */
        public long getLiveWorkers() {
            return liveWorkers;
        }

        public String getSlug() {
            return slug;
        }

        public String getState() {
            return state;
        }

        public String getStateMessage() {
            return stateMessage;
        }

        public int getSteps() {
            return steps;
        }

        public String getOptions() {
            return options;
        }

        public String getPaused() {
            return paused;
        }

        public String getLimit() {
            return limit;
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

    }

    @Inject
    FlowQueries flows;

    @Inject
    FlowRegistry registry;

    @Inject
    io.pgflowee.engine.query.WorkerQueries workers;

    private List<FlowLine> lines;

    public List<FlowLine> getFlows() {
        if (lines == null) {
            Map<String, FlowStatus> here = registry.statuses().stream().collect(Collectors.toMap(FlowStatus::slug, Function.identity(),
                    (a, b) -> a));
            lines = new ArrayList<>();
            Map<String, Long> live = workers.liveWorkersByFlow();
            for (FlowQueries.FlowSummary f : flows.flows()) {
                String slug = f.flow().flowSlug();
                Optional<FlowStatus> status = Optional.ofNullable(here.get(slug));
                Map<RunStatus, Long> runs = f.runs().counts();
                lines.add(new FlowLine(slug, status.map(FlowView::stateWord).orElse("not deployed here"),
                        status.map(FlowStatus::message).orElse("No Java definition of this flow is deployed on this server: its tasks"
                                + " run only where one is."),
                        f.steps().size(), "attempts " + f.flow().maxAttempts() + " · delay " + f.flow().baseDelay() + " s · timeout "
                        + f.flow().timeout() + " s", f.flow().pausedAt() == null ? "" : "paused since " + Times.shown(f.flow().pausedAt()),
                        f.flow().maxRunning() == null ? "none" : String.valueOf(f.flow().maxRunning()),
                        runs.getOrDefault(RunStatus.STARTED, 0L), runs.getOrDefault(RunStatus.COMPLETED, 0L),
                        runs.getOrDefault(RunStatus.FAILED, 0L), runs.getOrDefault(RunStatus.CANCELLED, 0L),
                        java.util.Arrays.stream(RunStatus.values()).collect(Collectors.toMap(RunStatus::dbValue, f.runs()::shown)),
                        live.getOrDefault(slug, 0L)));
            }
        }
        return lines;
    }
}
