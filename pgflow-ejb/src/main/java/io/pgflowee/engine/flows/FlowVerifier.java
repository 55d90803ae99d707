package io.pgflowee.engine.flows;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.shape.FlowShape;

/**
 * Compares one Java flow with the database, with {@code pgflow.ensure_flow_compiled} semantics
 * but never destroying data: a missing flow is created only when auto-compilation is on, a flow
 * that differs is reported with each difference (the database's own wording) and left alone.
 */
public final class FlowVerifier {

    private FlowVerifier() {
    }

    private static final io.pgflowee.api.json.JsonCodec CODEC = io.pgflowee.api.json.JsonCodec.create();

    /**
     * Checks {@code flow} against the database behind {@code connection} (autocommit), and, for a
     * flow that runs, its declared schedules: with auto-compilation on they are applied first
     * ({@code pgflow.apply_flow_schedules}, as the compiled changelog does), then each way the
     * database's differ is reported ({@link FlowStatus#scheduleDifferences()}).
     */
    public static FlowStatus verify(Connection connection, Flow<?> flow, boolean autoCompile) throws SQLException {
        FlowStatus status = verifyShape(connection, flow, autoCompile);
        if (!status.runnable() || flow.schedules().isEmpty()) {
            return status;
        }
        jakarta.json.JsonArray declared = io.pgflowee.api.shape.ScheduleDeclarations.of(flow, CODEC);
        try {
            if (autoCompile) {
                try (PreparedStatement ps = connection.prepareStatement("select count(*) from pgflow.apply_flow_schedules(?, ?::jsonb)")) {
                    ps.setString(1, flow.slug());
                    ps.setString(2, declared.toString());
                    ps.executeQuery().close();
                }
            }
            return status.withScheduleDifferences(scheduleDifferences(connection, flow, declared));
        } catch (SQLException e) {
            return status.withScheduleDifferences(List.of("schedules not compared with the database: " + e.getMessage()));
        }
    }

    /**
     * How the database's schedules differ from those {@code flow} declares, now (one read): for the
     * startup check and for pages that show it after an operator's change at run time.
     */
    public static List<String> scheduleDifferences(Connection connection, Flow<?> flow) throws SQLException {
        return flow.schedules().isEmpty() ? List.of()
                : scheduleDifferences(connection, flow, io.pgflowee.api.shape.ScheduleDeclarations.of(flow, CODEC));
    }

    private static List<String> scheduleDifferences(Connection connection, Flow<?> flow, jakarta.json.JsonArray declared) throws SQLException {
        java.util.Map<String, io.pgflowee.api.shape.ScheduleDeclarations.Stored> stored = new java.util.HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("select schedule_name, flow_slug, cron, input::text, time_zone, catch_up"
                + " from pgflow_internal.schedules where schedule_name = any (?)")) {
            ps.setArray(1, connection.createArrayOf("text", flow.schedules().stream().map(io.pgflowee.api.flow.Schedule::name).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getString(1), new io.pgflowee.api.shape.ScheduleDeclarations.Stored(rs.getString(1), rs.getString(2),
                            rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6)));
                }
            }
        }
        return io.pgflowee.api.shape.ScheduleDeclarations.differences(flow.slug(), declared, stored);
    }

    private static FlowStatus verifyShape(Connection connection, Flow<?> flow, boolean autoCompile) throws SQLException {
        String shape = FlowShape.of(flow).toJson().toString();
        boolean exists;
        try (PreparedStatement ps = connection.prepareStatement("select exists (select 1 from pgflow.flows where flow_slug = ?)")) {
            ps.setString(1, flow.slug());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                exists = rs.getBoolean(1);
            }
        }
        if (!exists && !autoCompile) {
            return new FlowStatus(flow.slug(), FlowStatus.State.MISSING, List.of(), "flow '" + flow.slug()
                    + "' is not in the database, so it will not run: apply its compiled changelog liquibase/flows/"
                    + flow.slug() + ".sql (compile it first, README \"Write a flow\"), or set pgflow.flows.autoCompile=true in development");
        }
        // autoCompile creates a missing flow (ensure_flow_compiled, the schema owner's); otherwise the
        // check only reads, so a server whose database role is pgflow_worker or pgflow_operator can run it
        String sql = exists
                ? "select case when cardinality(d) = 0 then 'verified' else 'mismatch' end, d"
                        + " from (select pgflow.compare_flow_shapes(?::jsonb, pgflow.get_flow_shape(?)) as d) r"
                : "with r as (select pgflow.ensure_flow_compiled(?, ?::jsonb, false) as j)"
                        + " select j->>'status', array(select jsonb_array_elements_text(j->'differences')) from r";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(exists ? 2 : 1, flow.slug());
            ps.setString(exists ? 1 : 2, shape);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String status = rs.getString(1);
                Array diffs = rs.getArray(2);
                List<String> differences = Arrays.asList((String[]) diffs.getArray());
                return switch (status) {
                    case "compiled" -> new FlowStatus(flow.slug(), FlowStatus.State.COMPILED, List.of(), "flow '" + flow.slug()
                            + "' was missing and was created from its Java definition (pgflow.flows.autoCompile=true)");
                    case "verified" -> new FlowStatus(flow.slug(), FlowStatus.State.VERIFIED, List.of(), "flow '" + flow.slug()
                            + "' matches the database (" + flow.steps().size() + " steps)");
                    default -> new FlowStatus(flow.slug(), FlowStatus.State.MISMATCH, differences, "flow '" + flow.slug()
                            + "' differs from the flow in the database and will not run (first = Java, second = database): "
                            + String.join("; ", differences) + ". Flows are immutable once applied: give the changed flow a new slug "
                            + "(for example " + flow.slug() + "_v2), or in development delete the old one with "
                            + "SELECT pgflow.delete_flow_and_data('" + flow.slug() + "'): the server checks again within 10 s, no restart needed");
                };
            }
        }
    }
}
