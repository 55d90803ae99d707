package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * {@code docs/reference/errors.md} and the code agree: every {@code PGFLOW-nnn} the main sources of
 * any module write has exactly one row there, every row's code is written somewhere, and only by
 * the classes the row names. Using a code in a new class means editing its row, which is where a
 * second meaning would show: a new situation gets a new code.
 */
class ErrorCatalogueTest {

    private static final Pattern CODE = Pattern.compile("PGFLOW-\\d{3}");
    private static final Pattern ROW = Pattern.compile("^\\| `(PGFLOW-\\d{3})` \\|.*\\| ([^|]+) \\|$");
    private static final Pattern NAME = Pattern.compile("`([A-Za-z]+)`");

    @Test
    void everyCodeHasOneRowThatNamesEveryClassWritingIt() throws IOException {
        Path root = ProjectTree.root();
        Map<String, Set<String>> written = written();
        Map<String, Set<String>> catalogued = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve("docs/reference/errors.md"))) {
            Matcher row = ROW.matcher(line);
            if (!row.matches()) {
                continue;
            }
            Set<String> where = new TreeSet<>();
            Matcher name = NAME.matcher(row.group(2));
            while (name.find()) {
                where.add(name.group(1));
            }
            if (catalogued.put(row.group(1), where) != null) {
                problems.add(row.group(1) + " has two rows");
            }
        }
        assertThat(written).as("codes found in the sources").hasSizeGreaterThan(60);
        written.forEach((code, classes) -> {
            Set<String> where = catalogued.get(code);
            if (where == null) {
                problems.add(code + " is written by " + classes + " but has no row in docs/reference/errors.md");
            } else if (!where.equals(classes)) {
                problems.add(code + " is written by " + classes + " but its row names " + where);
            }
        });
        catalogued.keySet().stream().filter(code -> !written.containsKey(code))
                .forEach(code -> problems.add(code + " has a row but nothing writes it"));
        assertThat(problems).isEmpty();
    }

    /** Each code in the main sources (comments aside) with the classes (file names) that write it. */
    private static Map<String, Set<String>> written() throws IOException {
        Map<String, Set<String>> codes = new TreeMap<>();
        for (Path file : ProjectTree.mainSources(".java", ".xhtml")) {
            String name = file.getFileName().toString();
            String owner = name.substring(0, name.lastIndexOf('.'));
            for (String line : Files.readAllLines(file)) {
                if (ProjectTree.isComment(line)) {
                    continue;
                }
                Matcher m = CODE.matcher(line);
                while (m.find()) {
                    codes.computeIfAbsent(m.group(), k -> new TreeSet<>()).add(owner);
                }
            }
        }
        return codes;
    }

}
