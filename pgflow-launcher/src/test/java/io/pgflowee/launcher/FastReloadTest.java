package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pieces of the fast reload that need no server: which changes take which way, the exploded
 * WAR's file-by-file sync, the jars the launcher writes, the readiness build id, the shape check of
 * a compiled changelog. LauncherIT runs the whole loop against Payara Micro and measures it.
 */
class FastReloadTest {

    @Test
    void testsAndTheLauncherDeployNothingFlowModulesAreFastAnythingElseIsMaven(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("project");
        flowModule(root, "flows", "pgflow-flows-0.1.0-SNAPSHOT.jar");
        Files.createDirectories(root.resolve("pgflow-ejb/target"));
        Files.writeString(root.resolve("pgflow-ejb/pom.xml"), "<project><artifactId>pgflow-ejb</artifactId></project>");
        // a module that lists the flow compiler but whose jar is not in the WAR (not a dependency of it)
        flowModule(root, "elsewhere", "elsewhere-1.jar");
        ExplodedWar war = new ExplodedWar(dir.resolve("war"));
        war.put("WEB-INF/lib/pgflow-flows-0.1.0-SNAPSHOT.jar", new byte[] {1});
        war.put("WEB-INF/lib/pgflow-ejb-0.1.0-SNAPSHOT.jar", new byte[] {2});
        FastBuild fast = new FastBuild(root, dir.resolve("work"), System.out);

        assertThat(fast.need(List.of("flows/src/test/java/MyFlowTest.java (changed)",
                "pgflow-launcher/src/main/java/io/pgflowee/launcher/Launcher.java (changed)"), war)).isEqualTo(FastBuild.Need.NOTHING);
        assertThat(fast.need(List.of("flows/src/main/java/com/example/MyFlow.java (added)",
                "flows/src/main/resources/META-INF/beans.xml (changed)", "liquibase/flows/my_flow.sql (changed)",
                "flows/src/test/java/MyFlowTest.java (changed)"), war)).isEqualTo(FastBuild.Need.FAST);
        assertThat(fast.need(List.of("flows/src/main/java/com/example/MyFlow.java (changed)", "flows/pom.xml (changed)"), war))
                .as("a pom: dependencies may have changed").isEqualTo(FastBuild.Need.FULL);
        assertThat(fast.need(List.of("pgflow-ejb/src/main/java/io/pgflowee/engine/X.java (changed)"), war))
                .as("the engine: other modules are compiled against it").isEqualTo(FastBuild.Need.FULL);
        assertThat(fast.need(List.of("elsewhere/src/main/java/A.java (changed)"), war)).isEqualTo(FastBuild.Need.FULL);
        assertThat(fast.need(List.of("liquibase/core/010-definitions.sql (changed)"), war)).isEqualTo(FastBuild.Need.FULL);
        assertThat(FastBuild.modules(List.of("flows/src/main/java/A.java (changed)", "liquibase/flows/a.sql (added)",
                "flows/src/main/resources/x.txt (removed)", "pgflow-examples/src/main/java/B.java (changed)")))
                .containsExactly("flows", "pgflow-examples");
    }

    @Test
    void aFlowModuleIsCompiledItsFlowsCompiledAndItsJarAndTheChangelogJarPutInTheWar(@TempDir Path dir) throws Exception {
        // a real module: the classpath is the launcher's own test classpath (pgflow-api and the Jakarta APIs are on it)
        Path root = dir.resolve("project");
        flowModule(root, "flows", "pgflow-flows-0.1.0-SNAPSHOT.jar");
        Files.writeString(root.resolve("flows/target/pgflow-classpath.txt"), System.getProperty("java.class.path"));
        Path source = root.resolve("flows/src/main/java/com/example/Shout.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, """
                package com.example;
                public class Shout implements io.pgflowee.api.flow.FlowDefinition {
                    public record Input(String text) {}
                    @Override
                    public io.pgflowee.api.flow.Flow<Input> flow() {
                        var flow = io.pgflowee.api.flow.Flow.define("shout", Input.class);
                        flow.step("loud", String.class).run(in -> in.text().toUpperCase());
                        flow.schedule("shout_daily", "0 9 * * *", new Input("hey")).timeZone("Europe/Berlin");
                        return flow;
                    }
                }
                """);
        Files.createDirectories(root.resolve("flows/src/main/resources/META-INF"));
        Files.writeString(root.resolve("flows/src/main/resources/META-INF/beans.xml"), "<beans bean-discovery-mode=\"all\"/>");
        Files.createDirectories(root.resolve("liquibase/flows"));
        ExplodedWar war = new ExplodedWar(dir.resolve("war"));
        war.put("WEB-INF/lib/pgflow-flows-0.1.0-SNAPSHOT.jar", new byte[] {1});
        war.put("WEB-INF/lib/pgflow-liquibase-0.1.0-SNAPSHOT.jar", jar(Map.of("pgflow/db/changelog.xml", "<master/>",
                "pgflow/db/core/010.sql", "core", "pgflow/db/flows/changelog.xml", "<none/>", "pgflow/db/flows/old.sql", "old")));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        FastBuild fast = new FastBuild(root, dir.resolve("work"), new PrintStream(printed, true, StandardCharsets.UTF_8));
        List<String> changes = List.of("flows/src/main/java/com/example/Shout.java (added)");

        FastBuild.Result result = fast.build(changes, war);

        assertThat(printed.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(result).isEqualTo(new FastBuild.Result(true, true, List.of("flows"), List.of("shout")));
        assertThat(Files.readString(root.resolve("liquibase/flows/shout.sql"))).contains("SELECT pgflow.create_flow('shout'")
                .contains("SELECT pgflow.add_step('shout', 'loud');").contains("SELECT count(*) FROM pgflow.apply_flow_schedules('shout',"
                        + " '[{\"name\":\"shout_daily\",\"cron\":\"0 9 * * *\",\"input\":{\"text\":\"hey\"},\"time_zone\":\"Europe/Berlin\","
                        + "\"catch_up\":\"latest\"}]'::jsonb);");
        assertThat(entries(war.file("WEB-INF/lib/pgflow-flows-0.1.0-SNAPSHOT.jar").orElseThrow())).containsOnlyKeys(
                "META-INF/", "META-INF/MANIFEST.MF", "META-INF/beans.xml", "com/", "com/example/", "com/example/Shout.class",
                "com/example/Shout$Input.class");
        Map<String, String> liquibase = entries(war.file("WEB-INF/lib/pgflow-liquibase-0.1.0-SNAPSHOT.jar").orElseThrow());
        assertThat(liquibase).containsOnlyKeys("pgflow/db/changelog.xml", "pgflow/db/core/010.sql", "pgflow/db/flows/",
                "pgflow/db/flows/changelog.xml", "pgflow/db/flows/shout.sql");
        assertThat(liquibase.get("pgflow/db/flows/shout.sql")).isEqualTo(Files.readString(root.resolve("liquibase/flows/shout.sql")));
        assertThat(liquibase.get("pgflow/db/flows/changelog.xml")).contains("<include file=\"shout.sql\"");

        // the same sources again: the same jars, byte for byte, so nothing to redeploy
        assertThat(fast.build(changes, war)).isEqualTo(new FastBuild.Result(true, false, List.of("flows"), List.of()));

        // a compile error: told with file and line, nothing put in the WAR
        byte[] before = Files.readAllBytes(war.file("WEB-INF/lib/pgflow-flows-0.1.0-SNAPSHOT.jar").orElseThrow());
        Files.writeString(source, Files.readString(source).replace("toUpperCase()", "toUpperCase("));
        assertThat(fast.build(changes, war)).isEqualTo(new FastBuild.Result(false, false, List.of(), List.of()));
        assertThat(printed.toString(StandardCharsets.UTF_8)).startsWith(
                "pgflow: flows does not compile; the running server keeps the last good build:\n"
                        + "  flows/src/main/java/com/example/Shout.java:7: ')' expected");
        assertThat(Files.readAllBytes(war.file("WEB-INF/lib/pgflow-flows-0.1.0-SNAPSHOT.jar").orElseThrow())).isEqualTo(before);
    }

    @Test
    void theExplodedWarChangesOnlyWhatDiffersAndKeepsItsBuildIdAndReloadFile(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("first.war");
        Files.write(first, jar(Map.of("index.html", "one", "WEB-INF/lib/a.jar", "a", "WEB-INF/web.xml", "<web/>")));
        ExplodedWar war = new ExplodedWar(dir.resolve("pgflow"));
        assertThat(war.explode(first, "0123456789abcdef0123")).isEqualTo("1-0123456789ab");
        assertThat(Files.readString(dir.resolve("pgflow/WEB-INF/classes/pgflow-build.id"))).isEqualTo("1-0123456789ab\n");
        assertThat(Files.readString(dir.resolve("pgflow/index.html"))).isEqualTo("one");
        war.touchReload();
        long reloadedAt = Files.getLastModifiedTime(dir.resolve("pgflow/.reload")).toMillis();
        assertThat(reloadedAt).isGreaterThan(System.currentTimeMillis() - 60_000);

        Path second = dir.resolve("second.war");
        Files.write(second, jar(Map.of("index.html", "two", "WEB-INF/lib/a.jar", "a", "WEB-INF/lib/b.jar", "b")));
        assertThat(war.sync(second)).containsExactlyInAnyOrder("index.html", "WEB-INF/lib/b.jar", "WEB-INF/web.xml (removed)");
        assertThat(war.sync(second)).as("the same WAR again").isEmpty();
        assertThat(war.file(".reload")).isPresent();
        assertThat(war.file("WEB-INF/classes/pgflow-build.id")).isPresent();
        assertThat(war.libraryStartingWith("a")).isEmpty(); // "a.jar" has no version after the prefix
        war.put("WEB-INF/lib/pgflow-liquibase-0.1.0-SNAPSHOT.jar", new byte[] {1});
        assertThat(war.libraryStartingWith("pgflow-liquibase-")).contains("WEB-INF/lib/pgflow-liquibase-0.1.0-SNAPSHOT.jar");
        assertThat(war.put("WEB-INF/lib/pgflow-liquibase-0.1.0-SNAPSHOT.jar", new byte[] {1})).isFalse();
        assertThat(war.newBuild("fedcba9876543210")).isEqualTo("2-fedcba987654");

        Path evil = dir.resolve("evil.war");
        Files.write(evil, jar(Map.of("../outside.txt", "x")));
        assertThatThrownBy(() -> war.sync(evil)).hasMessage("PGFLOW-015 the WAR has an entry outside its directory: ../outside.txt");
        assertThat(dir.resolve("outside.txt")).doesNotExist();
    }

    @Test
    void theBuildIdIsReadFromTheReadinessAnswer() {
        assertThat(ReadinessReasons.build("{\"status\":\"UP\",\"checks\":[{\"name\":\"pgflow-database\",\"status\":\"UP\",\"data\":{}},"
                + "{\"name\":\"pgflow-flows\",\"status\":\"UP\",\"data\":{\"build\":\"3-0123456789ab\",\"flow.a\":\"verified\"}}]}"))
                .isEqualTo("3-0123456789ab");
        assertThat(ReadinessReasons.build("{\"status\":\"UP\",\"checks\":[]}")).isNull();
        assertThat(ReadinessReasons.build("<html>404</html>")).isNull();
    }

    @Test
    void theShapeCheckOfACompiledChangelogIsItsPrecondition(@TempDir Path dir) throws IOException {
        Path changelog = dir.resolve("my_flow.sql");
        Files.writeString(changelog, "--liquibase formatted sql\n\n--changeset pgflow-flows:my_flow runAlways:true runOnChange:true\n"
                + "--preconditions onFail:HALT onError:HALT\n"
                + "--precondition-sql-check expectedResult:0 SELECT pgflow.verify_compiled_flow('my_flow', '{\"steps\":[]}'::jsonb)\n"
                + "SELECT pgflow.create_flow('my_flow');\n");
        assertThat(DevFlows.shapeCheck(changelog)).contains("SELECT pgflow.verify_compiled_flow('my_flow', '{\"steps\":[]}'::jsonb)");
        // the shape in it, quotes doubled as SQL writes them
        assertThat(DevFlows.shape("SELECT pgflow.verify_compiled_flow('it''s', '{\"steps\":[{\"slug\":\"a\",\"options\":"
                + "{\"timeout\":9}}],\"options\":{\"maxAttempts\":4},\"note\":\"O''Brien\"}'::jsonb)").orElseThrow().toString())
                .isEqualTo("{\"steps\":[{\"slug\":\"a\",\"options\":{\"timeout\":9}}],\"options\":{\"maxAttempts\":4},\"note\":\"O'Brien\"}");
        assertThat(DevFlows.shape("SELECT 1")).isEmpty();
        Files.writeString(changelog, "--liquibase formatted sql\n--changeset me:1\nSELECT 1;\n");
        assertThat(DevFlows.shapeCheck(changelog)).isEmpty();
        assertThat(DevFlows.shapeCheck(dir.resolve("gone.sql"))).isEmpty();
        assertThat(new DevFlows("jdbc:postgresql://nowhere/x", "u", "p", dir, System.out).compiledFlows()).containsExactly("my_flow");
    }

    private static void flowModule(Path root, String module, String jar) throws IOException {
        Files.createDirectories(root.resolve(module).resolve("target"));
        Files.writeString(root.resolve(module).resolve("pom.xml"), "<project><build><plugins><plugin>"
                + "<groupId>org.codehaus.mojo</groupId><artifactId>exec-maven-plugin</artifactId></plugin></plugins></build></project>");
        Files.writeString(root.resolve(module).resolve("target/pgflow-classpath.txt"), "/nowhere/api.jar");
        Files.write(root.resolve(module).resolve("target").resolve(jar), new byte[] {0});
    }

    private static byte[] jar(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes)) {
            for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
                jar.putNextEntry(new JarEntry(f.getKey()));
                jar.write(f.getValue().getBytes(StandardCharsets.UTF_8));
                jar.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static Map<String, String> entries(Path jar) throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return entries;
    }
}
