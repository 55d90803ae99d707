package io.pgflowee.engine.db;

import org.eclipse.persistence.config.SessionCustomizer;
import org.eclipse.persistence.sessions.DatabaseLogin;
import org.eclipse.persistence.sessions.Session;

/**
 * How the read model (JPA) retries a read that failed on a broken connection. EclipseLink retries a
 * read outside a transaction after a communication failure, by default 3 times with 5 s between
 * attempts: during a database restart an API request then waited up to 15 s (12 s measured in
 * ChaosIT) before it could answer. Here: one retry, at once. It succeeds when only the pooled
 * connection was stale (the database is back; the pool hands out a new one), and otherwise the
 * request fails within milliseconds and the API answers 503 ("Database unavailable").
 */
public class ReadRetries implements SessionCustomizer {

    /** Retries of a read after a communication failure. */
    static final int ATTEMPTS = 1;

    @Override
    public void customize(Session session) {
        DatabaseLogin login = session.getLogin();
        login.setQueryRetryAttemptCount(ATTEMPTS);
        login.setDelayBetweenConnectionAttempts(0);
    }
}
