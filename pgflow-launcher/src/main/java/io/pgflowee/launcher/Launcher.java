package io.pgflowee.launcher;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One command runs everything: {@code java -jar pgflow-launcher.jar} (the README's {@code ./pgflow}).
 *
 * <ol>
 *   <li>With no {@code PGFLOW_DB_URL}: starts an embedded PostgreSQL 17 whose data lives in
 *       {@code PGFLOW_HOME/postgres/data} (default {@code ~/.pgflow}); otherwise checks that the
 *       named database answers.</li>
 *   <li>Starts Payara Micro with the pgflow WAR (no clustering, no phone-home) and waits for
 *       readiness (database reachable, migrations applied).</li>
 *   <li>Prints the console, API and {@code psql} addresses.</li>
 *   <li>On Ctrl-C or SIGTERM stops Payara (graceful), then PostgreSQL.</li>
 * </ol>
 */
public final class Launcher {

    private static final int PAYARA_STOP_SECONDS = 60;
    /** How often a running server's readiness is read for flows that stop or start running. */
    private static final long FLOW_WATCH_MS = 3000;

    /** Set by the shutdown hook: the reload watcher stops reacting. */
    private static volatile boolean stopping;

    private Launcher() {
    }

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        try {
            run(withArguments(Settings.from(System.getenv()), args));
        } catch (LaunchException e) {
            System.err.println("pgflow: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(130);
        } catch (Exception e) {
            System.err.println("pgflow: unexpected failure: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    /** The command line: {@code --no-reload} (reload on change is on by default in a source tree). */
    static Settings withArguments(Settings settings, String... args) {
        for (String arg : args) {
            switch (arg) {
                case "--no-reload" -> settings = settings.withoutReload();
                default -> throw new LaunchException("PGFLOW-006 unknown argument '" + arg
                        + "'; the launcher takes --no-reload (settings are environment variables, see the README)");
            }
        }
        return settings;
    }

    static void run(Settings settings) throws Exception {
        Path here = installDirectory();
        Files.createDirectories(settings.home());
        FileLock lock = lockHome(settings.home());

        LocalPostgres postgres = settings.embedded()
                ? new LocalPostgres(settings.home(), settings.embeddedPgPort())
                : null;
        PayaraMicroProcess payara = new PayaraMicroProcess(here.resolve("payara-micro.jar"),
                here.resolve("pgflow.war"), settings.home(), settings.httpPort(), settings.javaOpts());

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            payara.stop(PAYARA_STOP_SECONDS);
            if (postgres != null) {
                postgres.stop();
            }
            try {
                lock.release();
            } catch (IOException e) {
                // the lock goes with the process anyway
            }
            System.out.println("pgflow: stopped");
        }, "pgflow-shutdown"));

        payara.stopLeftover();
        String url;
        String user = settings.dbUser();
        String password = settings.dbPassword();
        if (postgres != null) {
            postgres.start();
            url = postgres.jdbcUrl();
            user = "postgres";
            password = "postgres";
        } else {
            url = settings.dbUrl();
            checkReachable(url, user, password);
        }

        Map<String, String> env = new HashMap<>();
        env.put("PGFLOW_DB_URL", url);
        env.put("PGFLOW_DB_USER", user);
        env.put("PGFLOW_DB_PASSWORD", password);
        AdminUser.Admin admin = AdminUser.resolve(settings.home(), System.getenv("PGFLOW_ADMIN_PASSWORD"));
        String moreUsers = System.getenv("PGFLOW_USERS");
        env.put("PGFLOW_USERS", (moreUsers == null || moreUsers.isBlank() ? "" : moreUsers + ",") + admin.usersEntry());
        Reloader reloader = null;
        if (settings.reload()) {
            java.util.Optional<Path> root = Reloader.sourceRoot(settings.sourceDir(), here);
            if (root.isPresent()) {
                reloader = new Reloader(root.get(), settings.home(), settings.buildArgs());
            }
        }
        long start = System.nanoTime();
        String base = "http://localhost:" + settings.httpPort();
        String reloadLine = reloader != null
                ? "on: a change under " + reloader.root() + " is rebuilt and redeployed (--no-reload turns it off)"
                : settings.reload() ? "off: not started from a source tree (PGFLOW_SOURCE_DIR names one)" : "off (--no-reload)";
        String psql = psqlConnectionString(url, user, postgres != null ? password : null);
        long startedAtMillis = System.currentTimeMillis();
        java.util.function.Consumer<String> banner = ready -> System.out.printf("%n"
                + "pgflow is ready (%s)%n"
                + "  Console   %s/%n"
                + "  API       %s/api/system%n"
                + "  Health    %s/health/ready%n"
                + "  psql      psql \"%s\"%n"
                + "  Sign-in   %s%n"
                + "%s"
                + "  Flows     %s%n"
                + "  Reload    %s%n"
                + "Press Ctrl-C to stop.%n%n",
                readyAfter((System.nanoTime() - start) / 1_000_000_000L, startedAtMillis, System.getenv("PGFLOW_STARTED_AT")),
                base, base, base,
                psql, admin.describe(),
                postgres != null ? "  Data      " + postgres.dataDirectory() + " (embedded PostgreSQL 17 on port "
                        + postgres.port() + ")" + System.lineSeparator() : "",
                ReadinessReasons.flowVerdicts(ready), reloadLine);
        payara.start(env);
        if (reloader != null) {
            watch(payara, reloader, env, banner);
            return;
        }
        String ready = payara.awaitReady(settings.startupTimeoutSeconds());
        banner.accept(ready);
        FlowWatch flows = new FlowWatch(System.out::println);
        flows.seen(ready);
        while (payara.isAlive() && !stopping) { // a flow that stops or starts running is told, the others go on
            Thread.sleep(FLOW_WATCH_MS);
            String answer = payara.readinessAnswer();
            if (answer != null && !stopping) {
                flows.seen(answer);
            }
        }
        int exit = payara.waitFor();
        if (exit != 0 && exit != 143 && exit != 130) {
            System.err.println("pgflow: Payara Micro exited with code " + exit);
            System.exit(exit);
        }
    }

    /**
     * Reload on change, until the launcher stops. Waits for readiness (printing its reasons as they
     * appear; no timeout: a change or a fix in the database may come), then prints the banner. Each
     * settled change is built; a good build restarts Payara with it (PostgreSQL stays up) and, once
     * ready, prints each flow's verdict; a failed build is printed and the server keeps running the
     * last good build. A Payara that exits is reported, and the next change starts it again.
     */
    private static void watch(PayaraMicroProcess payara, Reloader reloader, Map<String, String> env,
            java.util.function.Consumer<String> banner) throws Exception {
        boolean everReady = false;
        boolean down = false;
        FlowWatch flows = new FlowWatch(System.out::println);
        long watchedAt = 0;
        PayaraMicroProcess.Readiness starting = payara.readiness();
        long restartedAt = 0;
        long builtIn = 0;
        while (!stopping) {
            if (!down && !payara.isAlive()) {
                if (stopping) {
                    return;
                }
                System.out.println("pgflow: " + (starting != null ? payara.exitedWhileStarting()
                        : "Payara Micro exited with code " + payara.exitCode() + "; the whole log is in the server log")
                        + ". Fix the cause: the next change rebuilds and starts it again (Ctrl-C stops).");
                down = true;
                starting = null;
            }
            List<String> changes = reloader.settledChanges();
            if (!changes.isEmpty() && !stopping) {
                System.out.println("pgflow: changed: " + Reloader.describe(changes));
                if (Reloader.touchesLauncher(changes)) {
                    System.out.println("pgflow: the launcher itself changed: restart ./pgflow to use it (the server is reloaded now)");
                }
                System.out.println("pgflow: building...");
                long buildStart = System.nanoTime();
                java.util.Optional<Path> war = reloader.build();
                if (war.isPresent() && !stopping) {
                    builtIn = (System.nanoTime() - buildStart) / 1_000_000;
                    System.out.printf("pgflow: built in %.1f s; restarting Payara Micro (PostgreSQL stays up)%n", builtIn / 1000.0);
                    payara.stop(PAYARA_STOP_SECONDS);
                    restartedAt = System.nanoTime();
                    payara.start(env, war.get());
                    starting = payara.readiness();
                    down = false;
                }
            }
            if (starting != null && payara.isAlive()) {
                String ready = starting.poll();
                if (ready != null) {
                    if (!everReady) {
                        banner.accept(ready);
                        everReady = true;
                    } else {
                        System.out.printf("pgflow: reloaded (build %.1f s, restart %.1f s); flows: %s%n", builtIn / 1000.0,
                                (System.nanoTime() - restartedAt) / 1e9, ReadinessReasons.flowVerdicts(ready));
                    }
                    flows.seen(ready);
                    watchedAt = System.nanoTime();
                    starting = null;
                }
            } else if (everReady && !down && payara.isAlive() && System.nanoTime() - watchedAt > FLOW_WATCH_MS * 1_000_000) {
                String answer = payara.readinessAnswer();
                if (answer != null && !stopping) {
                    flows.seen(answer);
                }
                watchedAt = System.nanoTime();
            }
            Thread.sleep(starting != null ? 250 : 1000);
        }
    }

    /**
     * "23 s", or "23 s; 311 s with the build" when {@code ./pgflow} built first ({@code PGFLOW_STARTED_AT}:
     * when that command began, milliseconds since 1970, second precision).
     */
    static String readyAfter(long seconds, long launcherStartedMillis, String commandStartedAt) {
        try {
            long began = commandStartedAt == null ? launcherStartedMillis : Long.parseLong(commandStartedAt.trim());
            long before = (launcherStartedMillis - began) / 1000;
            return before >= 2 ? seconds + " s; " + (seconds + before) + " s with the build" : seconds + " s";
        } catch (NumberFormatException e) {
            return seconds + " s";
        }
    }

    /** A libpq connection URI for the same database (password only for the embedded one). */
    static String psqlConnectionString(String jdbcUrl, String user, String password) {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        String credentials = password == null ? user : user + ":" + password;
        return "postgresql://" + credentials + "@" + hostAndPort(uri) + "/" + db;
    }

    /** {@code host:port} of a parsed {@code postgresql://} URI, with PostgreSQL's defaults. */
    private static String hostAndPort(URI uri) {
        return (uri.getHost() == null ? "localhost" : uri.getHost()) + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort());
    }

    private static void checkReachable(String url, String user, String password) {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5");
        try (Connection c = DriverManager.getConnection(url, props)) {
            c.isValid(5);
        } catch (SQLException e) {
            String where;
            try {
                where = hostAndPort(URI.create(url.substring("jdbc:".length())));
            } catch (RuntimeException bad) {
                where = url;
            }
            throw new LaunchException("PGFLOW-002 cannot reach PostgreSQL at " + where
                    + " (PGFLOW_DB_URL=" + url + "): " + e.getMessage()
                    + ". Start it, fix PGFLOW_DB_URL / PGFLOW_DB_USER / PGFLOW_DB_PASSWORD,"
                    + " or unset PGFLOW_DB_URL to use the embedded database", e);
        }
    }

    private static FileLock lockHome(Path home) throws IOException {
        FileChannel channel = FileChannel.open(home.resolve("launcher.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            throw new LaunchException("PGFLOW-004 another pgflow launcher is running with PGFLOW_HOME=" + home
                    + ": stop it first, or give this one its own PGFLOW_HOME");
        }
        return lock;
    }

    private static Path installDirectory() throws Exception {
        Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return jar.getParent(); // target/ holds the jar (or classes/), payara-micro.jar and pgflow.war
    }
}
