package io.pgflowee.web.console;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import io.pgflowee.engine.query.FlowQueries;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The step durations page ({@code durations.xhtml?flow=&hours=}): how long each step of a flow takes (pgflow.step_durations). */
@Named
@RequestScoped
public class DurationsView {

    /** The windows offered, in hours. */
    static final List<Integer> WINDOWS = List.of(1, 24, 168);

    /** One step (getters: Faces' EL 5 does not read record components). */
    public record StepLine(String stepSlug, long completed, long failed, String p50, String p95, String max) {
        public String getStepSlug() {
            return stepSlug;
        }

        public long getCompleted() {
            return completed;
        }

        public long getFailed() {
            return failed;
        }

        public String getP50() {
            return p50;
        }

        public String getP95() {
            return p95;
        }

        public String getMax() {
            return max;
        }

        static StepLine of(FlowQueries.StepDuration d) {
            return new StepLine(d.stepSlug(), d.completed(), d.failed(), millis(d.p50Ms()), millis(d.p95Ms()), millis(d.maxMs()));
        }
    }

    @Inject
    FlowQueries flows;

    private String flow;
    private Integer hours = 24;
    private List<StepLine> steps;
    private String problem;

    public String getFlow() {
        return flow;
    }

    public void setFlow(String flow) {
        this.flow = flow;
    }

    public Integer getHours() {
        return hours;
    }

    /** One of {@link #WINDOWS}; anything else falls back to 24. */
    public void setHours(Integer hours) {
        this.hours = hours != null && WINDOWS.contains(hours) ? hours : 24;
    }

    public List<Integer> getWindows() {
        return WINDOWS;
    }

    /** Why there is nothing to show (no flow named, an unknown flow), or null. */
    public String getProblem() {
        load();
        return problem;
    }

    public List<StepLine> getSteps() {
        load();
        return steps;
    }

    private void load() {
        if (steps != null || problem != null) {
            return;
        }
        if (flow == null || flow.isBlank()) {
            problem = "Name a flow: durations.xhtml?flow=<slug>";
        } else if (!flows.exists(flow)) {
            problem = "Flow \"" + flow + "\" does not exist";
        } else {
            steps = flows.stepDurations(flow, OffsetDateTime.now(ZoneOffset.UTC).minusHours(hours)).stream().map(StepLine::of).toList();
        }
    }

    /** A run time as the console shows every duration ({@link Times#duration}), or "—" for none. */
    static String millis(Double ms) {
        return ms == null ? "—" : Times.duration(java.time.Duration.ofNanos(Math.round(ms * 1_000_000)));
    }
}
