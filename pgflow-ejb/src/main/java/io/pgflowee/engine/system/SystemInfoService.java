package io.pgflowee.engine.system;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
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

    /**
     * One partition of the run tables ({@code pgflow.run_partitions()}): a time range (its name the
     * range's start, {@code 20261207_0000}), {@code legacy}, {@code ids} or {@code other} (no times);
     * status attached or skipped; runs (the planner's estimate) and bytes of its seven tables.
     */
    public record RunPartition(String name, Instant startsAt, Instant endsAt, String status, long runs, long bytes) {
    }

    /**
     * The run tables' time partitions (docs/operations.md, "Time partitions"): none while the tables
     * are plain; {@code aheadUntil} is the end of the last range made (new runs after it land in the
     * default partition {@code other}).
     */
    public record RunPartitions(boolean partitioned, Instant aheadUntil, List<RunPartition> partitions) {

        public static final RunPartitions PLAIN = new RunPartitions(false, null, List.of());

        /** The time ranges made (attached), without legacy, ids and other. */
        public long ranges() {
            return partitions.stream().filter(p -> p.startsAt() != null && p.status().equals("attached")).count();
        }

        /** Seconds from {@code now} to the end of the ranges made: negative once they ran out; NaN while plain. */
        public double aheadSeconds(Instant now) {
            if (!partitioned) {
                return Double.NaN;
            }
            return aheadUntil == null ? 0 : Duration.between(now, aheadUntil).toMillis() / 1000.0;
        }

        /** Whether a range made ahead covers {@code now} onwards (else new runs land in the default partition); false while plain. */
        public boolean ahead(Instant now) {
            return partitioned && aheadUntil != null && aheadUntil.isAfter(now);
        }

        /** For readiness: "plain", "ahead until ...", or what is wrong when no range is ahead. */
        public String describe(Instant now) {
            if (!partitioned) {
                return "plain";
            }
            if (ahead(now)) {
                return "ahead until " + aheadUntil;
            }
            return "none ahead" + (aheadUntil == null ? "" : " since " + aheadUntil) + ": new runs land in the default partition"
                    + " 'other' (pgflow.tick() makes the ranges: is any server's scheduler running?)";
        }
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

    /** The run tables' time partitions, read with {@code pgflow.run_partitions()} (this server's database role needs pgflow_reader). */
    public RunPartitions runPartitions() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return readRunPartitions(c);
        }
    }

    /** {@link #runPartitions()} on a connection of the caller's (the readiness check's, the metrics'). */
    public static RunPartitions readRunPartitions(Connection c) throws SQLException {
        List<RunPartition> partitions = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT partition, CASE WHEN isfinite(starts_at) THEN starts_at END, ends_at, status, runs, bytes FROM pgflow.run_partitions()")) {
            while (rs.next()) {
                partitions.add(new RunPartition(rs.getString(1), instant(rs.getTimestamp(2)), instant(rs.getTimestamp(3)),
                        rs.getString(4), rs.getLong(5), rs.getLong(6)));
            }
        }
        if (partitions.isEmpty()) {
            return RunPartitions.PLAIN;
        }
        Instant ahead = partitions.stream().filter(p -> p.endsAt() != null && p.status().equals("attached")).map(RunPartition::endsAt)
                .max(Instant::compareTo).orElse(null);
        return new RunPartitions(true, ahead, List.copyOf(partitions));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
