package io.pgflowee.web.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.db.SchemaMigrator;
import io.pgflowee.engine.system.SystemInfoService;
import io.pgflowee.testing.PgflowDatabaseExtension;

import jakarta.json.Json;
import jakarta.json.JsonObject;

/** {@link SystemResource} in-JVM on a real PostgreSQL 17: the database's version, the schema's state and its tables. */
@ExtendWith(PgflowDatabaseExtension.class)
class SystemResourceTest {

    @Test
    void theSystemIsDescribedWithTheMigratorsStateAndTheEnginesTables(DataSource ds) throws Exception {
        SystemResource system = new SystemResource();
        // a migrator that has not run (the extension applied the schema): its state is the one reported
        system.systemInfo = new SystemInfoService(ds, new SchemaMigrator());

        JsonObject body = Json.createReader(new StringReader(system.get())).readObject();

        assertThat(body.keySet()).containsExactly("postgresVersion", "migrations", "pgflowTables");
        assertThat(body.getString("postgresVersion")).startsWith("17.");
        assertThat(body.getString("migrations")).isEqualTo("PENDING");
        assertThat(body.getJsonArray("pgflowTables").toString())
                .isEqualTo("[\"deps\",\"flows\",\"runs\",\"step_states\",\"step_tasks\",\"steps\",\"workers\"]");
    }
}
