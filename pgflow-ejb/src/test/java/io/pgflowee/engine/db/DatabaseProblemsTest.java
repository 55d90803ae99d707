package io.pgflowee.engine.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ServiceConfigurationError;

import org.junit.jupiter.api.Test;

/** How a database failure is told: an unreachable database and a missing privilege have different fixes. */
class DatabaseProblemsTest {

    private static final String URL = "jdbc:postgresql://db:5432/app";

    @Test
    void aMissingPrivilegeNamesTheRoleAndTheGrantsNotTheConnection() {
        Exception failure = new RuntimeException("flow check", new SQLException("ERROR: permission denied for function claim_tasks", "42501"));
        assertThat(DatabaseProblems.describe(URL, failure)).isEqualTo("PGFLOW-097 the database role of this server (PGFLOW_DB_USER)"
                + " lacks a privilege at db:5432/app: ERROR: permission denied for function claim_tasks. Grant it pgflow_worker and"
                + " pgflow_operator (README, \"Database roles\"), or use the schema owner.");
    }

    @Test
    void anUnreachableDatabaseSaysWhereAndHowToPointElsewhere() {
        Exception failure = new SQLException("Connection to db:5432 refused.", "08001");
        assertThat(DatabaseProblems.describe(URL, failure)).isEqualTo("PGFLOW-002 cannot use the PostgreSQL database at db:5432/app"
                + " (set by pgflow.db.url, environment PGFLOW_DB_URL): Connection to db:5432 refused. Start PostgreSQL there, or point"
                + " PGFLOW_DB_URL, PGFLOW_DB_USER and PGFLOW_DB_PASSWORD at a reachable database.");
    }

    @Test
    void aRefusedPrivilegeIsFoundInTheCauseChainWithPostgresFirstLine() {
        // what Payara's batch runtime threw when the server's role could not create its repository tables
        Throwable batch = new ServiceConfigurationError("jakarta.batch.operations.JobOperator: Provider could not be instantiated",
                new RuntimeException("BatchContainerServiceException",
                        new SQLException("ERROR: permission denied for schema public\n  Position: 14", "42501")));
        assertThat(DatabaseProblems.privilegeDenied(batch)).isEqualTo("ERROR: permission denied for schema public");
        assertThat(DatabaseProblems.privilegeDenied(new RuntimeException(new SQLException("ERROR: deadlock", "40P01"))))
                .isNull();
        assertThat(DatabaseProblems.privilegeDenied(new IllegalStateException("no SQL at all"))).isNull();
    }
}
