package io.pgflowee.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The application's sources as the launcher sees them, to decide whether to build: every file of
 * every module directory under the project root (the engine's modules, {@code flows/}, any module a
 * user adds), plus the root {@code pom.xml}. Skipped: build output ({@code target/}), VCS and IDE
 * folders, the modules {@code ./pgflow} does not run ({@code pgflow-it}, {@code pgflow-bench}),
 * {@code docs/}, Markdown files and editor swap files.
 *
 * <p>{@link #fingerprint()} hashes paths and contents, so a touched but unchanged file, or a
 * checkout that restores the same content, does not force a build; any added, removed or edited
 * file does. {@link #scan()} is the cheap pass (sizes and modification times) the reload watcher
 * polls; {@link #changes} names what differs between two scans.
 *
 * <p>{@code java -cp pgflow-launcher.jar io.pgflowee.launcher.SourceFingerprint <root>} prints
 * the fingerprint (the {@code pgflow} script compares it with the one of the last build).
 */
public final class SourceFingerprint {

    private static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", ".git", ".idea", ".vscode", ".settings",
            "node_modules", ".mvn");
    private static final Set<String> SKIPPED_TOP_DIRECTORIES = Set.of("docs", "pgflow-it", "pgflow-bench", ".ci", ".github");

    /** A file's size and modification time: what changes when it is edited. */
    public record Stamp(long size, long modified) {
    }

    private final Path root;

    public SourceFingerprint(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: SourceFingerprint <project root>");
            System.exit(2);
        }
        System.out.println(new SourceFingerprint(Path.of(args[0])).fingerprint());
    }

    /** The source files by path relative to the root ({@code /} separated), with their stamps. */
    public Map<String, Stamp> scan() {
        Map<String, Stamp> files = new TreeMap<>();
        try {
            Path rootPom = root.resolve("pom.xml");
            if (Files.isRegularFile(rootPom)) {
                files.put("pom.xml", stamp(Files.readAttributes(rootPom, BasicFileAttributes.class)));
            }
            try (var top = Files.list(root)) {
                for (Path dir : top.sorted().toList()) {
                    String name = dir.getFileName().toString();
                    if (Files.isDirectory(dir) && !SKIPPED_DIRECTORIES.contains(name) && !SKIPPED_TOP_DIRECTORIES.contains(name)) {
                        walk(dir, files);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sources under " + root + ": " + e.getMessage(), e);
        }
        return files;
    }

    private void walk(Path dir, Map<String, Stamp> files) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                return SKIPPED_DIRECTORIES.contains(d.getFileName().toString()) ? FileVisitResult.SKIP_SUBTREE
                        : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                if (attrs.isRegularFile() && !skippedFile(name)) {
                    files.put(root.relativize(file).toString().replace('\\', '/'), stamp(attrs));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // deleted while walking: the next scan sees it gone
            }
        });
    }

    private static boolean skippedFile(String name) {
        return name.endsWith(".md") || name.endsWith(".swp") || name.endsWith(".swx") || name.endsWith("~")
                || name.startsWith(".#") || name.equals(".DS_Store");
    }

    private static Stamp stamp(BasicFileAttributes attrs) {
        return new Stamp(attrs.size(), attrs.lastModifiedTime().toMillis());
    }

    /** SHA-256 over every source file's path and content, in path order. */
    public String fingerprint() {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String path : scan().keySet()) {
            digest.update(path.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            try {
                digest.update(Files.readAllBytes(root.resolve(path)));
            } catch (IOException e) {
                digest.update("<unreadable>".getBytes(StandardCharsets.UTF_8)); // deleted meanwhile
            }
            digest.update((byte) 0);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** What differs between two scans: {@code "path (added)"}, {@code "(removed)"}, {@code "(changed)"}, in path order. */
    public static List<String> changes(Map<String, Stamp> before, Map<String, Stamp> after) {
        Map<String, String> changes = new TreeMap<>();
        after.forEach((path, stamp) -> {
            Stamp old = before.get(path);
            if (old == null) {
                changes.put(path, "added");
            } else if (!old.equals(stamp)) {
                changes.put(path, "changed");
            }
        });
        before.keySet().stream().filter(p -> !after.containsKey(p)).forEach(p -> changes.put(p, "removed"));
        List<String> list = new ArrayList<>();
        changes.forEach((path, what) -> list.add(path + " (" + what + ")"));
        return list;
    }
}
