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

    /** Checks {@code flow} against the database behind {@code connection} (autocommit). */
    public static FlowStatus verify(Connection connection, Flow<?> flow, boolean autoCompile) throws SQLException {
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
