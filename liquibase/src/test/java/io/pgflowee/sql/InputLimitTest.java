package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * The run input limit ({@code pgflow.max_input_bytes}, default 16 MiB, as stored): enforced by
 * start_flow and start_flows where the input enters, with SQLSTATE 54000 naming the flow, the item,
 * the size, the limit and how to change it; nothing is started. A 10 MiB input is under the default.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class InputLimitTest {

    private static final String FLOW = "input_limit";

    @BeforeAll
    static void flow() {
        Db db = new Db(PgflowDatabaseExtension.dataSource());
        db.exec("SELECT pgflow.delete_flow_and_data(?)", FLOW);
        db.exec("SELECT pgflow.create_flow(?)", FLOW);
        db.exec("SELECT pgflow.add_step(?, 'only')", FLOW);
    }

    private static long runs(DataSource ds) {
        return new Db(ds).<Long>one("SELECT count(*) FROM pgflow.runs WHERE flow_slug = ?", FLOW);
    }

    @Test
    void aTenMebibyteInputStartsUnderTheDefaultLimit(DataSource ds) throws SQLException {
        long before = runs(ds);
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT status, octet_length(input::text) FROM pgflow.start_flow(?,"
                        + " jsonb_build_object('blob', repeat('x', 10 * 1024 * 1024)))")) {
            ps.setString(1, FLOW);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("started");
                assertThat(rs.getInt(2)).isGreaterThan(10 * 1024 * 1024);
            }
        }
        assertThat(runs(ds)).isEqualTo(before + 1);
    }

    @Test
    void anInputOverTheLimitIsRefusedNamingTheLimitAndTheSettingAndStartsNothing(DataSource ds) throws SQLException {
        long before = runs(ds);
        try (Connection c = PgflowDatabaseExtension.newConnection(); Statement s = c.createStatement()) {
            s.execute("SET pgflow.max_input_bytes = 1000");
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM pgflow.start_flow('" + FLOW + "',"
                    + " jsonb_build_object('blob', repeat('x', 2000)))"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("54000");
                        assertThat(e.getMessage()).startsWith("ERROR: Flow \"input_limit\": the run input is 2012 bytes of JSON, over the"
                                + " limit of 1000 bytes (pgflow.max_input_bytes)\n  Hint: Keep large data outside the run and pass a"
                                + " reference to it (a file, an object store, a table), or raise the limit: ALTER DATABASE <database>"
                                + " SET pgflow.max_input_bytes = <bytes>");
                    });
            // start_flows names the item; none of the batch is started
            assertThatThrownBy(() -> s.executeQuery("SELECT * FROM pgflow.start_flows('" + FLOW + "', ARRAY['{}'::jsonb,"
                    + " jsonb_build_object('blob', repeat('x', 2000)), '{}'::jsonb])"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("54000");
                        assertThat(e.getMessage()).startsWith("ERROR: Flow \"input_limit\": the run input of item 2 is 2012 bytes of JSON, over"
                                + " the limit of 1000 bytes (pgflow.max_input_bytes)");
                    });
            // under the limit in the same session: started
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pgflow.start_flows('" + FLOW + "', ARRAY['{}'::jsonb, '{}'::jsonb])")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
        }
        assertThat(runs(ds)).isEqualTo(before + 2);
    }
}
