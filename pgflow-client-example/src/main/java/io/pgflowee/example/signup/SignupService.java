package io.pgflowee.example.signup;

import io.pgflowee.client.Pgflow;
import io.pgflowee.client.RunHandle;
import io.pgflowee.client.StartOptions;
import io.pgflowee.examples.GreetUser;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;

/**
 * A user's EJB: a signup is a row of the application's own table and a {@code greet_user} run,
 * written in one transaction. If anything fails before the commit, neither exists; once it
 * commits, both do (no outbox table, no relay: the run is the outbox). The application's table
 * lives in the same database, written through pgflow's data source ({@code java:app/jdbc/pgflow}),
 * so one local transaction holds both; a table in another database needs an XA data source.
 */
@Stateless
public class SignupService {

    @Inject
    Pgflow pgflow;

    @Resource(lookup = "java:app/jdbc/pgflow")
    DataSource db;

    /** The application's own schema (in a real application: its own Liquibase or Flyway changelog). */
    static final String SCHEMA = "CREATE SCHEMA IF NOT EXISTS signup_example;"
            + " CREATE TABLE IF NOT EXISTS signup_example.signups (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            + " email text NOT NULL UNIQUE, first_name text NOT NULL, last_name text NOT NULL, greeting_run uuid NOT NULL)";

    /** Creates the application's table when it is missing. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public void createSchema() throws SQLException {
        try (Connection c = db.getConnection(); Statement st = c.createStatement()) {
            st.execute(SCHEMA);
        }
    }

    /**
     * Records the signup and starts its greeting, in the caller's transaction or a new one
     * (REQUIRED): both commit or neither does. The run's idempotency key is the e-mail address, so
     * a repeated signup neither starts a second greeting nor adds a row (the unique e-mail refuses it).
     *
     * @return the greeting run's id
     */
    public UUID register(String email, String firstName, String lastName) throws SQLException {
        RunHandle<GreetUser.Output> run = pgflow.start(GreetUser.class, new GreetUser.Input(firstName, lastName),
                StartOptions.idempotencyKey("signup:" + email));
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO signup_example.signups (email, first_name, last_name, greeting_run) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, email);
            ps.setString(2, firstName);
            ps.setString(3, lastName);
            ps.setObject(4, run.runId());
            ps.executeUpdate();
        }
        return run.runId();
    }

    /** The signup's greeting run, if the signup exists. */
    @TransactionAttribute(TransactionAttributeType.SUPPORTS)
    public java.util.Optional<UUID> greetingRun(String email) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT greeting_run FROM signup_example.signups WHERE email = ?")) {
            ps.setString(1, email);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.Optional.of(rs.getObject(1, UUID.class)) : java.util.Optional.empty();
            }
        }
    }

    /**
     * Waits for the greeting of a committed signup (outside any transaction: awaiting inside the
     * transaction that started the run would wait for ever, and the client refuses it).
     */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public String greeting(UUID run, Duration timeout) {
        return pgflow.find(run, GreetUser.class).await(timeout).greeting();
    }
}
