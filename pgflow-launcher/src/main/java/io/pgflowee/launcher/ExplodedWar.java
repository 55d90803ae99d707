package io.pgflowee.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The WAR that Payara Micro runs while {@code ./pgflow} reloads on change, unzipped in
 * {@code PGFLOW_HOME/reload/pgflow/}: a reload changes only the files that differ, writes a new
 * build id, and touches the directory's {@code .reload} file, on which Payara Micro undeploys the
 * application (workers stop gracefully, tasks are handed back) and deploys it again in the same JVM,
 * in about 7 s instead of the ~20 s of a JVM restart. PostgreSQL, Payara's own start-up and the HTTP
 * port stay.
 *
 * <p>Every file is replaced by writing a sibling and renaming it over the old one, so that the
 * running application, which may still read a jar until it is undeployed, reads either the old
 * file or the new one, never half of one.
 */
final class ExplodedWar {

    /** Read by the server's readiness check (data {@code "build"}) to say which deployment answers. */
    static final String BUILD_ID = "WEB-INF/classes/pgflow-build.id";
    static final String RELOAD = ".reload";

    private final Path dir;
    private int deployments;

    ExplodedWar(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path directory() {
        return dir;
    }

    /** Replaces whatever the directory holds with the WAR's content and a first build id; returns that id. */
    String explode(Path war, String sources) throws IOException {
        deleteTree(dir);
        Files.createDirectories(dir);
        sync(war);
        return newBuild(sources);
    }

    /**
     * Makes the directory hold exactly the WAR's files, writing only those whose content differs and
     * deleting those the WAR no longer has. Returns the entries written or deleted.
     */
    List<String> sync(Path war) throws IOException {
        List<String> changed = new ArrayList<>();
        Set<String> entries = new HashSet<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(war))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.isDirectory()) {
                    continue;
                }
                Path target = entry(e.getName());
                entries.add(dir.relativize(target).toString().replace('\\', '/'));
                byte[] content = zip.readAllBytes();
                if (!sameContent(target, content)) {
                    write(target, content);
                    changed.add(e.getName());
                }
            }
        }
        List<Path> stale = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = dir.relativize(file).toString().replace('\\', '/');
                if (!entries.contains(name) && !name.equals(RELOAD) && !name.equals(BUILD_ID)) {
                    stale.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path file : stale) {
            Files.delete(file);
            changed.add(dir.relativize(file).toString().replace('\\', '/') + " (removed)");
        }
        return changed;
    }

    /** Puts one file ({@code WEB-INF/lib/x.jar}); true when its content differed. */
    boolean put(String name, byte[] content) throws IOException {
        Path target = entry(name);
        if (sameContent(target, content)) {
            return false;
        }
        write(target, content);
        return true;
    }

    /** The file of an entry, when the deployment has it. */
    Optional<Path> file(String name) {
        Path target = entry(name);
        return Files.isRegularFile(target) ? Optional.of(target) : Optional.empty();
    }

    /** The jar in {@code WEB-INF/lib} whose name starts with {@code prefix} and goes on with a version. */
    Optional<String> libraryStartingWith(String prefix) throws IOException {
        Path lib = dir.resolve("WEB-INF").resolve("lib");
        if (!Files.isDirectory(lib)) {
            return Optional.empty();
        }
        try (var files = Files.list(lib)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".jar") && n.startsWith(prefix) && n.length() > prefix.length()
                            && Character.isDigit(n.charAt(prefix.length())))
                    .sorted().findFirst().map(n -> "WEB-INF/lib/" + n);
        }
    }

    /**
     * Writes a new build id ({@code <n>-<first 12 of the sources' fingerprint>}) for the next deployment
     * and returns it: the launcher waits for readiness to answer with it.
     */
    String newBuild(String sources) throws IOException {
        deployments++;
        String id = deployments + "-" + (sources == null ? "unknown" : sources.substring(0, Math.min(12, sources.length())));
        write(entry(BUILD_ID), (id + "\n").getBytes(StandardCharsets.UTF_8));
        return id;
    }

    /** Asks the running Payara Micro to redeploy the directory (it watches {@code .reload}'s time). */
    void touchReload() throws IOException {
        Path reload = dir.resolve(RELOAD);
        if (!Files.exists(reload)) {
            Files.createFile(reload);
        }
        Files.setLastModifiedTime(reload, FileTime.fromMillis(System.currentTimeMillis()));
    }

    private Path entry(String name) {
        Path target = dir.resolve(name).normalize();
        if (!target.startsWith(dir) || target.equals(dir)) {
            throw new LaunchException("PGFLOW-015 the WAR has an entry outside its directory: " + name);
        }
        return target;
    }

    private static boolean sameContent(Path file, byte[] content) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) != content.length) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readAllBytes(), content);
        }
    }

    private static void write(Path target, byte[] content) throws IOException {
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.write(partial, content);
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw new UncheckedIOException(e);
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
