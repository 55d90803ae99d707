package io.pgflowee.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

/**
 * In development, a flow whose shape changed (a step added, removed, renamed, rewired) replaces the
 * old one in the database before the reload deploys it, as pgflow's {@code ensure_flow_compiled}
 * does on a local database: flows are immutable once applied, and a developer editing one expects
 * the edit to run, not a mismatch. On only while {@code ./pgflow} reloads on change, by default with
 * the embedded database only ({@code PGFLOW_REPLACE_CHANGED_FLOWS}).
 *
 * <p>A flow with runs in flight is never replaced (its runs would be lost): the launcher says so
 * and the server reports the flow as differing from the database, with the fix, as it always does.
 * A changed option (retries, delays, timeout) is not a changed shape: the flow stays, and its
 * options in the database are set to the code's (which {@code create_flow} never does for a flow
 * that exists).
 */
final class DevFlows {

    private static final String PRECONDITION = "--precondition-sql-check expectedResult:0 ";
    private static final java.util.regex.Pattern SHAPE =
            java.util.regex.Pattern.compile("verify_compiled_flow\\('(?:[^']|'')*',\\s*'((?:[^']|'')*)'::jsonb\\)");

    private final String url;
    private final String user;
    private final String password;
    private final Path changelogs;
    private final PrintStream out;

    DevFlows(String url, String user, String password, Path changelogs, PrintStream out) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.changelogs = changelogs;
        this.out = out;
    }

    /** Replaces each of these flows (by slug) whose compiled shape differs from the database's and that has no run in flight. */
    void replaceChanged(List<String> slugs) {
        if (slugs.isEmpty()) {
            return;
        }
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5");
        props.setProperty("ApplicationName", "pgflow launcher (replace changed flows)");
        try (Connection c = DriverManager.getConnection(url, props)) {
            if (longValue(c, "select count(*) from pg_catalog.pg_namespace n join pg_catalog.pg_class t on t.relnamespace = n.oid"
                    + " where n.nspname = 'pgflow' and t.relname = 'flows'", null) == 0) {
                return; // a new database: the server creates the schema and every flow
            }
            for (String slug : slugs) {
                Optional<String> check = shapeCheck(changelogs.resolve(slug + ".sql"));
                if (check.isEmpty()) {
                    continue; // removed, or not a compiled flow
                }
                if (!differs(c, check.get())) { // not in the database yet, or the same shape: its options may have changed
                    int updated = updateOptions(c, slug, check.get());
                    if (updated > 0) {
                        out.println("pgflow: flow '" + slug + "' options changed: set them in the development database as the code"
                                + " has them (" + updated + " row" + (updated == 1 ? "" : "s") + ")");
                    }
                    continue;
                }
                long inFlight = longValue(c, "select count(*) from pgflow.runs where flow_slug = ? and status = 'started'", slug);
                if (inFlight > 0) {
                    out.println("pgflow: flow '" + slug + "' changed shape while " + inFlight + " of its runs are in flight:"
                            + " not replaced, so it does not run until they end and you replace it"
                            + " (SELECT pgflow.delete_flow_and_data('" + slug + "'), which deletes its runs) or give it a new slug");
                    continue;
                }
                long runs = longValue(c, "select count(*) from pgflow.runs where flow_slug = ?", slug);
                try (PreparedStatement ps = c.prepareStatement("select pgflow.delete_flow_and_data(?)")) {
                    ps.setString(1, slug);
                    ps.execute();
                }
                out.println("pgflow: flow '" + slug + "' changed shape: replaced it in the development database"
                        + (runs == 0 ? "" : " (its " + runs + " finished run" + (runs == 1 ? "" : "s") + " deleted)")
                        + "; PGFLOW_REPLACE_CHANGED_FLOWS=false keeps changed flows instead");
            }
        } catch (SQLException e) {
            out.println("pgflow: could not check changed flows against the database (" + e.getMessage().lines().findFirst().orElse("")
                    + "); the server reports a flow that differs");
        }
    }

    /** Every compiled flow in the changelog directory ({@code <slug>.sql}), by slug. */
    List<String> compiledFlows() {
        try (var files = Files.list(changelogs)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".sql")).sorted()
                    .map(n -> n.substring(0, n.length() - 4)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The compiled changelog's shape check ({@code select pgflow.verify_compiled_flow(...)}), when it has one. */
    static Optional<String> shapeCheck(Path changelog) {
        try {
            if (!Files.isRegularFile(changelog)) {
                return Optional.empty();
            }
            return Files.readAllLines(changelog).stream().filter(l -> l.startsWith(PRECONDITION))
                    .map(l -> l.substring(PRECONDITION.length()).strip())
                    .filter(sql -> sql.regionMatches(true, 0, "SELECT pgflow.verify_compiled_flow(", 0, 35)).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Sets the flow's and its steps' options (retries, delays, timeouts) to the compiled shape's, where
     * they differ: {@code create_flow} and {@code add_step} never change an existing flow's options
     * (they are tuned at run time in production), but in development the code is the truth. Returns
     * the rows changed (0 for a flow not in the database).
     */
    static int updateOptions(Connection c, String slug, String check) throws SQLException {
        Optional<JsonObject> shape = shape(check);
        if (shape.isEmpty()) {
            return 0;
        }
        JsonObject flowOptions = object(shape.get(), "options");
        int updated;
        try (PreparedStatement ps = c.prepareStatement("update pgflow.flows set opt_max_attempts = ?, opt_base_delay = ?,"
                + " opt_timeout = ? where flow_slug = ? and (opt_max_attempts, opt_base_delay, opt_timeout)"
                + " is distinct from (?, ?, ?)")) {
            int[] values = {integer(flowOptions, "maxAttempts", 3), integer(flowOptions, "baseDelay", 5), integer(flowOptions, "timeout", 60)};
            for (int i = 0; i < 3; i++) {
                ps.setInt(i + 1, values[i]);
                ps.setInt(i + 5, values[i]);
            }
            ps.setString(4, slug);
            updated = ps.executeUpdate();
        }
        JsonValue steps = shape.get().get("steps");
        if (steps == null || steps.getValueType() != JsonValue.ValueType.ARRAY) {
            return updated;
        }
        try (PreparedStatement ps = c.prepareStatement("update pgflow.steps set opt_max_attempts = ?, opt_base_delay = ?,"
                + " opt_timeout = ?, opt_start_delay = ? where flow_slug = ? and step_slug = ?"
                + " and (opt_max_attempts, opt_base_delay, opt_timeout, opt_start_delay) is distinct from (?, ?, ?, ?)")) {
            for (JsonValue step : steps.asJsonArray()) {
                if (step.getValueType() != JsonValue.ValueType.OBJECT) {
                    continue;
                }
                JsonObject options = object(step.asJsonObject(), "options");
                Integer[] values = {nullable(options, "maxAttempts"), nullable(options, "baseDelay"), nullable(options, "timeout"),
                    nullable(options, "startDelay")};
                for (int i = 0; i < 4; i++) {
                    ps.setObject(i + 1, values[i], java.sql.Types.INTEGER);
                    ps.setObject(i + 7, values[i], java.sql.Types.INTEGER);
                }
                ps.setString(5, slug);
                ps.setString(6, step.asJsonObject().getString("slug", ""));
                updated += ps.executeUpdate();
            }
        }
        return updated;
    }

    /** The shape JSON of a changelog's check ({@code verify_compiled_flow('slug', '<json>'::jsonb)}). */
    static Optional<JsonObject> shape(String check) {
        java.util.regex.Matcher m = SHAPE.matcher(check);
        if (!m.find()) {
            return Optional.empty();
        }
        try (var reader = jakarta.json.Json.createReader(new java.io.StringReader(m.group(1).replace("''", "'")))) {
            return Optional.of(reader.readObject());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static JsonObject object(JsonObject parent, String name) {
        JsonValue v = parent.get(name);
        return v != null && v.getValueType() == JsonValue.ValueType.OBJECT ? v.asJsonObject() : JsonValue.EMPTY_JSON_OBJECT;
    }

    private static int integer(JsonObject o, String name, int fallback) {
        Integer v = nullable(o, name);
        return v == null ? fallback : v;
    }

    private static Integer nullable(JsonObject o, String name) {
        JsonValue v = o.get(name);
        return v instanceof JsonNumber n ? n.intValue() : null;
    }

    /**
     * Whether the changelog's shape check fails: {@code verify_compiled_flow} returns 0 for an absent
     * flow or the same shape, and raises {@code check_violation} (23514) for a different one.
     */
    private static boolean differs(Connection c, String check) throws SQLException {
        try {
            return longValue(c, check, null) != 0;
        } catch (SQLException e) {
            if ("23514".equals(e.getSQLState())) {
                return true;
            }
            throw e;
        }
    }

    private static long longValue(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (parameter != null) {
                ps.setString(1, parameter);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
