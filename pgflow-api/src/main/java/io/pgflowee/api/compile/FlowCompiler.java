package io.pgflowee.api.compile;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.StepOptions;
import io.pgflowee.api.flow.StepType;
import io.pgflowee.api.shape.FlowShape;
import io.pgflowee.api.shape.ScheduleDeclarations;

/**
 * Turns a flow into SQL: the {@code pgflow.create_flow} / {@code pgflow.add_step} calls, and the
 * Liquibase formatted-SQL changelog {@code liquibase/flows/<slug>.sql} that applies them.
 *
 * <p>The changeset runs on every migration ({@code runAlways}) behind a precondition,
 * {@code pgflow.verify_compiled_flow}, that compares the flow already in the database with the
 * compiled shape: an absent flow is created, an identical one is left as it is (the calls are
 * idempotent), and a flow whose structure changed stops the migration with a message that names
 * each difference and points to versioning (a new slug) or to {@code pgflow.delete_flow_and_data}.
 * Its last statement applies the flow's declared schedules ({@code pgflow.apply_flow_schedules},
 * which acts on changes of the declaration only).
 */
public final class FlowCompiler {

    /** The Liquibase author of every compiled changeset. */
    public static final String AUTHOR = "pgflow-flows";

    private FlowCompiler() {
    }

    /** The SQL statements that define {@code flow}, in the reference's order and form. */
    public static List<String> statements(Flow<?> flow) {
        flow.validate();
        List<String> sql = new ArrayList<>();
        StringBuilder create = new StringBuilder("SELECT pgflow.create_flow(").append(quote(flow.slug()));
        option(create, "max_attempts", flow.maxAttempts());
        option(create, "base_delay", flow.baseDelay());
        option(create, "timeout", flow.timeout());
        sql.add(create.append(");").toString());
        for (Step<?> step : flow.steps()) {
            StringBuilder add = new StringBuilder("SELECT pgflow.add_step(")
                    .append(quote(flow.slug())).append(", ").append(quote(step.slug()));
            if (!step.dependencies().isEmpty()) {
                add.append(", ARRAY[").append(String.join(", ", step.dependencySlugs().stream().map(FlowCompiler::quote).toList()))
                        .append(']');
            }
            StepOptions o = step.options();
            option(add, "max_attempts", o.maxAttempts());
            option(add, "base_delay", o.baseDelay());
            option(add, "timeout", o.timeout());
            option(add, "start_delay", o.startDelay());
            if (o.requiredInputPattern() != null) {
                add.append(", required_input_pattern => ").append(quote(o.requiredInputPattern().toString()));
            }
            if (o.forbiddenInputPattern() != null) {
                add.append(", forbidden_input_pattern => ").append(quote(o.forbiddenInputPattern().toString()));
            }
            if (o.whenUnmet() != null) {
                add.append(", when_unmet => ").append(quote(o.whenUnmet().sqlValue()));
            }
            if (o.whenExhausted() != null) {
                add.append(", when_exhausted => ").append(quote(o.whenExhausted().sqlValue()));
            }
            if (step.stepType() != StepType.SINGLE) {
                add.append(", step_type => ").append(quote(step.stepType().sqlValue()));
            }
            if (step.stepType().isSubflow()) {
                add.append(", subflow_slug => ").append(quote(step.subflowSlug()));
            }
            sql.add(add.append(");").toString());
        }
        return sql;
    }

    /**
     * The statement that applies the flow's declared schedules ({@code pgflow.apply_flow_schedules},
     * also with none: a schedule removed from the definition is deleted), inputs encoded with JSON-B.
     */
    public static String scheduleStatement(Flow<?> flow) {
        // JSON-B only for a flow that has schedules: a flow module without any needs no implementation on its classpath
        String declared = flow.schedules().isEmpty() ? "[]" : ScheduleDeclarations.of(flow, Codec.INSTANCE).toString();
        return "SELECT count(*) FROM pgflow.apply_flow_schedules(" + quote(flow.slug()) + ", " + quote(declared) + "::jsonb);";
    }

    /** The JSON-B codec for declared schedules' inputs, made on first use. */
    private static final class Codec {
        static final io.pgflowee.api.json.JsonCodec INSTANCE = io.pgflowee.api.json.JsonCodec.create();
    }

    /** The changelog file {@code <slug>.sql} for {@code flow}. */
    public static String changelog(Flow<?> flow) {
        List<String> statements = new ArrayList<>(statements(flow));
        statements.add(scheduleStatement(flow));
        String shape = FlowShape.of(flow).toJson().toString();
        StringBuilder out = new StringBuilder();
        out.append("--liquibase formatted sql\n\n");
        out.append("--changeset ").append(AUTHOR).append(':').append(flow.slug()).append(" runAlways:true runOnChange:true\n");
        out.append("--comment: flow ").append(flow.slug())
                .append(", compiled by the pgflow flow compiler from its Java definition. Do not edit: change the flow in Java and recompile.\n");
        out.append("--preconditions onFail:HALT onError:HALT\n");
        out.append("--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow(")
                .append(quote(flow.slug())).append(", ").append(quote(shape)).append("::jsonb)\n");
        statements.forEach(s -> out.append(s).append('\n'));
        return out.toString();
    }

    /** The master changelog of the flows directory: one include per flow file, sorted by name. */
    public static String masterChangelog(Collection<String> flowFileNames) {
        return masterChangelog(flowFileNames, Map.of());
    }

    /**
     * The master changelog of the flows directory: one include per flow file, a file after the files
     * of the flows its subflow steps start ({@code pgflow.add_step} needs the child flow), otherwise
     * sorted by name. {@code changelogs} holds the text of the files to read those references from
     * (file name to text; a file without text starts nothing).
     *
     * @throws IllegalArgumentException when flows start each other in a cycle (only a flow that
     *         starts itself can be applied: each changelog needs the flows it starts to exist)
     */
    public static String masterChangelog(Collection<String> flowFileNames, Map<String, String> changelogs) {
        List<String> ordered = dependencyOrder(flowFileNames, changelogs);
        StringBuilder out = new StringBuilder();
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.append("<!-- Generated by the pgflow flow compiler: one include per compiled flow, sorted by file name, a flow after the flows it starts as subflows. -->\n");
        out.append("<databaseChangeLog\n");
        out.append("    xmlns=\"http://www.liquibase.org/xml/ns/dbchangelog\"\n");
        out.append("    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n");
        out.append("    xsi:schemaLocation=\"http://www.liquibase.org/xml/ns/dbchangelog\n");
        out.append("        http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.33.xsd\">\n");
        ordered.forEach(name ->
                out.append("  <include file=\"").append(name).append("\" relativeToChangelogFile=\"true\"/>\n"));
        out.append("</databaseChangeLog>\n");
        return out.toString();
    }

    private static final Pattern SUBFLOW = Pattern.compile("subflow_slug => '([A-Za-z0-9_]+)'");

    /** The flow slugs that the subflow steps of a compiled changelog start. */
    static Set<String> subflowsOf(String changelog) {
        Set<String> slugs = new TreeSet<>();
        Matcher m = SUBFLOW.matcher(changelog == null ? "" : changelog);
        while (m.find()) {
            slugs.add(m.group(1));
        }
        return slugs;
    }

    private static List<String> dependencyOrder(Collection<String> names, Map<String, String> changelogs) {
        TreeSet<String> pending = new TreeSet<>(names);
        List<String> ordered = new ArrayList<>();
        while (!pending.isEmpty()) {
            String next = pending.stream().filter(name -> subflowsOf(changelogs.get(name)).stream()
                    .map(slug -> slug + ".sql").noneMatch(file -> !file.equals(name) && pending.contains(file)))
                    .findFirst().orElse(null);
            if (next == null) {
                throw new IllegalArgumentException("the flows " + String.join(", ", pending.stream().map(n -> n.replace(".sql", "")).toList())
                        + " start each other as subflows in a cycle; only a flow that starts itself can be applied"
                        + " (each flow's changelog needs the flows it starts to exist): break the cycle");
            }
            pending.remove(next);
            ordered.add(next);
        }
        return ordered;
    }

    private static void option(StringBuilder sql, String name, Integer value) {
        if (value != null) {
            sql.append(", ").append(name).append(" => ").append(value);
        }
    }

    /** A SQL string literal: single quotes doubled. */
    static String quote(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
