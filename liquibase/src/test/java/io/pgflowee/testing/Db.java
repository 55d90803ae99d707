package io.pgflowee.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

/**
 * Terse JDBC for tests: each call is one autocommitted statement with positional parameters.
 * JSON is exchanged as text ({@code ?::jsonb} in, {@code col::text} out).
 */
public final class Db {

    private final DataSource dataSource;

    public Db(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** All rows, each a column-name-to-value map in select order. */
    public List<Map<String, Object>> rows(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params);
             ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            List<Map<String, Object>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The only row (fails unless exactly one). */
    public Map<String, Object> row(String sql, Object... params) {
        List<Map<String, Object>> rows = rows(sql, params);
        if (rows.size() != 1) {
            throw new AssertionError("expected one row but got " + rows.size() + " from " + sql + ": " + rows);
        }
        return rows.get(0);
    }

    /** The first column of the only row. */
    @SuppressWarnings("unchecked")
    public <T> T one(String sql, Object... params) {
        return (T) row(sql, params).values().iterator().next();
    }

    /** Executes a statement; returns the update count (or -1 for a query). */
    public int exec(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params)) {
            boolean query = ps.execute();
            return query ? -1 : ps.getUpdateCount();
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /**
     * The process id of the backend of {@code applicationName} (its JDBC {@code ApplicationName}) that
     * has run {@code LISTEN} in this database, other than {@code previous} (-1: any): waits up to 60 s
     * for it, for tests of listeners that reconnect.
     */
    public int awaitListener(String applicationName, int previous) throws InterruptedException {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until) {
            for (Map<String, Object> row : rows("select pid from pg_stat_activity where application_name = ?"
                    + " and datname = current_database() and query ilike 'LISTEN%'", applicationName)) {
                int pid = (Integer) row.get("pid");
                if (pid != previous) {
                    return pid;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("'" + applicationName + "' did not LISTEN (again) within 60 s");
    }

    /** The error the statement raises; fails when it succeeds. */
    public SQLException error(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = prepare(c, sql, params)) {
            ps.execute();
        } catch (SQLException e) {
            return e;
        }
        throw new AssertionError("expected an error from " + sql);
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }
}
