package io.pgflowee.web.console;

import jakarta.annotation.security.RolesAllowed;
import io.pgflowee.web.security.Role;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.pgflowee.api.compile.FlowCompiler;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.StartedRun;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.flows.FlowStatus;
import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.model.StepRecord;
import io.pgflowee.engine.query.FlowQueries;
import jakarta.faces.view.ViewScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.json.JsonValue;

/**
 * A flow's page ({@code flow.xhtml?slug=}): its DAG, options, steps with their options and
 * conditions, run counts, compiled changelog and whether this server runs it; pause, resume, the
 * concurrency limit, and a start form whose JSON is checked in the browser as it is typed and whose
 * refusals (bad JSON, the engine's own) are shown next to the field.
 */
@Named
@ViewScoped
public class FlowView implements Serializable {

    private static final long serialVersionUID = 1L;

    /** One step (getters: Faces' EL 5 does not read record components). */
    public record StepLine(String slug, String type, String dependsOn, String attempts, String delay, String timeout, String startDelay,
                           String condition, String whenUnmet, String whenExhausted) implements Serializable {
        public String getSlug() {
            return slug;
        }

        public String getType() {
            return type;
        }

        public String getDependsOn() {
            return dependsOn;
        }

        public String getAttempts() {
            return attempts;
        }

        public String getDelay() {
            return delay;
        }

        public String getTimeout() {
            return timeout;
        }

        public String getStartDelay() {
            return startDelay;
        }

        public String getCondition() {
            return condition;
        }

        public String getWhenUnmet() {
            return whenUnmet;
        }

        public String getWhenExhausted() {
            return whenExhausted;
        }
    }

    @Inject
    transient FlowQueries flows;

    @Inject
    transient FlowRegistry registry;

    @Inject
    transient EngineOperations engine;

    @Inject
    transient io.pgflowee.engine.query.ScheduleQueries schedules;

    private String slug;
    private String input = "{}";
    private String idempotencyKey;
    private String concurrencyKey;
    private Integer priority;
    private Integer maxRunning;
    private Integer maxRunningPerKey;
    private java.math.BigDecimal ratePerSecond;
    private Integer rateBurst;
    private boolean ratePerKey;
    private transient List<FlowQueries.KeyLoad> busiestKeys;

    private transient Optional<FlowQueries.FlowSummary> summary;

    public String getSlug() {
        return slug;
    }

    public void setSlug(String slug) {
        this.slug = slug;
    }

    private Optional<FlowQueries.FlowSummary> summary() {
        if (summary == null) {
            summary = slug == null || slug.isBlank() ? Optional.empty() : flows.flow(slug);
            summary.ifPresent(s -> {
                maxRunning = s.flow().maxRunning();
                maxRunningPerKey = s.flow().maxRunningPerKey();
                ratePerSecond = s.flow().ratePerSecond();
                rateBurst = s.flow().rateBurst();
                ratePerKey = s.flow().ratePerKey();
            });
        }
        return summary;
    }

    private FlowQueries.FlowSummary flow() {
        return summary().orElseThrow();
    }

    public boolean isFound() {
        return summary().isPresent();
    }

    public String getProblem() {
        return "No flow \"" + (slug == null ? "" : slug) + "\" in the database.";
    }

    /** verified, compiled, mismatch, missing, invalid, unchecked; or "not deployed here". */
    public String getState() {
        return status().map(FlowView::stateWord).orElse("not deployed here");
    }

    static String stateWord(FlowStatus s) {
        return s.state().name().toLowerCase(Locale.ROOT);
    }

    public String getStateMessage() {
        return status().map(FlowStatus::message).orElse("No Java definition of this flow is deployed on this server: its tasks run only"
                + " on servers where one is.");
    }

    public List<String> getDifferences() {
        return status().map(FlowStatus::differences).orElse(List.of());
    }

    /** How the database's schedules differ from those this server's definition declares (PGFLOW-026), read now. */
    public List<String> getScheduleDifferences() {
        if (scheduleDifferences == null) {
            scheduleDifferences = registry.scheduleDifferences(slug);
        }
        return scheduleDifferences;
    }

    private transient List<String> scheduleDifferences;

    /** "none", "1 schedule", "2 schedules, 1 paused": a link to the Schedules page of the flow. */
    public String getScheduleSummary() {
        long[] counts = schedules.counts(slug);
        if (counts[0] == 0) {
            return "none";
        }
        return counts[0] + (counts[0] == 1 ? " schedule" : " schedules") + (counts[1] > 0 ? ", " + counts[1] + " paused" : "");
    }

    public boolean isRunsHere() {
        return status().map(FlowStatus::runnable).orElse(false);
    }

    private Optional<FlowStatus> status() {
        return registry.statuses().stream().filter(s -> s.slug().equals(slug)).findFirst();
    }

    public String getOptions() {
        var f = flow().flow();
        return "max attempts " + f.maxAttempts() + " · base delay " + f.baseDelay() + " s · timeout " + f.timeout() + " s";
    }

    public String getPaused() {
        return flow().flow().pausedAt() == null ? "" : Times.shown(flow().flow().pausedAt());
    }

    public boolean isPausedNow() {
        return flow().flow().pausedAt() != null;
    }

    public String getLimit() {
        return flow().flow().maxRunning() == null ? "none" : flow().flow().maxRunning() + " tasks at once";
    }

    public String getKeyLimit() {
        Integer perKey = flow().flow().maxRunningPerKey();
        return perKey == null ? "none" : tasks(perKey) + " of one concurrency key at once";
    }

    public String getRate() {
        var f = flow().flow();
        return f.ratePerSecond() == null ? "none" : f.ratePerSecond().stripTrailingZeros().toPlainString() + " tasks a second"
                + (f.ratePerKey() ? " per concurrency key" : " for the flow") + ", bursts of " + f.rateBurst();
    }

    /** The ten keys with the most tasks running, then queued (read once per request). */
    public List<FlowQueries.KeyLoad> getBusiestKeys() {
        if (busiestKeys == null) {
            busiestKeys = flows.busiestKeys(slug, 10);
        }
        return busiestKeys;
    }

    /** Each status with its count as shown ({@code 293}, or {@code 10,000+} for a lower bound); statuses without runs are left out. */
    public List<Map.Entry<String, String>> getRunCounts() {
        List<Map.Entry<String, String>> list = new ArrayList<>();
        for (RunStatus s : RunStatus.values()) {
            if (flow().runs().count(s) > 0) {
                list.add(Map.entry(s.dbValue(), flow().runs().shown(s)));
            }
        }
        return list;
    }

    public List<StepLine> getSteps() {
        List<StepLine> lines = new ArrayList<>();
        var f = flow().flow();
        for (FlowQueries.StepSummary s : flow().steps()) {
            StepRecord st = s.step();
            lines.add(new StepLine(st.stepSlug(), st.stepType().sqlValue(), String.join(", ", s.dependsOn()),
                    orDefault(st.maxAttempts(), f.maxAttempts(), ""), orDefault(st.baseDelay(), f.baseDelay(), " s"),
                    orDefault(st.timeout(), f.timeout(), " s"), st.startDelay() == null ? "" : st.startDelay() + " s",
                    condition(st), st.whenUnmet().sqlValue(), st.whenExhausted().sqlValue()));
        }
        return lines;
    }

    private static String orDefault(Integer own, int flowValue, String unit) {
        return own == null ? flowValue + unit + " (flow)" : own + unit;
    }

    private static String condition(StepRecord st) {
        List<String> parts = new ArrayList<>();
        if (st.requiredInputPattern() != null) {
            parts.add("when input contains " + io.pgflowee.api.json.JsonbText.of(st.requiredInputPattern()));
        }
        if (st.forbiddenInputPattern() != null) {
            parts.add("unless input contains " + io.pgflowee.api.json.JsonbText.of(st.forbiddenInputPattern()));
        }
        return String.join("; ", parts);
    }

    public String getDag() {
        List<Diagrams.Node> nodes = new ArrayList<>();
        for (FlowQueries.StepSummary s : flow().steps()) {
            StepRecord st = s.step();
            String cond = st.requiredInputPattern() != null || st.forbiddenInputPattern() != null ? " · conditional" : "";
            nodes.add(new Diagrams.Node(st.stepSlug(), s.dependsOn(), null, st.stepType().sqlValue() + cond));
        }
        return Diagrams.dag(nodes, "Steps of flow " + slug + ": " + String.join(", ", nodes.stream().map(n -> n.slug()
                + (n.dependsOn().isEmpty() ? "" : " after " + String.join(" and ", n.dependsOn()))).toList()));
    }

    /** The changelog this application carries for the flow, else what the compiler makes of its Java definition. */
    public String getChangelog() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try (InputStream in = loader.getResourceAsStream("pgflow/db/flows/" + slug + ".sql")) {
            if (in != null) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            return "(the packaged changelog could not be read: " + e.getMessage() + ")";
        }
        return registry.flow(slug).map(f -> "-- not packaged in this application (the flow was created by auto-compilation);"
                + " what the compiler writes for it:\n" + FlowCompiler.changelog(f))
                .orElse("-- no changelog in this application and no Java definition on this server");
    }

    // ---- controls

    public Integer getMaxRunning() {
        return maxRunning;
    }

    public void setMaxRunning(Integer maxRunning) {
        this.maxRunning = maxRunning;
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void pause() {
        control(() -> engine.pauseFlow(slug), "Paused " + slug + ": nothing of it is claimed until it is resumed.");
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void resume() {
        control(() -> engine.resumeFlow(slug), "Resumed " + slug + ".");
    }

    @RolesAllowed(Role.Name.OPERATOR)
    public void limit() {
        control(() -> engine.setFlowConcurrency(slug, maxRunning), maxRunning == null ? "Removed the concurrency limit of " + slug + "."
                : "At most " + maxRunning + " tasks of " + slug + " run at once.");
    }

    public Integer getMaxRunningPerKey() {
        return maxRunningPerKey;
    }

    public void setMaxRunningPerKey(Integer maxRunningPerKey) {
        this.maxRunningPerKey = maxRunningPerKey;
    }

    public java.math.BigDecimal getRatePerSecond() {
        return ratePerSecond;
    }

    public void setRatePerSecond(java.math.BigDecimal ratePerSecond) {
        this.ratePerSecond = ratePerSecond;
    }

    public Integer getRateBurst() {
        return rateBurst;
    }

    public void setRateBurst(Integer rateBurst) {
        this.rateBurst = rateBurst;
    }

    public boolean isRatePerKey() {
        return ratePerKey;
    }

    public void setRatePerKey(boolean ratePerKey) {
        this.ratePerKey = ratePerKey;
    }

    /** set_key_concurrency: an admin's (it changes every tenant's service). */
    @RolesAllowed(Role.Name.ADMIN)
    public void keyLimit() {
        control(() -> engine.setKeyConcurrency(slug, maxRunningPerKey), maxRunningPerKey == null
                ? "Removed the limit per concurrency key of " + slug + "."
                : "At most " + tasks(maxRunningPerKey) + " of one concurrency key of " + slug + " run at once.");
    }

    private static String tasks(int n) {
        return n == 1 ? "1 task" : n + " tasks";
    }

    /** set_rate_limit: an admin's. */
    @RolesAllowed(Role.Name.ADMIN)
    public void rateLimit() {
        control(() -> engine.setRateLimit(slug, ratePerSecond, rateBurst, ratePerKey), ratePerSecond == null
                ? "Removed the rate limit of " + slug + "."
                : "At most " + ratePerSecond.stripTrailingZeros().toPlainString() + " tasks a second " + (ratePerKey ? "per concurrency key"
                        : "of the flow") + " start in " + slug + ".");
    }

    private interface Control {
        Object run() throws EngineRefusal, SQLException;
    }

    private void control(Control control, String done) {
        try {
            control.run();
            Messages.info(done);
        } catch (EngineRefusal | SQLException e) {
            Messages.error(Messages.why(e));
        }
        summary = null;
        busiestKeys = null;
        scheduleDifferences = null;
    }

    // ---- start a run

    public String getInput() {
        return input;
    }

    public void setInput(String input) {
        this.input = input;
    }

    public String getIdempotencyKey() {
        return idempotencyKey;
    }

    public void setIdempotencyKey(String idempotencyKey) {
        this.idempotencyKey = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey.trim();
    }

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

    /** Starts a run and opens it; bad JSON and the engine's refusals are shown next to the input. */
    @RolesAllowed(Role.Name.OPERATOR)
    public String start() {
        JsonValue value;
        try {
            value = JsonCodec.parse(input == null ? "" : input);
        } catch (IllegalArgumentException e) {
            Messages.fieldError("start:input", "Not valid JSON: " + e.getMessage().replaceFirst("^invalid JSON:? ?", ""));
            return null;
        }
        java.util.Optional<String> refusal = registry.refusalToStart(slug);
        if (refusal.isPresent()) {
            Messages.fieldError("start:input", refusal.get());
            return null;
        }
        try {
            StartedRun started = engine.startFlow(slug, value.toString(), null, idempotencyKey,
                    registry.runKeys(slug, value.toString(), concurrencyKey, priority));
            return "run?faces-redirect=true&id=" + started.run().runId();
        } catch (EngineRefusal | SQLException e) {
            Messages.fieldError("start:input", Messages.why(e));
        } catch (IllegalArgumentException e) {
            Messages.fieldError("start:input", e.getMessage()); // the flow's concurrencyKey or priority function refused the input
        }
        return null;
    }
}
