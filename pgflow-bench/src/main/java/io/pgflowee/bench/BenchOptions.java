package io.pgflowee.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What every benchmark program shares: its {@code name=value} arguments, nearest-rank percentiles, fields of the API's answers. */
final class BenchOptions {

    private BenchOptions() {
    }

    /** {@code name=value} arguments by name; a bare {@code name} maps to the empty string. */
    static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (String a : args) {
            String[] kv = a.split("=", 2);
            opts.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        return opts;
    }

    /** The {@code p}-th percentile (nearest rank) of sorted nanosecond durations, in milliseconds. */
    static double percentileMillis(List<Long> sortedNanos, int p) {
        return sortedNanos.get(Math.max(0, (int) Math.ceil(p / 100.0 * sortedNanos.size()) - 1)) / 1e6;
    }

    /** The first string field {@code name} of a JSON text (the API's compact answers); fails when there is none. */
    static String field(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }

    /** The database of the options {@code url}, {@code user} and {@code password} (defaults: the launcher's). */
    static org.postgresql.ds.PGSimpleDataSource dataSource(Map<String, String> opts) {
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setUrl(opts.getOrDefault("url", "jdbc:postgresql://localhost:15432/postgres"));
        ds.setUser(opts.getOrDefault("user", "postgres"));
        ds.setPassword(opts.getOrDefault("password", "postgres"));
        return ds;
    }

    /**
     * The launcher admin's password: the option {@code key} when given, else the file the launcher
     * keeps it in ({@code $PGFLOW_HOME/admin-password}, {@code ~/.pgflow} without {@code PGFLOW_HOME}).
     */
    static String adminPassword(Map<String, String> opts, String key) throws java.io.IOException {
        if (opts.containsKey(key)) {
            return opts.get(key);
        }
        String home = System.getenv("PGFLOW_HOME");
        java.nio.file.Path dir = home == null || home.isBlank()
                ? java.nio.file.Path.of(System.getProperty("user.home"), ".pgflow") : java.nio.file.Path.of(home);
        return java.nio.file.Files.readString(dir.resolve("admin-password")).trim();
    }

    /** The HTTP Basic header of the launcher's admin with the option {@code adminPassword}. */
    static String adminAuthorization(Map<String, String> opts) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString(("admin:" + opts.get("adminPassword"))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
