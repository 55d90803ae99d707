package io.pgflowee.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** File chores of the tests (process-level ones, the streaming replica's). */
public final class TestFiles {

    private TestFiles() {
    }

    /** Deletes a directory tree (nothing when it does not exist); fails on a file it cannot delete. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
