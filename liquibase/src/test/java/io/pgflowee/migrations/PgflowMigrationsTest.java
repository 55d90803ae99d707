package io.pgflowee.migrations;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.PgflowDatabaseExtension;

@ExtendWith(PgflowDatabaseExtension.class)
class PgflowMigrationsTest {

    @Test
    void appliesTheMasterChangelogOnceAndRecordsStableFileNames(DataSource db) throws Exception {
        try (Connection c = db.getConnection()) {
            int before = count(c, "select count(*) from public.databasechangelog");

            PgflowMigrations.apply(c); // second application: nothing new to run
            assertThat(c.getAutoCommit()).as("the connection comes back as it was given").isTrue();

            assertThat(count(c, "select count(*) from public.databasechangelog")).isEqualTo(before);
            assertThat(count(c, "select count(*) from pg_namespace where nspname = 'pgflow'")).isEqualTo(1);
            try (var st = c.createStatement();
                 ResultSet rs = st.executeQuery("select filename from public.databasechangelog"
                         + " where id = '001-schema'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("pgflow/db/core/001-schema.sql");
            }
        }
    }

    private static int count(Connection c, String sql) throws Exception {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
