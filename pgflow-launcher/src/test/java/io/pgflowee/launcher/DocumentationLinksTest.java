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
 * Every relative link of the project's Markdown documents ({@code README.md}, {@code docs/},
 * {@code DEVELOPING.md}, ...) points at a file that exists: documents move, and a newcomer's first
 * dead link costs trust. Web addresses and in-page anchors are not followed.
 */
class DocumentationLinksTest {

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void everyRelativeLinkPointsAtAFile() throws IOException {
        Path project = ProjectTree.root();
        List<String> dead = new ArrayList<>();
        int checked = 0;
        for (Path doc : ProjectTree.files(".", ".md")) {
            if (doc.toString().contains("/node_modules/")) {
                continue;
            }
            Matcher m = LINK.matcher(Files.readString(doc));
            while (m.find()) {
                String target = m.group(1);
                if (target.contains("://") || target.startsWith("#") || target.startsWith("mailto:")) {
                    continue;
                }
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                checked++;
                if (!Files.exists(doc.getParent().resolve(file).normalize())) {
                    dead.add(project.relativize(doc) + ": " + target);
                }
            }
        }
        assertThat(checked).as("relative links checked").isGreaterThan(20);
        assertThat(dead).as("links to files that do not exist").isEmpty();
    }
}
