package io.pgflowee.engine.db;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The one place that reads the database settings ({@code pgflow.db.url}, {@code pgflow.db.user},
 * {@code pgflow.db.password}; environment {@code PGFLOW_DB_URL}, ...). The data source itself
 * ({@link PgflowDataSource}) takes the same keys through {@code ${MPCONFIG=...}}. The password is
 * never logged: messages name the database by {@link DatabaseProblems#where(String)}.
 */
@ApplicationScoped
public class DatabaseSettings {

    @Inject
    @ConfigProperty(name = "pgflow.db.url")
    String url;

    @Inject
    @ConfigProperty(name = "pgflow.db.user")
    String user;

    @Inject
    @ConfigProperty(name = "pgflow.db.password")
    String password;

    public String url() {
        return url;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }
}
