package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The project's own files, for the tests that check the code against the docs and the rules of
 * docs/architecture.md: the project root, the main sources of every module, and which source lines
 * are comments.
 */
final class ProjectTree {

    private ProjectTree() {
    }

    /** The project root: the directory above the working directory that holds DEVELOPING.md and the root pom. */
    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isRegularFile(dir.resolve("DEVELOPING.md")) && Files.isRegularFile(dir.resolve("pom.xml")))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the project root (DEVELOPING.md, pom.xml) above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    /** Every file under {@code start} (relative to the root) whose name ends with one of {@code suffixes}, build output aside, sorted. */
    static List<Path> files(String start, String... suffixes) throws IOException {
        Path from = root().resolve(start);
        assertThat(from).as("a directory of the project").isDirectory();
        try (Stream<Path> files = Files.walk(from)) {
            return files.filter(f -> !f.toString().contains("/target/") && !f.toString().contains("/.git/")
                    && Stream.of(suffixes).anyMatch(s -> f.toString().endsWith(s))).sorted().toList();
        }
    }

    /** The main sources of every module ({@code <module>/src/main/...}) ending with one of {@code suffixes}. */
    static List<Path> mainSources(String... suffixes) throws IOException {
        return files(".", suffixes).stream().filter(f -> f.toString().contains("/src/main/")).toList();
    }

    /** Whether a source line is (part of) a comment: {@code //}, {@code /*} or a Javadoc/block line starting with {@code *}. */
    static boolean isComment(String line) {
        String code = line.strip();
        return code.startsWith("//") || code.startsWith("*") || code.startsWith("/*");
    }
}
