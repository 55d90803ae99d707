package io.pgflowee.engine.health;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import javax.sql.DataSource;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.pgflowee.engine.db.DatabaseProblems;
import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.db.SchemaMigrator;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import io.pgflowee.engine.db.DatabaseSettings;
import jakarta.inject.Inject;

/**
 * Ready when the database answers and the pgflow schema is in place: applied by this server's
 * migrations, or (with {@code pgflow.migrate=false}) present because someone applied it by hand.
 * Says where reads go (with a replica) and how far the run tables' time partitions reach
 * ({@code runPartitions}: plain, ahead until, or none ahead), neither of which makes it DOWN.
 */
@Readiness
@ApplicationScoped
public class DatabaseReadinessCheck implements HealthCheck {

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Inject
    SchemaMigrator migrator;

    @Inject
    DatabaseSettings database;

    @Inject
    io.pgflowee.engine.db.ReadReplicas replicas;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pgflow-database")
                .withData("database", DatabaseProblems.where(database.url()));
        SchemaMigrator.Status schema = migrator.status();
        response.withData("migrations", schema.state().name());
        if (replicas != null && replicas.configured()) {
            // a replica that is down or behind is not a reason to take the server out: its reads go to the primary
            io.pgflowee.engine.db.ReadReplicas.Status reads = replicas.status();
            response.withData("reads", reads.readsOnReplica() ? "replica" : "primary: " + reads.reason());
            response.withData("replicaLagMillis", reads.lagMillis());
        }
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.setQueryTimeout(2);
            try (ResultSet rs = st.executeQuery("select to_regnamespace('pgflow') is not null")) {
                rs.next();
                boolean schemaPresent = rs.getBoolean(1);
                boolean ready = schemaPresent
                        && (schema.state() == SchemaMigrator.State.APPLIED
                            || schema.state() == SchemaMigrator.State.DISABLED);
                if (schemaPresent) {
                    response.withData("runPartitions", runPartitions(c));
                }
                if (!ready) {
                    response.withData("reason", schemaPresent ? schema.message()
                            : "PGFLOW-003 schema pgflow is missing: apply the changelogs (pgflow.migrate=true, or by hand: docs/operations.md, \"Applying the schema by hand\")");
                }
                return response.status(ready).build();
            }
        } catch (Exception e) {
            return response.down().withData("reason", DatabaseProblems.describe(database.url(), e)).build();
        }
    }

    /** Plain, how far ahead the time partitions reach, or that none is ahead; never a reason to be DOWN (the default partition takes the runs). */
    private static String runPartitions(Connection c) {
        try {
            return io.pgflowee.engine.system.SystemInfoService.readRunPartitions(c).describe(java.time.Instant.now());
        } catch (java.sql.SQLException e) {
            return "unknown: " + e.getMessage();
        }
    }
}
