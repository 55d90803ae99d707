package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The rules of docs/architecture.md, checked on the main sources (imports and fully qualified names
 * alike), so that a change that breaks one fails the build instead of waiting for a reviewer.
 */
class ArchitectureRulesTest {

    @Test
    void theDatabaseLayerKnowsNothingAboveIt() throws IOException {
        assertThat(references("pgflow-ejb/src/main/java/io/pgflowee/engine/db",
                "io\\.pgflowee\\.engine\\.(flows|worker|control|query|model|events|jobs|health|metrics)\\.")).isEmpty();
    }

    @Test
    void theWebModuleNeverTouchesTheWorkers() throws IOException {
        assertThat(references("pgflow-web/src/main/java", "io\\.pgflowee\\.engine\\.worker\\.")).isEmpty();
    }

    @Test
    void theApiFlowAuthorsCompileAgainstDependsOnNothingOfTheServer() throws IOException {
        assertThat(references("pgflow-api/src/main/java", "io\\.pgflowee\\.(engine|web|launcher|migrations)\\.")).isEmpty();
    }

    @Test
    void theEngineAndTheWebChangeRunStateOnlyThroughSqlFunctions() throws IOException {
        List<String> writes = new ArrayList<>();
        writes.addAll(references("pgflow-ejb/src/main/java", "(?i)(insert\\s+into|update|delete\\s+from)\\s+pgflow\\.[a-z_]+"));
        writes.addAll(references("pgflow-web/src/main/java", "(?i)(insert\\s+into|update|delete\\s+from)\\s+pgflow\\.[a-z_]+"));
        assertThat(writes).as("direct writes to pgflow.* tables (use a pgflow.* function, EngineOperations from Java)").isEmpty();
    }

    /** "file:line: match" for every match of {@code pattern} in the Java files under {@code dir}. */
    private static List<String> references(String dir, String pattern) throws IOException {
        Path root = ProjectTree.root();
        Pattern p = Pattern.compile(pattern);
        List<String> found = new ArrayList<>();
        for (Path file : ProjectTree.files(dir, ".java")) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (ProjectTree.isComment(lines.get(i))) {
                    continue;
                }
                Matcher m = p.matcher(lines.get(i));
                if (m.find()) {
                    found.add(root.relativize(file) + ":" + (i + 1) + ": " + m.group());
                }
            }
        }
        return found;
    }
}
