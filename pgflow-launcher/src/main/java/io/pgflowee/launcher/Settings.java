package io.pgflowee.launcher;

import java.nio.file.Path;
import java.util.Map;

/**
 * The launcher's settings, read from the environment (or the same names as system properties,
 * lower-cased with dots: {@code PGFLOW_HTTP_PORT} or {@code -Dpgflow.http.port}).
 */
record Settings(
        String dbUrl,
        String dbUser,
        String dbPassword,
        int httpPort,
        int embeddedPgPort,
        Path home,
        String javaOpts,
        int startupTimeoutSeconds,
        boolean reload,
        String sourceDir,
        String buildArgs,
        boolean replaceChangedFlows) {

    static final int DEFAULT_HTTP_PORT = 8080;
    static final int DEFAULT_EMBEDDED_PG_PORT = 15432;
    static final int DEFAULT_STARTUP_TIMEOUT = 900;

    static Settings from(Map<String, String> env) {
        return new Settings(
                get(env, "PGFLOW_DB_URL", null),
                get(env, "PGFLOW_DB_USER", "postgres"),
                get(env, "PGFLOW_DB_PASSWORD", "postgres"),
                port(env, "PGFLOW_HTTP_PORT", DEFAULT_HTTP_PORT),
                port(env, "PGFLOW_EMBEDDED_PG_PORT", DEFAULT_EMBEDDED_PG_PORT),
                Path.of(get(env, "PGFLOW_HOME", Path.of(System.getProperty("user.home"), ".pgflow").toString()))
                        .toAbsolutePath(),
                get(env, "PGFLOW_JAVA_OPTS", "-Xmx1g"),
                integer(env, "PGFLOW_STARTUP_TIMEOUT", DEFAULT_STARTUP_TIMEOUT),
                bool(env, "PGFLOW_RELOAD", true),
                get(env, "PGFLOW_SOURCE_DIR", null),
                get(env, "PGFLOW_BUILD_ARGS", ""),
                // on by default with the embedded database only: an external one may be shared
                bool(env, "PGFLOW_REPLACE_CHANGED_FLOWS", blank(get(env, "PGFLOW_DB_URL", null))));
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** The same settings with reload on change turned off ({@code ./pgflow --no-reload}). */
    Settings withoutReload() {
        return new Settings(dbUrl, dbUser, dbPassword, httpPort, embeddedPgPort, home, javaOpts, startupTimeoutSeconds,
                false, sourceDir, buildArgs, replaceChangedFlows);
    }

    boolean embedded() {
        return dbUrl == null || dbUrl.isBlank();
    }

    private static String get(Map<String, String> env, String name, String fallback) {
        String property = System.getProperty(name.toLowerCase().replace('_', '.'));
        if (property != null && !property.isBlank()) {
            return property;
        }
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static boolean bool(Map<String, String> env, String name, boolean fallback) {
        String value = get(env, name, null);
        if (value == null) {
            return fallback;
        }
        return switch (value.strip().toLowerCase()) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw new LaunchException("PGFLOW-006 " + name + "=" + value + " is neither true nor false");
        };
    }

    private static int integer(Map<String, String> env, String name, int fallback) {
        String value = get(env, name, null);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new LaunchException("PGFLOW-006 " + name + "=" + value + " is not a whole number");
        }
    }

    private static int port(Map<String, String> env, String name, int fallback) {
        int port = integer(env, name, fallback);
        if (port < 1 || port > 65535) {
            throw new LaunchException("PGFLOW-006 " + name + "=" + port + " is not a TCP port (1 to 65535)");
        }
        return port;
    }
}
