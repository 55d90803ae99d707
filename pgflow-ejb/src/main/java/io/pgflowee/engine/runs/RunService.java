package io.pgflowee.engine.runs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import io.pgflowee.engine.db.PgflowDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Starts and reads runs for the REST API, each through one pgflow SQL function (one transaction:
 * a rejected start leaves nothing behind).
 */
@ApplicationScoped
public class RunService {

    /** Why the engine refused a request, mapped to an HTTP status by the API. */
    public enum Refusal { UNKNOWN_FLOW, DUPLICATE_RUN, REJECTED_INPUT }

    /** The engine refused: the message is the database's, naming the flow or run. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final Refusal refusal;
        private final String hint;

        RefusedException(Refusal refusal, String message, String hint) {
            super(message);
            this.refusal = refusal;
            this.hint = hint;
        }

        public Refusal refusal() {
            return refusal;
        }

        public String hint() {
            return hint;
        }
    }

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    /** {@code start_flow_with_states}: the new run with its step states, as JSON text. */
    public String start(String flowSlug, String inputJson, UUID runId) throws SQLException, RefusedException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select pgflow.start_flow_with_states(?, ?::jsonb, ?)::text")) {
            ps.setString(1, flowSlug);
            ps.setString(2, inputJson);
            ps.setObject(3, runId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        } catch (PSQLException e) {
            ServerErrorMessage server = e.getServerErrorMessage();
            String state = e.getSQLState();
            String message = server != null && server.getMessage() != null ? server.getMessage() : e.getMessage();
            String hint = server == null ? null : server.getHint();
            if ("23503".equals(state)) {
                throw new RefusedException(Refusal.UNKNOWN_FLOW, message, hint);
            }
            if ("23505".equals(state)) {
                throw new RefusedException(Refusal.DUPLICATE_RUN, message, hint);
            }
            if (state != null && (state.startsWith("P0") || state.startsWith("22") || state.startsWith("23"))) {
                throw new RefusedException(Refusal.REJECTED_INPUT, message, hint);
            }
            throw e;
        }
    }

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

    /** Every flow in the database with its options and steps (in step order), as a JSON array. */
    public String flows() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     select coalesce(jsonb_agg(jsonb_build_object(
                              'slug', f.flow_slug, 'maxAttempts', f.opt_max_attempts, 'baseDelay', f.opt_base_delay,
                              'timeout', f.opt_timeout, 'createdAt', f.created_at,
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
