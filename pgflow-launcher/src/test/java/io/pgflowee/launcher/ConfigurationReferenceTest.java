package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * {@code docs/reference/configuration.md} lists exactly the settings the code reads: every
 * MicroProfile Config key of the server ({@code @ConfigProperty}, {@code getValue} /
 * {@code getOptionalValue} with a whole key, the worker keys of {@code WorkerSettings}, the
 * throttle keys of {@code SignInThrottle}) and every {@code PGFLOW_*} variable of the launcher and
 * the {@code pgflow} script (rows whose key column is {@code —}), each in a table row of its own.
 */
class ConfigurationReferenceTest {

    private static final Pattern CONFIG_PROPERTY = Pattern.compile("ConfigProperty\\(name\\s*=\\s*\"(pgflow\\.[A-Za-z.]+)\"");
    private static final Pattern LOOKUP = Pattern.compile("get(?:Optional)?Value\\(\"(pgflow\\.[A-Za-z.]*[A-Za-z])\"");
    private static final Pattern WORKER_KEY = Pattern.compile("(?:integer|value)\\(config, flowSlug, \"([A-Za-z]+)\"");
    private static final Pattern THROTTLE_KEY = Pattern.compile("setting\\(config, \"([A-Za-z]+)\"");
    private static final Pattern VARIABLE = Pattern.compile("\"(PGFLOW_[A-Z_]+)\"");
    private static final Pattern SCRIPT_VARIABLE = Pattern.compile("\\$\\{?(PGFLOW_[A-Z_]+)");
    private static final Pattern ROW_KEY = Pattern.compile("^\\| `((?:pgflow\\.|PGFLOW_)[A-Za-z_.<>]+)` \\|");
    private static final Pattern ROW_VARIABLE = Pattern.compile("^\\| [^|]* \\| `(PGFLOW_[A-Z_]+)` \\|");

    @Test
    void theReferenceListsExactlyTheSettingsTheCodeReads() throws IOException {
        Path root = ProjectTree.root();
        Set<String> read = new TreeSet<>();
        for (Path file : ProjectTree.mainSources(".java")) {
            String text = Files.readString(file);
            find(CONFIG_PROPERTY, text, "", read);
            find(LOOKUP, text, "", read);
            if (file.endsWith("WorkerSettings.java")) {
                find(WORKER_KEY, text, "pgflow.worker.", read);
            }
            if (file.endsWith("SignInThrottle.java")) {
                find(THROTTLE_KEY, text, "pgflow.security.throttle.", read);
            }
            if (file.toString().contains("/pgflow-launcher/")) {
                find(VARIABLE, text, "", read);
            }
        }
        find(SCRIPT_VARIABLE, Files.readString(root.resolve("pgflow")), "", read);
        Set<String> listed = new TreeSet<>(); // a key (first column) or a variable (second column) of a row
        Set<String> mustBeRead = new TreeSet<>(); // keys, and the variables of launcher-only rows (key column "—")
        for (String line : Files.readAllLines(root.resolve("docs/reference/configuration.md"))) {
            Matcher key = ROW_KEY.matcher(line);
            if (key.find()) {
                listed.add(key.group(1));
                mustBeRead.add(key.group(1));
            }
            Matcher variable = ROW_VARIABLE.matcher(line);
            if (variable.find()) {
                listed.add(variable.group(1));
                if (line.startsWith("| — |")) {
                    mustBeRead.add(variable.group(1));
                }
            }
        }
        assertThat(read).as("settings found in the code").hasSizeGreaterThan(40)
                .contains("pgflow.db.url", "pgflow.worker.maxConcurrent", "pgflow.security.throttle.freeFailures", "PGFLOW_HOME");
        List<String> problems = new ArrayList<>();
        read.stream().filter(k -> !listed.contains(k)).forEach(k -> problems.add(k + " is read by the code but not listed"));
        mustBeRead.stream().filter(k -> !read.contains(k) && !k.contains("<"))
                .forEach(k -> problems.add(k + " is listed but the code does not read it"));
        assertThat(problems).isEmpty();
    }

    private static void find(Pattern pattern, String text, String prefix, Set<String> into) {
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            into.add(prefix + m.group(1));
        }
    }

}
