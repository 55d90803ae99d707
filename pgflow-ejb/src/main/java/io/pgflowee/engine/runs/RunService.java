package io.pgflowee.engine.runs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import io.pgflowee.engine.db.PgflowDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Reads a run for the REST API through {@code get_run_with_states}. Starting and acting on runs
 * goes through {@link io.pgflowee.engine.control.EngineOperations}; listings and details through
 * the read model ({@code io.pgflowee.engine.query}).
 */
@ApplicationScoped
public class RunService {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    /** {@code get_run_with_states}, or empty for an unknown run. */
    public Optional<String> get(UUID runId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select pgflow.get_run_with_states(?)::text")) {
            ps.setObject(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Optional.ofNullable(rs.getString(1));
            }
        }
    }
}
