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

    @Test
    void theRunTablesPartitionsAreNoneWhilePlainAndEveryRangeOnceConverted(DataSource ds) throws Exception {
        SystemResource system = new SystemResource();
        system.systemInfo = new SystemInfoService(ds, new SchemaMigrator());
        assertThat(system.partitions()).isEqualTo("{\"partitioned\":false,\"aheadUntil\":null,\"ranges\":0,\"partitions\":[]}");

        try (com.zaxxer.hikari.HikariDataSource own = PgflowDatabaseExtension.privateDatabase("pgflow_system_partitions_test")) {
            io.pgflowee.testing.Db db = new io.pgflowee.testing.Db(own);
            db.exec("select pgflow.create_flow('p')");
            db.exec("select pgflow.add_step('p', 'a')");
            db.exec("select pgflow.start_flow('p', '{}')"); // a run before: the legacy partition keeps it
            db.exec("select pgflow.partition_run_tables()");
            db.exec("analyze pgflow_partitions.runs_legacy");
            system.systemInfo = new SystemInfoService(own, new SchemaMigrator());
            JsonObject body = Json.createReader(new StringReader(system.partitions())).readObject();
            assertThat(body.keySet()).containsExactly("partitioned", "aheadUntil", "ranges", "partitions");
            assertThat(body.getBoolean("partitioned")).isTrue();
            String ahead = db.one("select to_char(max(ends_at) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI\"Z\"')"
                    + " from pgflow_internal.run_partitions");
            assertThat(body.getString("aheadUntil")).isEqualTo(ahead);
            long ranges = db.<Long>one("select count(*) from pgflow_internal.run_partitions where status = 'attached' and isfinite(starts_at)");
            assertThat(body.getJsonNumber("ranges").longValue()).isEqualTo(ranges).isGreaterThanOrEqualTo(2);
            var partitions = body.getJsonArray("partitions").getValuesAs(JsonObject.class);
            // legacy (the runs before, up to the conversion), the ranges from then on, ids, other
            assertThat(partitions).extracting(p -> p.getString("name")).startsWith("legacy").endsWith("ids", "other")
                    .hasSize((int) ranges + 3);
            JsonObject legacy = partitions.get(0);
            assertThat(legacy.isNull("startsAt")).isTrue();
            assertThat(legacy.getString("endsAt")).isEqualTo(partitions.get(1).getString("startsAt"));
            assertThat(legacy.getString("status")).isEqualTo("attached");
            assertThat(legacy.getJsonNumber("runs").longValue()).isEqualTo(1);
            assertThat(legacy.getJsonNumber("bytes").longValue()).isPositive();
            JsonObject first = partitions.get(1);
            assertThat(first.getString("name")).matches("\\d{8}_\\d{4}");
            assertThat(first.getString("startsAt")).endsWith("Z");
            assertThat(first.getString("status")).isEqualTo("attached");
            assertThat(first.getJsonNumber("runs").longValue()).isZero();

            // readiness's words for it: ahead, or none ahead once the ranges ran out
            SystemInfoService.RunPartitions read = system.systemInfo.runPartitions();
            assertThat(read.describe(java.time.Instant.now())).isEqualTo("ahead until " + read.aheadUntil());
            assertThat(read.describe(read.aheadUntil().plusSeconds(1))).isEqualTo("none ahead since " + read.aheadUntil()
                    + ": new runs land in the default partition 'other' (pgflow.tick() makes the ranges: is any server's scheduler running?)");
            assertThat(read.aheadSeconds(read.aheadUntil().minusSeconds(90))).isEqualTo(90.0);
            assertThat(SystemInfoService.RunPartitions.PLAIN.describe(java.time.Instant.now())).isEqualTo("plain");
            assertThat(SystemInfoService.RunPartitions.PLAIN.aheadSeconds(java.time.Instant.now())).isNaN();
        }
    }
}
