package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reload watcher's pieces that need no server (LauncherIT runs the whole loop). */
class ReloaderTest {

    @Test
    void aFailedBuildIsToldByItsErrorLinesOnceEach() throws Exception {
        Path log = Path.of(getClass().getResource("/maven-build-failure.txt").toURI());
        assertThat(Reloader.errors(log)).containsExactly(
                "[ERROR] COMPILATION ERROR : ",
                "[ERROR] /home/you/pgflow-ee/flows/src/main/java/com/example/flows/Broken.java:[2,24] illegal start of expression",
                "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.14.0:compile (default-compile)"
                        + " on project pgflow-flows: Compilation failure");
    }

    @Test
    void aFlowChangedWithoutRecompilingIsToldByTheFlowCompilerLines(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("build.log");
        Files.writeString(log, "[INFO] --- exec:3.5.1:java (check-flows) @ pgflow-flows ---\n"
                + "pgflow compile --check: 1 changelog(s) out of date in /p/liquibase/flows:\n"
                + "  differs:  /p/liquibase/flows/shout.sql (flow shout changed since it was compiled; line 6: ...)\n"
                + "[INFO] BUILD FAILURE\n");
        assertThat(Reloader.errors(log)).containsExactly(
                "pgflow compile --check: 1 changelog(s) out of date in /p/liquibase/flows:",
                "  differs:  /p/liquibase/flows/shout.sql (flow shout changed since it was compiled; line 6: ...)");
        // output without error lines (a killed build): its last lines
        Files.writeString(log, "one\ntwo\n");
        assertThat(Reloader.errors(log)).containsExactly("one", "two");
    }

    @Test
    void changesAreDescribedShortlyAndTheLauncherItselfIsNoticed() {
        List<String> many = List.of("a (added)", "b (changed)", "c (changed)", "d (removed)", "e (added)", "f (added)", "g (added)");
        assertThat(Reloader.describe(many)).isEqualTo("a (added), b (changed), c (changed), d (removed), e (added) and 2 more");
        assertThat(Reloader.describe(List.of("flows/X.java (added)"))).isEqualTo("flows/X.java (added)");
        assertThat(Reloader.touchesLauncher(List.of("flows/X.java (added)"))).isFalse();
        assertThat(Reloader.touchesLauncher(List.of("flows/X.java (added)", "pgflow-launcher/src/main/java/L.java (changed)")))
                .isTrue();
    }

    @Test
    void theSourceTreeIsTheLauncherJarsProjectOrTheConfiguredOne(@TempDir Path dir) throws Exception {
        Path project = dir.resolve("project");
        Files.createDirectories(project.resolve("pgflow-web"));
        Files.createDirectories(project.resolve("pgflow-launcher/target"));
        Files.writeString(project.resolve("pom.xml"), "<project/>");
        Files.writeString(project.resolve("mvnw"), "#!/bin/sh\n");
        assertThat(Reloader.sourceRoot(null, project.resolve("pgflow-launcher/target"))).contains(project);
        assertThat(Reloader.sourceRoot("", project.resolve("pgflow-launcher/target"))).contains(project);
        // a launcher copied elsewhere: no source tree, no reload
        Files.createDirectories(dir.resolve("opt/pgflow/lib"));
        assertThat(Reloader.sourceRoot(null, dir.resolve("opt/pgflow/lib"))).isEmpty();
        assertThat(Reloader.sourceRoot(project.toString(), dir.resolve("opt/pgflow/lib"))).contains(project);
        assertThatThrownBy(() -> Reloader.sourceRoot(dir.resolve("opt").toString(), dir))
                .hasMessage("PGFLOW-006 PGFLOW_SOURCE_DIR=" + dir.resolve("opt") + " is not the pgflow project (no pom.xml, mvnw and"
                        + " pgflow-web there)");
    }

    @Test
    void aBrokenEditUndoneNeedsNoBuildAndNoRestartAndAnotherChangeDoes(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("pom.xml"), "<project/>\n");
        Files.writeString(root.resolve("mvnw"), "#!/bin/sh\necho '[ERROR] COMPILATION ERROR : '\nexit 1\n"); // every build fails
        Files.setPosixFilePermissions(root.resolve("mvnw"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path handler = Files.createDirectories(root.resolve("flows/src/main/java")).resolve("MyFlow.java");
        Files.writeString(handler, "class MyFlow { /* the running build */ }\n");
        Files.createDirectories(root.resolve("pgflow-web"));
        Reloader reloader = new Reloader(root, Files.createTempDirectory("pgflow-home"), null); // outside the watched tree
        java.io.PrintStream console = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true));
        try {
            Files.writeString(handler, "class MyFlow { broken( }\n");
            assertThat(reloader.settledChanges()).containsExactly("flows/src/main/java/MyFlow.java (changed)");
            assertThat(reloader.build()).as("the broken edit does not build").isEmpty();

            Files.writeString(handler, "class MyFlow { /* the running build */ }\n"); // undone
            assertThat(reloader.settledChanges()).isEmpty();

            Files.writeString(handler, "class MyFlow { /* something new */ }\n");
            assertThat(reloader.settledChanges()).containsExactly("flows/src/main/java/MyFlow.java (changed)");
        } finally {
            System.setOut(console);
        }
        assertThat(printed.toString()).contains("pgflow: changed: flows/src/main/java/MyFlow.java (changed); the sources are as the"
                + " running server's build again: nothing to rebuild");
    }
}
