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
 * Reads runs and flows for the REST API, each through one pgflow SQL function or query. Starting
 * and acting on runs goes through {@link io.pgflowee.engine.control.EngineOperations}.
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

    /**
     * Every flow in the database with its options, operator settings ({@code pausedAt} and
     * {@code maxRunning}, null when unset) and steps (in step order), as a JSON array.
     */
    public String flows() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     select coalesce(jsonb_agg(jsonb_build_object(
                              'slug', f.flow_slug, 'maxAttempts', f.opt_max_attempts, 'baseDelay', f.opt_base_delay,
                              'timeout', f.opt_timeout, 'createdAt', f.created_at,
                              'pausedAt', f.paused_at, 'maxRunning', f.max_running,
                              'steps', (select coalesce(jsonb_agg(jsonb_build_object(
                                           'slug', s.step_slug, 'index', s.step_index, 'type', s.step_type,
                                           'dependencies', (select coalesce(jsonb_agg(d.dep_slug order by d.dep_slug), '[]'::jsonb)
                                                            from pgflow.deps d
                                                            where d.flow_slug = s.flow_slug and d.step_slug = s.step_slug),
                                           'maxAttempts', s.opt_max_attempts, 'baseDelay', s.opt_base_delay,
                                           'timeout', s.opt_timeout, 'startDelay', s.opt_start_delay,
                                           'whenUnmet', s.when_unmet, 'whenExhausted', s.when_exhausted,
                                           'if', s.required_input_pattern, 'ifNot', s.forbidden_input_pattern)
                                         order by s.step_index), '[]'::jsonb)
                                        from pgflow.steps s where s.flow_slug = f.flow_slug))
                            order by f.flow_slug), '[]'::jsonb)::text
                     from pgflow.flows f""")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
