package io.pgflowee.engine.db;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.annotation.sql.DataSourceDefinitions;
import jakarta.ejb.Singleton;

/**
 * Declares {@value #JNDI_NAME}, the engine's data source, and {@value #WORKERS_JNDI_NAME}, the
 * workers' pool on the same database, from MicroProfile Config
 * ({@code pgflow.db.url}, {@code pgflow.db.user}, {@code pgflow.db.password}; environment
 * {@code PGFLOW_DB_URL}, ...). The PostgreSQL driver ships inside the application, so the same
 * declaration works on Payara Micro (WAR) and Payara Server (EAR) without server configuration.
 */
@DataSourceDefinitions({
    @DataSourceDefinition(
        name = PgflowDataSource.JNDI_NAME,
        className = "org.postgresql.ds.PGSimpleDataSource",
        url = "${MPCONFIG=pgflow.db.url}",
        user = "${MPCONFIG=pgflow.db.user}",
        password = "${MPCONFIG=pgflow.db.password}",
        minPoolSize = 2,
        maxPoolSize = 32, // fixed: the annotation takes no MicroProfile Config expression for it
        properties = {PgflowDataSource.VALIDATION, PgflowDataSource.VALIDATION_METHOD, PgflowDataSource.VALIDATION_CLASS,
            PgflowDataSource.FAIL_ALL, PgflowDataSource.VALIDATION_PERIOD, "ApplicationName=pgflow"}),
    // the workers' own pool: a burst of API requests that takes every connection of the main pool
    // must not make claims and completions wait behind it (measured: BurstBenchmark,
    // docs/performance.md); claim loops, reporters and heartbeats need a few connections at a time
    @DataSourceDefinition(
        name = PgflowDataSource.WORKERS_JNDI_NAME,
        className = "org.postgresql.ds.PGSimpleDataSource",
        url = "${MPCONFIG=pgflow.db.url}",
        user = "${MPCONFIG=pgflow.db.user}",
        password = "${MPCONFIG=pgflow.db.password}",
        minPoolSize = 1,
        maxPoolSize = 16,
        properties = {PgflowDataSource.VALIDATION, PgflowDataSource.VALIDATION_METHOD, PgflowDataSource.VALIDATION_CLASS,
            PgflowDataSource.FAIL_ALL, PgflowDataSource.VALIDATION_PERIOD, "ApplicationName=pgflow-workers"}),
    // the read model's pool on a streaming replica (pgflow.db.readUrl; the primary's URL when none is
    // configured, and then unused: ReadReplicas sends every read to the main pool). Not enlisted in JTA
    // transactions: a read there never makes a caller's transaction two-resource
    @DataSourceDefinition(
        name = PgflowDataSource.READ_JNDI_NAME,
        className = "org.postgresql.ds.PGSimpleDataSource",
        url = "${MPCONFIG=pgflow.db.readUrl}",
        user = "${MPCONFIG=pgflow.db.readUser}",
        password = "${MPCONFIG=pgflow.db.readPassword}",
        transactional = false,
        minPoolSize = 0,
        maxPoolSize = 32,
        properties = {PgflowDataSource.VALIDATION, PgflowDataSource.VALIDATION_METHOD, PgflowDataSource.VALIDATION_CLASS,
            PgflowDataSource.FAIL_ALL, PgflowDataSource.VALIDATION_PERIOD, "ApplicationName=pgflow-reads", "connectTimeout=2",
            "readOnly=true"})
})
@Singleton
public class PgflowDataSource {

    /** JNDI name of the engine's data source (API, console, jobs, JPA). */
    public static final String JNDI_NAME = "java:app/jdbc/pgflow";

    /** JNDI name of the read model's data source on a replica ({@link ReadReplicas}). */
    public static final String READ_JNDI_NAME = "java:app/jdbc/pgflow-read";

    /** JNDI name of the workers' data source: the same database, a pool of its own. */
    public static final String WORKERS_JNDI_NAME = "java:app/jdbc/pgflow-workers";

    static final String VALIDATION = "fish.payara.is-connection-validation-required=true";
    static final String VALIDATION_METHOD = "fish.payara.connection-validation-method=custom-validation";
    static final String VALIDATION_CLASS = "fish.payara.validation-classname=org.glassfish.api.jdbc.validation.PostgresConnectionValidation";
    static final String FAIL_ALL = "fish.payara.fail-all-connections=true";
    // validating every checkout doubled the round trips of every read (measured: docs/performance.md);
    // a connection is validated at most every 2 s (at most 16 validations a second for a pool of 32),
    // and fail-all-connections drops the pool after a restart: a database restart costs at most 2 s
    // of errors from connections that died with it (ChaosIT; it was 10 s, which kept readiness DOWN
    // for up to 10 s after the database was back)
    static final String VALIDATION_PERIOD = "fish.payara.validate-atmost-once-period-in-seconds=2";
}
