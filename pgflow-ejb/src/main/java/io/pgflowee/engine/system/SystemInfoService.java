package io.pgflowee.engine.system;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import io.pgflowee.engine.db.PgflowDataSource;
import io.pgflowee.engine.db.SchemaMigrator;
import jakarta.annotation.Resource;
import jakarta.ejb.LocalBean;
import jakarta.ejb.Stateless;
import jakarta.inject.Inject;

/** What the engine knows about itself and its database, for the API and the console. */
@Stateless
@LocalBean
public class SystemInfoService {

    /** A snapshot of the engine's database. */
    public record SystemInfo(String postgresVersion, String migrations, List<String> pgflowTables) {
    }

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Inject
    SchemaMigrator migrator;

    public SystemInfoService() {
    }

    /** Outside the container (tests): this data source, this migrator's state. */
    public SystemInfoService(DataSource dataSource, SchemaMigrator migrator) {
        this.dataSource = dataSource;
        this.migrator = migrator;
    }

    /** The PostgreSQL server version, the migration state and the tables of schema pgflow. */
    public SystemInfo describe() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            String version;
            try (ResultSet rs = st.executeQuery("show server_version")) {
                rs.next();
                version = rs.getString(1);
            }
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("select table_name from information_schema.tables"
                    + " where table_schema = 'pgflow' order by table_name")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            return new SystemInfo(version, migrator.status().state().name(), tables);
        }
    }
}
