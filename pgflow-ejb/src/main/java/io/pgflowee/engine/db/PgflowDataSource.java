package io.pgflowee.engine.db;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.Singleton;

/**
 * Declares {@value #JNDI_NAME}, the one data source of the engine, from MicroProfile Config
 * ({@code pgflow.db.url}, {@code pgflow.db.user}, {@code pgflow.db.password}; environment
 * {@code PGFLOW_DB_URL}, ...). The PostgreSQL driver ships inside the application, so the same
 * declaration works on Payara Micro (WAR) and Payara Server (EAR) without server configuration.
 */
@DataSourceDefinition(
        name = PgflowDataSource.JNDI_NAME,
        className = "org.postgresql.ds.PGSimpleDataSource",
        url = "${MPCONFIG=pgflow.db.url}",
        user = "${MPCONFIG=pgflow.db.user}",
        password = "${MPCONFIG=pgflow.db.password}",
        minPoolSize = 2,
        maxPoolSize = 32, // fixed: the annotation takes no MicroProfile Config expression for it
        properties = {
            "fish.payara.is-connection-validation-required=true",
            "fish.payara.connection-validation-method=custom-validation",
            "fish.payara.validation-classname=org.glassfish.api.jdbc.validation.PostgresConnectionValidation",
            "fish.payara.fail-all-connections=true",
            // validating every checkout doubled the round trips of every read (measured: docs/performance.md);
            // a connection is validated at most every 2 s (at most 16 validations a second for the whole
            // pool), and fail-all-connections drops the pool after a restart: a database restart costs
            // at most 2 s of errors from connections that died with it (ChaosIT; it was 10 s, which
            // kept readiness DOWN for up to 10 s after the database was back)
            "fish.payara.validate-atmost-once-period-in-seconds=2",
            "ApplicationName=pgflow"
        })
@Singleton
public class PgflowDataSource {

    /** JNDI name of the engine's data source. */
    public static final String JNDI_NAME = "java:app/jdbc/pgflow";
}
