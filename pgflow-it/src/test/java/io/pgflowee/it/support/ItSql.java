package io.pgflowee.it.support;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Query helper of the integration tests (in the test JVM and, for the shared server's in-container tests, in the server). */
public final class ItSql {

    private ItSql() {
    }

    /** Each row of {@code sql} as column label to text value (SQL NULL as null), in column order. */
    public static List<Map<String, String>> rows(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<Map<String, String>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    /** The first column of the first row of {@code query} on the database at {@code url} (user postgres), or null. */
    public static String value(String url, String query) throws SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Waits (polling every 100 ms, at most 120 s) until {@link #value} gives {@code expected}. */
    public static void awaitValue(String url, String query, String expected) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        String now = null;
        while (System.nanoTime() < deadline) {
            now = value(url, query);
            if (expected.equals(now)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(query + " gave " + now + ", not " + expected + ", for 120 s");
    }
}
