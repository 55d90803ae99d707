package io.pgflowee.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Reload on change: watches the application's sources ({@link SourceFingerprint}) while
 * {@code ./pgflow} runs, and when they changed (and settled) builds them into the
 * {@link ExplodedWar} that Payara Micro runs: flow modules by the launcher itself
 * ({@link FastBuild}, seconds), anything else with Maven the way {@code ./pgflow} does (flows
 * compiled to {@code liquibase/flows} first). A failed build is printed and leaves the running
 * server alone. The launcher then redeploys the application inside the running Payara Micro;
 * PostgreSQL stays up.
 *
 * <p>The build is {@code package}, not {@code install}: it does not touch the local Maven repository,
 * nor the launcher's own jar (which this JVM runs from).
 */
final class Reloader {

    private static final int BUILD_TIMEOUT_MINUTES = 15;
    private static final int SHOWN_ERROR_LINES = 40;
    private static final String CHANGELOGS = "liquibase/flows/";

    private final Path root;
    private final Path home;
    private final List<String> buildArgs;
    private final SourceFingerprint sources;
    private Map<String, SourceFingerprint.Stamp> lastScan;
    private String lastFingerprint;
    /** The sources of the build the server runs: a change back to them needs no build and no restart. */
    private String runningFingerprint;
    /** When the last settled change was saved (the newest modification time among its files), milliseconds since 1970. */
    private long savedAt;

    Reloader(Path root, Path home, String buildArgs) {
        this.root = root;
        this.home = home;
        this.buildArgs = buildArgs == null || buildArgs.isBlank() ? List.of() : List.of(buildArgs.trim().split("\\s+"));
        this.sources = new SourceFingerprint(root);
        this.lastScan = sources.scan();
        this.lastFingerprint = sources.fingerprint();
        this.runningFingerprint = lastFingerprint;
    }

    /**
     * The project whose sources to watch: {@code PGFLOW_SOURCE_DIR}, or the project the launcher jar
     * was built in ({@code <root>/pgflow-launcher/target/pgflow-launcher.jar}, with {@code mvnw} and
     * {@code pgflow-web} beside it). Empty when the launcher runs outside a source tree.
     */
    static Optional<Path> sourceRoot(String configured, Path installDirectory) {
        Path candidate = configured != null && !configured.isBlank() ? Path.of(configured)
                : installDirectory.getParent() == null ? null : installDirectory.getParent().getParent();
        if (candidate == null) {
            return Optional.empty();
        }
        candidate = candidate.toAbsolutePath().normalize();
        boolean project = Files.isRegularFile(candidate.resolve("pom.xml")) && Files.isRegularFile(candidate.resolve("mvnw"))
                && Files.isDirectory(candidate.resolve("pgflow-web"));
        if (!project && configured != null && !configured.isBlank()) {
            throw new LaunchException("PGFLOW-006 PGFLOW_SOURCE_DIR=" + configured
                    + " is not the pgflow project (no pom.xml, mvnw and pgflow-web there)");
        }
        return project ? Optional.of(candidate) : Optional.empty();
    }

    Path root() {
        return root;
    }

    /**
     * What changed since the last look, once edits have settled (no change for 0.3 s), as
     * {@code "path (added|changed|removed)"}; empty when nothing did, or only stamps moved and every
     * content is as it was.
     */
    List<String> settledChanges() throws InterruptedException {
        Map<String, SourceFingerprint.Stamp> scan = sources.scan();
        if (scan.equals(lastScan)) {
            return List.of();
        }
        Map<String, SourceFingerprint.Stamp> previous;
        do {
            Thread.sleep(300);
            previous = scan;
            scan = sources.scan();
        } while (!scan.equals(previous));
        List<String> changes = SourceFingerprint.changes(lastScan, scan);
        long saved = 0;
        for (String change : changes) {
            SourceFingerprint.Stamp stamp = scan.get(FastBuild.path(change));
            saved = Math.max(saved, stamp == null ? System.currentTimeMillis() : stamp.modified());
        }
        savedAt = saved;
        lastScan = scan;
        String fingerprint = sources.fingerprint();
        if (fingerprint.equals(lastFingerprint)) {
            return List.of();
        }
        lastFingerprint = fingerprint;
        if (fingerprint.equals(runningFingerprint)) { // for example a broken edit undone: the server runs these sources
            System.out.println("pgflow: changed: " + describe(changes) + "; the sources are as the running server's build again:"
                    + " nothing to rebuild");
            return List.of();
        }
        return changes;
    }

    /** One line for a list of changes: the first few paths, then how many more. */
    static String describe(List<String> changes) {
        int shown = Math.min(changes.size(), 5);
        String list = String.join(", ", changes.subList(0, shown));
        return changes.size() > shown ? list + " and " + (changes.size() - shown) + " more" : list;
    }

    /** True when a change is in the launcher itself, which a reload cannot replace. */
    static boolean touchesLauncher(List<String> changes) {
        return changes.stream().anyMatch(c -> c.startsWith("pgflow-launcher/"));
    }

    /**
     * Builds the WAR with Maven from the current sources. Returns it ({@code pgflow-web/target/pgflow.war}), or empty after printing the build's errors
     * (the whole output is in {@code PGFLOW_HOME/logs/build.log}).
     */
    Optional<Path> build() throws IOException, InterruptedException {
        Path log = home.resolve("logs").resolve("build.log");
        Files.createDirectories(log.getParent());
        Files.deleteIfExists(log);
        Map<String, SourceFingerprint.Stamp> changelogsBefore = changelogs(sources.scan());
        // the import check is CI's (./mvnw verify): a reload does not wait for it
        int status = maven(log, "package", "-DskipTests", "-Dcheckstyle.skip", "-Pcompile-flows", "-pl", "pgflow-web", "-am");
        if (status == 0 && !changelogs(sources.scan()).equals(changelogsBefore)) {
            // the flows were compiled after liquibase/ was packaged: package once more so the WAR has them
            System.out.println("pgflow: building again (compiled flow changelogs changed)...");
            status = maven(log, "package", "-DskipTests", "-Dcheckstyle.skip", "-pl", "pgflow-web", "-am");
        }
        accepted(status == 0); // the caller deploys a good build
        if (status != 0) {
            System.out.println("pgflow: the build failed (exit " + status + "); the running server keeps the last good build."
                    + " Errors (whole output in " + log + "):");
            errors(log).forEach(line -> System.out.println("  " + line));
            return Optional.empty();
        }
        Path built = root.resolve("pgflow-web").resolve("target").resolve("pgflow.war");
        if (!Files.isRegularFile(built)) {
            System.out.println("pgflow: the build succeeded but wrote no " + built + "; the running server keeps the last good build");
            return Optional.empty();
        }
        return Optional.of(built);
    }

    /**
     * What a settled change led to: {@code deploy} when the exploded WAR now holds a new build (the
     * caller redeploys it), with how it was built and the flows whose compiled changelog changed.
     */
    record Outcome(boolean deploy, String built, List<String> changedFlows) {
        static final Outcome NONE = new Outcome(false, "", List.of());
    }

    /**
     * Builds these changes into the exploded WAR: tests only deploy nothing; changes to flow modules
     * only are compiled by the launcher itself in seconds ({@link FastBuild}); any other change takes
     * the full Maven build, whose WAR is copied into the exploded one file by file. A failed build is
     * printed and leaves the exploded WAR as it was.
     */
    Outcome rebuild(List<String> changes, ExplodedWar war) throws IOException, InterruptedException {
        long began = System.nanoTime();
        FastBuild fast = new FastBuild(root, home.resolve("reload").resolve("classes"), System.out);
        switch (fast.need(changes, war)) {
            case NOTHING -> {
                accepted(true);
                System.out.println("pgflow: nothing the server runs changed (tests, the launcher): nothing to redeploy");
                return Outcome.NONE;
            }
            case FAST -> {
                FastBuild.Result result = fast.build(changes, war);
                accepted(result.ok());
                if (!result.ok()) {
                    return Outcome.NONE;
                }
                if (!result.deploy()) {
                    System.out.println("pgflow: compiled " + String.join(", ", result.modules())
                            + " to the same classes and changelogs as the running build: nothing to redeploy");
                    return Outcome.NONE;
                }
                return new Outcome(true, String.format(java.util.Locale.ROOT, "compiled %s in %.1f s",
                        String.join(", ", result.modules()), (System.nanoTime() - began) / 1e9), result.changedFlows());
            }
            default -> {
                System.out.println("pgflow: building with Maven (the change is not only in flow modules)...");
                Map<String, byte[]> changelogsBefore = FastBuild.changelogs(root);
                Optional<Path> built = build();
                if (built.isEmpty()) {
                    return Outcome.NONE;
                }
                List<String> changed = war.sync(built.get());
                if (changed.isEmpty()) {
                    System.out.println("pgflow: built the same WAR as the running one: nothing to redeploy");
                    return Outcome.NONE;
                }
                return new Outcome(true, String.format(java.util.Locale.ROOT, "built with Maven in %.1f s",
                        (System.nanoTime() - began) / 1e9), FastBuild.changedFlows(changelogsBefore, FastBuild.changelogs(root)));
            }
        }
    }

    /** Warms the compiler of the fast reload up (see {@link FastBuild#warmUp}). */
    void warmUp(ExplodedWar war) {
        new FastBuild(root, home.resolve("reload").resolve("classes"), System.out).warmUp(war);
    }

    /** After a build: what it wrote is not a change to react to; a good build is what the server runs next. */
    private void accepted(boolean ok) {
        lastScan = sources.scan();
        lastFingerprint = sources.fingerprint();
        if (ok) {
            runningFingerprint = lastFingerprint;
        }
    }

    /** When the files of the last settled change were saved (milliseconds since 1970). */
    long savedAt() {
        return savedAt;
    }

    /** The fingerprint of the sources the next deployment is built from. */
    String fingerprint() {
        return lastFingerprint;
    }

    private static Map<String, SourceFingerprint.Stamp> changelogs(Map<String, SourceFingerprint.Stamp> scan) {
        Map<String, SourceFingerprint.Stamp> changelogs = new java.util.TreeMap<>(scan);
        changelogs.keySet().removeIf(path -> !path.startsWith(CHANGELOGS));
        return changelogs;
    }

    private int maven(Path log, String... goals) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(root.resolve("mvnw").toString(), "-B", "-T1"));
        command.addAll(buildArgs);
        command.addAll(List.of(goals));
        Process p = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        p.getOutputStream().close();
        if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            Files.writeString(log, "[ERROR] the build took longer than " + BUILD_TIMEOUT_MINUTES + " minutes and was stopped\n",
                    java.nio.file.StandardOpenOption.APPEND);
            return -1;
        }
        return p.exitValue();
    }

    /**
     * The lines of a failed build that say what is wrong: Maven's {@code [ERROR]} lines up to its
     * help footer, and the flow compiler's own lines; the output's last lines when there are none.
     */
    static List<String> errors(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        java.util.Set<String> errors = new java.util.LinkedHashSet<>(); // Maven repeats the compiler's lines
        for (String line : lines) {
            if (line.startsWith("[ERROR] -> [Help") || line.startsWith("[ERROR] To see the full stack trace")) {
                break;
            }
            if ((line.startsWith("[ERROR]") && !line.equals("[ERROR] ")) || line.startsWith("pgflow compile")
                    || line.startsWith("  missing:") || line.startsWith("  differs:")) {
                errors.add(line);
            }
        }
        List<String> shown = errors.isEmpty() ? lines.subList(Math.max(0, lines.size() - 20), lines.size())
                : new ArrayList<>(errors);
        return shown.size() > SHOWN_ERROR_LINES ? shown.subList(0, SHOWN_ERROR_LINES) : shown;
    }
}
