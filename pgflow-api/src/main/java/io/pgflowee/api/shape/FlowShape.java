package io.pgflowee.api.shape;

import io.pgflowee.api.json.Jsonp;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.StepOptions;
import io.pgflowee.api.flow.WhenExhausted;
import io.pgflowee.api.flow.WhenUnmet;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.api.json.JsonbText;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

/**
 * The structure of a flow, as {@code pgflow.get_flow_shape} returns it and
 * {@code pgflow.ensure_flow_compiled} takes it: steps in definition order with their type, sorted
 * dependencies, condition modes and patterns. Options travel along (so a flow can be created from
 * its shape) but are never compared: they can be tuned at run time.
 *
 * @param steps the steps in definition order
 * @param options the flow's options, null when none is set
 */
public record FlowShape(List<StepShape> steps, Options options) {

    /** Options of a flow or step; null fields are not set. */
    public record Options(Integer maxAttempts, Integer baseDelay, Integer timeout, Integer startDelay) {
        boolean isEmpty() {
            return maxAttempts == null && baseDelay == null && timeout == null && startDelay == null;
        }
    }

    /**
     * One step of a shape.
     *
     * @param requiredInputPattern null when not defined
     * @param forbiddenInputPattern null when not defined
     * @param options null when none is set
     * @param subflowSlug a subflow or map_subflow step's child flow, else null
     */
    public record StepShape(String slug, String stepType, List<String> dependencies, String whenUnmet,
                            String whenExhausted, JsonValue requiredInputPattern, JsonValue forbiddenInputPattern,
                            Options options, String subflowSlug) {

        /** A step that runs no child flow. */
        public StepShape(String slug, String stepType, List<String> dependencies, String whenUnmet, String whenExhausted,
                         JsonValue requiredInputPattern, JsonValue forbiddenInputPattern, Options options) {
            this(slug, stepType, dependencies, whenUnmet, whenExhausted, requiredInputPattern, forbiddenInputPattern, options, null);
        }
    }

    public FlowShape {
        steps = List.copyOf(steps);
    }

    /** The shape of a flow defined in Java. */
    public static FlowShape of(Flow<?> flow) {
        List<StepShape> steps = new ArrayList<>();
        for (Step<?> step : flow.steps()) {
            StepOptions o = step.options();
            Options options = new Options(o.maxAttempts(), o.baseDelay(), o.timeout(), o.startDelay());
            steps.add(new StepShape(step.slug(), step.stepType().sqlValue(),
                    step.dependencySlugs().stream().sorted().toList(),
                    (o.whenUnmet() == null ? WhenUnmet.SKIP : o.whenUnmet()).sqlValue(),
                    (o.whenExhausted() == null ? WhenExhausted.FAIL : o.whenExhausted()).sqlValue(),
                    o.requiredInputPattern(), o.forbiddenInputPattern(), options.isEmpty() ? null : options, step.subflowSlug()));
        }
        Options options = new Options(flow.maxAttempts(), flow.baseDelay(), flow.timeout(), null);
        return new FlowShape(steps, options.isEmpty() ? null : options);
    }

    /** Reads shape JSON (for example the result of {@code pgflow.get_flow_shape}); missing keys take their defaults. */
    public static FlowShape parse(String json) {
        JsonValue value = JsonCodec.parse(json);
        if (!(value instanceof JsonObject root)) {
            throw new IllegalArgumentException("a flow shape is a JSON object, got " + json);
        }
        List<StepShape> steps = new ArrayList<>();
        for (JsonValue v : root.getJsonArray("steps") == null ? List.<JsonValue>of() : root.getJsonArray("steps")) {
            JsonObject s = v.asJsonObject();
            List<String> deps = s.containsKey("dependencies")
                    ? s.getJsonArray("dependencies").getValuesAs(jakarta.json.JsonString::getString).stream().sorted().toList()
                    : List.of();
            steps.add(new StepShape(s.getString("slug", null), s.getString("stepType", "single"), deps,
                    s.getString("whenUnmet", "skip"), s.getString("whenExhausted", "fail"),
                    pattern(s.get("requiredInputPattern")), pattern(s.get("forbiddenInputPattern")),
                    options(s.get("options")), s.getString("subflowSlug", null)));
        }
        return new FlowShape(steps, options(root.get("options")));
    }

    private static JsonValue pattern(JsonValue wrapper) {
        if (wrapper instanceof JsonObject w && w.getBoolean("defined", false)) {
            return w.get("value");
        }
        return null;
    }

    private static Options options(JsonValue value) {
        if (!(value instanceof JsonObject o)) {
            return null;
        }
        Options options = new Options(integer(o, "maxAttempts"), integer(o, "baseDelay"), integer(o, "timeout"), integer(o, "startDelay"));
        return options.isEmpty() ? null : options;
    }

    private static Integer integer(JsonObject o, String key) {
        return o.containsKey(key) && o.get(key).getValueType() == JsonValue.ValueType.NUMBER ? o.getInt(key) : null;
    }

    /** The shape as JSON, in the form {@code pgflow.ensure_flow_compiled} takes. */
    public JsonObject toJson() {
        JsonArrayBuilder array = Jsonp.createArrayBuilder();
        for (StepShape s : steps) {
            JsonArrayBuilder deps = Jsonp.createArrayBuilder();
            s.dependencies().forEach(deps::add);
            JsonObjectBuilder step = Jsonp.createObjectBuilder()
                    .add("slug", s.slug())
                    .add("stepType", s.stepType())
                    .add("dependencies", deps)
                    .add("whenUnmet", s.whenUnmet())
                    .add("whenExhausted", s.whenExhausted())
                    .add("requiredInputPattern", wrapper(s.requiredInputPattern()))
                    .add("forbiddenInputPattern", wrapper(s.forbiddenInputPattern()));
            if (s.options() != null) {
                step.add("options", options(s.options()));
            }
            if (s.subflowSlug() != null) {
                step.add("subflowSlug", s.subflowSlug());
            }
            array.add(step);
        }
        JsonObjectBuilder root = Jsonp.createObjectBuilder().add("steps", array);
        if (options != null) {
            root.add("options", options(options));
        }
        return root.build();
    }

    private static JsonObject wrapper(JsonValue pattern) {
        return pattern == null ? Jsonp.createObjectBuilder().add("defined", false).build()
                : Jsonp.createObjectBuilder().add("defined", true).add("value", pattern).build();
    }

    private static JsonObjectBuilder options(Options o) {
        JsonObjectBuilder b = Jsonp.createObjectBuilder();
        if (o.maxAttempts() != null) {
            b.add("maxAttempts", o.maxAttempts());
        }
        if (o.baseDelay() != null) {
            b.add("baseDelay", o.baseDelay());
        }
        if (o.timeout() != null) {
            b.add("timeout", o.timeout());
        }
        if (o.startDelay() != null) {
            b.add("startDelay", o.startDelay());
        }
        return b;
    }

    /**
     * The differences between this shape ("first") and {@code other} ("second"), in the words and
     * order of {@code pgflow.compare_flow_shapes(first, second)}; empty when they are equal.
     */
    public List<String> differencesFrom(FlowShape other) {
        List<String> diffs = new ArrayList<>();
        int a = steps.size();
        int b = other.steps.size();
        if (a != b) {
            diffs.add("Step count differs: " + a + " vs " + b);
        }
        for (int i = 0; i < Math.max(a, b); i++) {
            StepShape x = i < a ? steps.get(i) : null;
            StepShape y = i < b ? other.steps.get(i) : null;
            String at = "Step at index " + i + ": ";
            if (x == null) {
                diffs.add(at + "missing in first shape (second has '" + y.slug() + "')");
                continue;
            }
            if (y == null) {
                diffs.add(at + "missing in second shape (first has '" + x.slug() + "')");
                continue;
            }
            if (!Objects.equals(x.slug(), y.slug())) {
                diffs.add(at + "slug differs '" + x.slug() + "' vs '" + y.slug() + "'");
            }
            if (!x.stepType().equals(y.stepType())) {
                diffs.add(at + "type differs '" + x.stepType() + "' vs '" + y.stepType() + "'");
            }
            if (!Objects.equals(x.subflowSlug(), y.subflowSlug())) {
                diffs.add(at + "subflow differs '" + Objects.requireNonNullElse(x.subflowSlug(), "none") + "' vs '"
                        + Objects.requireNonNullElse(y.subflowSlug(), "none") + "'");
            }
            String dx = String.join(", ", x.dependencies().stream().sorted().toList());
            String dy = String.join(", ", y.dependencies().stream().sorted().toList());
            if (!dx.equals(dy)) {
                diffs.add(at + "dependencies differ [" + dx + "] vs [" + dy + "]");
            }
            if (!x.whenUnmet().equals(y.whenUnmet())) {
                diffs.add(at + "whenUnmet differs '" + x.whenUnmet() + "' vs '" + y.whenUnmet() + "'");
            }
            if (!x.whenExhausted().equals(y.whenExhausted())) {
                diffs.add(at + "whenExhausted differs '" + x.whenExhausted() + "' vs '" + y.whenExhausted() + "'");
            }
            String px = describe(x.requiredInputPattern());
            String py = describe(y.requiredInputPattern());
            if (!px.equals(py)) {
                diffs.add(at + "requiredInputPattern differs " + px + " vs " + py);
            }
            px = describe(x.forbiddenInputPattern());
            py = describe(y.forbiddenInputPattern());
            if (!px.equals(py)) {
                diffs.add(at + "forbiddenInputPattern differs " + px + " vs " + py);
            }
        }
        return diffs;
    }

    private static String describe(JsonValue pattern) {
        return pattern == null ? "not defined" : JsonbText.of(pattern);
    }
}
