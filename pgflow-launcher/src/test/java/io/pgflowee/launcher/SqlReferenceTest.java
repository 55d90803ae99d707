package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The function index of {@code docs/reference/sql.md} lists exactly the public SQL functions of the
 * changelogs ({@code pgflow.*} without a leading underscore): a new function gets a row, a dropped
 * one loses it.
 */
class SqlReferenceTest {

    private static final Pattern DEFINED = Pattern.compile("(?m)^CREATE OR REPLACE FUNCTION pgflow\\.([a-z][a-z_]*)\\(");
    private static final Pattern DROPPED = Pattern.compile("(?m)^DROP FUNCTION (?:IF EXISTS )?pgflow\\.([a-z][a-z_]*)\\(");
    private static final Pattern ROW = Pattern.compile("(?m)^\\| `([a-z][a-z_]*)` \\|");

    @Test
    void everyPublicFunctionHasARowInTheIndex() throws IOException {
        Path root = ProjectTree.root();
        Set<String> defined = new TreeSet<>();
        for (Path file : ProjectTree.files("liquibase/core", ".sql")) {
            String sql = Files.readString(file);
            Matcher d = DEFINED.matcher(sql);
            while (d.find()) {
                defined.add(d.group(1));
            }
            Matcher x = DROPPED.matcher(sql);
            while (x.find()) {
                String dropped = x.group(1);
                if (!sql.substring(x.end()).contains("FUNCTION pgflow." + dropped + "(")) {
                    defined.remove(dropped);
                }
            }
        }
        String index = Files.readString(root.resolve("docs/reference/sql.md"));
        index = index.substring(index.indexOf("## Function index"));
        Set<String> listed = new TreeSet<>();
        Matcher row = ROW.matcher(index);
        while (row.find()) {
            listed.add(row.group(1));
        }
        assertThat(defined).as("public functions in liquibase/core").hasSizeGreaterThan(30).contains("start_flow", "claim_tasks");
        assertThat(listed).as("the function index of docs/reference/sql.md").isEqualTo(defined);
    }
}
