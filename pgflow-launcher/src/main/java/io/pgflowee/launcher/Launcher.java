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

    /** How long a redeploy inside the running Payara Micro may take before the launcher restarts Payara instead. */
    private static final int REDEPLOY_SECONDS = 120;

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
                        + "'; the launcher takes --no-reload (settings are environment variables: docs/reference/configuration.md)");
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
        if (reloader != null) {
            // Payara runs the WAR unzipped, so that a reload redeploys it in place (ExplodedWar)
            Files.deleteIfExists(settings.home().resolve("reload").resolve("pgflow.war")); // what launchers before 0.2 reloaded
            ExplodedWar war = new ExplodedWar(settings.home().resolve("reload").resolve("pgflow"));
            String build = war.explode(here.resolve("pgflow.war"), reloader.fingerprint());
            DevFlows devFlows = settings.replaceChangedFlows()
                    ? new DevFlows(url, user, password, reloader.root().resolve("liquibase").resolve("flows"), System.out) : null;
            if (devFlows != null) { // flows edited while the launcher was stopped, too
                devFlows.replaceChanged(devFlows.compiledFlows());
            }
            payara.start(env, war.directory());
            watch(payara, reloader, war, devFlows, build, env, banner);
            return;
        }
        payara.start(env);
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
     * settled change is built into the exploded WAR ({@link Reloader#rebuild}); a new build is
     * redeployed inside the running Payara Micro (touching {@code .reload}: the old deployment stops
     * its workers gracefully, the new one migrates and starts them) and, once readiness answers with
     * the new build's id, each flow's verdict is printed with the time since the save. A failed build
     * is printed and the server keeps running the last good build. Payara is restarted instead when
     * it exited, when the last deployment never came up, or when a redeploy does not answer within
     * {@link #REDEPLOY_SECONDS}.
     */
    private static void watch(PayaraMicroProcess payara, Reloader reloader, ExplodedWar war, DevFlows devFlows, String firstBuild,
            Map<String, String> env, java.util.function.Consumer<String> banner) throws Exception {
        boolean everReady = false;
        boolean down = false;
        FlowWatch flows = new FlowWatch(System.out::println);
        long watchedAt = 0;
        PayaraMicroProcess.Readiness starting = payara.readiness(firstBuild);
        long deployedAt = 0;
        long savedAt = 0;
        boolean redeploying = false;
        String built = "";
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
                    System.out.println("pgflow: the launcher itself changed: restart ./pgflow to use it");
                }
                Reloader.Outcome outcome = reloader.rebuild(changes, war);
                if (outcome.deploy() && !stopping) {
                    if (devFlows != null) {
                        devFlows.replaceChanged(outcome.changedFlows());
                    }
                    String build = war.newBuild(reloader.fingerprint());
                    built = outcome.built();
                    savedAt = reloader.savedAt();
                    redeploying = !down && payara.isAlive() && starting == null;
                    if (redeploying) {
                        System.out.println("pgflow: " + built + "; redeploying in the running Payara Micro (PostgreSQL stays up)");
                        war.touchReload();
                    } else {
                        System.out.println("pgflow: " + built + "; " + (down ? "starting" : "restarting") + " Payara Micro"
                                + (down ? "" : " (the last deployment never came up)") + "; PostgreSQL stays up");
                        payara.stop(PAYARA_STOP_SECONDS);
                        payara.start(env, war.directory());
                    }
                    deployedAt = System.nanoTime();
                    starting = payara.readiness(build);
                    down = false;
                }
            }
            if (starting != null && payara.isAlive()) {
                String ready = starting.poll();
                if (ready != null) {
                    if (!everReady) {
                        banner.accept(ready);
                        everReady = true;
                        Thread warmUp = new Thread(() -> reloader.warmUp(war), "pgflow-compiler-warm-up");
                        warmUp.setDaemon(true);
                        warmUp.setPriority(Thread.MIN_PRIORITY);
                        warmUp.start();
                    } else {
                        System.out.printf(java.util.Locale.ROOT, "pgflow: reloaded %.1f s after the save (%s, %s %.1f s); flows: %s%n",
                                (System.currentTimeMillis() - savedAt) / 1000.0, built, redeploying ? "redeploy" : "restart",
                                (System.nanoTime() - deployedAt) / 1e9, ReadinessReasons.flowVerdicts(ready));
                    }
                    flows.seen(ready);
                    watchedAt = System.nanoTime();
                    starting = null;
                } else if (redeploying && System.nanoTime() - deployedAt > REDEPLOY_SECONDS * 1_000_000_000L) {
                    System.out.println("pgflow: the redeploy did not answer within " + REDEPLOY_SECONDS
                            + " s (the server log says why); restarting Payara Micro");
                    redeploying = false;
                    payara.stop(PAYARA_STOP_SECONDS);
                    payara.start(env, war.directory());
                    deployedAt = System.nanoTime();
                }
            } else if (everReady && !down && payara.isAlive() && System.nanoTime() - watchedAt > FLOW_WATCH_MS * 1_000_000) {
                String answer = payara.readinessAnswer();
                if (answer != null && !stopping) {
                    flows.seen(answer);
                }
                watchedAt = System.nanoTime();
            }
            Thread.sleep(starting != null ? 100 : 300);
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
