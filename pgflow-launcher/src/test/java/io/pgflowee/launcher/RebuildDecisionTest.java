package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code pgflow} script's build decision, run for real ({@code sh pgflow build}) in a project
 * laid out like ours, with a stand-in {@code mvnw} that records each build and produces the
 * launcher jar (holding the real {@link SourceFingerprint}): a changed file in any module, the flows
 * module and a module the user added included, builds; nothing changed, touched files, build output,
 * docs and test-only modules do not.
 */
class RebuildDecisionTest {

    private static final List<String> MODULE_FILES = List.of(
            "pom.xml",
            "liquibase/core/010-schema.sql",
            "liquibase/flows/greet_user.sql",
            "pgflow-api/src/main/java/Api.java",
            "pgflow-ejb/src/main/java/Engine.java",
            "pgflow-web/src/main/webapp/index.xhtml",
            "pgflow-ear/pom.xml",
            "pgflow-launcher/src/main/java/Launcher.java",
            "pgflow-examples/src/main/java/GreetUser.java",
            "flows/src/main/java/com/example/flows/MyFlow.java",
            "billing-flows/src/main/resources/META-INF/beans.xml");

    @TempDir
    Path project;

    private Path builds;

    @BeforeEach
    void layOut() throws IOException {
        Files.copy(Path.of("../pgflow"), project.resolve("pgflow"));
        for (String file : MODULE_FILES) {
            write(file, "version 1 of " + file + "\n");
        }
        for (String file : List.of("README.md", "docs/performance.md", "pgflow-it/src/test/java/SomeIT.java",
                "pgflow-bench/src/main/java/Bench.java", "pgflow-ejb/target/classes/Engine.class")) {
            write(file, "not a source of the running application\n");
        }
        // the stand-in Maven: records the build, then "produces" the launcher jar like the real build
        Path jar = launcherJar();
        builds = project.resolve("builds.log");
        write("mvnw", "#!/bin/sh\n"
                + "echo \"$*\" >> builds.log\n"
                + "if [ -f fail-build ]; then echo '[ERROR] COMPILATION ERROR' >&2; exit 1; fi\n"
                // a real build takes seconds; without the pause the changelog could get the same (coarse, per clock tick)
                // modification time as the script's mark file, and `find -newer` would not see it (a flaky failure under load)
                + "if [ -f writes-changelog ]; then rm writes-changelog; sleep 0.1; echo 'compiled' > liquibase/flows/my_flow.sql; fi\n"
                + "mkdir -p pgflow-launcher/target && cp '" + jar + "' pgflow-launcher/target/pgflow-launcher.jar\n");
        Files.setPosixFilePermissions(project.resolve("mvnw"), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A jar with the launcher's compiled SourceFingerprint, as the real build's jar has it. */
    private Path launcherJar() throws IOException {
        Path jar = project.resolveSibling(project.getFileName() + "-launcher.jar");
        Path classes = Path.of("target/classes");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
                Stream<Path> all = Files.walk(classes.resolve("io/pgflowee/launcher"))) {
            for (Path c : all.filter(p -> p.getFileName().toString().startsWith("SourceFingerprint")).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(c).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(c));
                out.closeEntry();
            }
        }
        return jar;
    }

    private void write(String file, String content) throws IOException {
        Path path = project.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
    }

    private record Outcome(int status, String output, List<String> commands) {
        int builds() {
            return commands.size();
        }
    }

    private Outcome pgflowBuild() throws Exception {
        return pgflowBuild(Map.of());
    }

    private Outcome pgflowBuild(Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", "pgflow", "build").directory(project.toFile()).redirectErrorStream(true);
        builder.environment().remove("PGFLOW_BUILD_ARGS");
        builder.environment().putAll(env);
        Process p = builder.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> commands = Files.exists(builds) ? Files.readAllLines(builds) : List.of();
        Files.deleteIfExists(builds);
        return new Outcome(p.exitValue(), output, commands);
    }

    @Test
    void aChangedFileInAnyModuleBuildsAndNothingChangedDoesNot() throws Exception {
        Outcome first = pgflowBuild();
        assertThat(first.status()).isZero();
        assertThat(first.output()).isEqualTo("pgflow: building (first run)...\n");
        assertThat(first.builds()).isEqualTo(1);

        Outcome again = pgflowBuild();
        assertThat(again.output()).isEqualTo("pgflow: up to date (no source changed since the last build)\n");
        assertThat(again.builds()).isZero();

        for (String file : MODULE_FILES) {
            write(file, "version 2 of " + file + "\n");
            Outcome changed = pgflowBuild();
            assertThat(changed.output()).as(file).isEqualTo("pgflow: building (sources changed since the last build)...\n");
            assertThat(changed.builds()).as(file).isEqualTo(1);
            assertThat(pgflowBuild().builds()).as("after building " + file).isZero();
        }

        // a new file, and a deleted one, are changes too
        write("flows/src/main/java/com/example/flows/SecondFlow.java", "class SecondFlow {}\n");
        assertThat(pgflowBuild().builds()).isEqualTo(1);
        Files.delete(project.resolve("flows/src/main/java/com/example/flows/SecondFlow.java"));
        assertThat(pgflowBuild().builds()).isEqualTo(1);

        // not sources of the application: build output, docs, README, test-only modules, a touch
        write("pgflow-ejb/target/classes/Engine.class", "recompiled\n");
        write("docs/performance.md", "new figures\n");
        write("README.md", "edited\n");
        write("pgflow-it/src/test/java/SomeIT.java", "a new test\n");
        write("pgflow-bench/src/main/java/Bench.java", "a new benchmark\n");
        write("flows/src/main/java/com/example/flows/.MyFlow.java.swp", "editor swap file\n");
        Files.setLastModifiedTime(project.resolve("pgflow-api/src/main/java/Api.java"),
                FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        Outcome untouched = pgflowBuild();
        assertThat(untouched.output()).isEqualTo("pgflow: up to date (no source changed since the last build)\n");
        assertThat(untouched.builds()).isZero();
    }

    @Test
    void aBuildThatRewritesACompiledChangelogRunsOnceMoreAndAFailedBuildIsRetriedNextTime() throws Exception {
        assertThat(pgflowBuild().builds()).isEqualTo(1);

        // the first build compiles a changed flow to liquibase/flows after that module was packaged
        write("flows/src/main/java/com/example/flows/MyFlow.java", "a new step\n");
        write("writes-changelog", "");
        Outcome twice = pgflowBuild();
        assertThat(twice.output()).isEqualTo("pgflow: building (sources changed since the last build)...\n"
                + "pgflow: building again (compiled flow changelogs changed)...\n");
        assertThat(twice.commands()).containsExactly(
                "-q -B -T1 install -DskipTests -Dcheckstyle.skip -Pcompile-flows -pl pgflow-launcher -am",
                "-q -B -T1 install -DskipTests -Dcheckstyle.skip -pl pgflow-launcher -am");
        assertThat(pgflowBuild().builds()).isZero();

        write("pgflow-ejb/src/main/java/Engine.java", "does not compile\n");
        write("fail-build", "");
        Outcome failed = pgflowBuild();
        assertThat(failed.status()).isEqualTo(1);
        assertThat(failed.output()).contains("[ERROR] COMPILATION ERROR",
                "pgflow: the build failed (errors above); fix them and run ./pgflow again");
        Files.delete(project.resolve("fail-build"));
        Outcome retried = pgflowBuild();
        assertThat(retried.status()).isZero();
        assertThat(retried.builds()).isEqualTo(1);
    }

    @Test
    void theBuildCompilesFlowsAndInstallsTheLauncherWithItsModulesWithTheUsersMavenArguments() throws Exception {
        Outcome first = pgflowBuild(Map.of("PGFLOW_BUILD_ARGS", "-o -Dmaven.repo.local=/tmp/m2"));
        assertThat(first.commands()).containsExactly(
                "-q -B -T1 -o -Dmaven.repo.local=/tmp/m2 install -DskipTests -Dcheckstyle.skip -Pcompile-flows -pl pgflow-launcher -am");
    }

    @Test
    void scansNameWhatChanged() throws IOException {
        SourceFingerprint sources = new SourceFingerprint(project);
        Map<String, SourceFingerprint.Stamp> before = sources.scan();
        assertThat(before).containsOnlyKeys(MODULE_FILES);
        write("flows/src/main/java/com/example/flows/MyFlow.java", "edited, longer than before\n");
        write("flows/src/main/java/com/example/flows/Other.java", "new\n");
        Files.delete(project.resolve("pgflow-ear/pom.xml"));
        assertThat(SourceFingerprint.changes(before, sources.scan())).containsExactly(
                "flows/src/main/java/com/example/flows/MyFlow.java (changed)",
                "flows/src/main/java/com/example/flows/Other.java (added)",
                "pgflow-ear/pom.xml (removed)");
    }
}
