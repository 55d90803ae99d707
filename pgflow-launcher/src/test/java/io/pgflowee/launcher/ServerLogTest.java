package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's console and file copies of Payara's output, on real Payara Micro output (payara-output.txt). */
class ServerLogTest {

    @Test
    void theConsoleGetsOneShortLinePerRecordThatMattersAndTheFileEverythingWithoutColours(@TempDir Path home) throws Exception {
        Path log = ServerLog.prepare(home);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (InputStream output = getClass().getResourceAsStream("/payara-output.txt");
             PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8)) {
            new ServerLog().pump(output, log, out);
        }

        List<String> shown = console.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(shown).containsExactly(
                // Payara's warning about its temporary runtime directory is harmless here: not shown
                "16:59:11 INFO PGFLOW-030 worker 7e5937c4-918f-4dc4-a8bd-bd818b6de859 started for flow cart_invoice (WorkerSettings["
                        + "maxConcurrent=50, batchSize=50, pollInterval=PT0.2S, heartbeatInterval=PT5S, shutdownTimeout=PT30S,"
                        + " cancelCheckInterval=PT1S, reportLinger=PT0.002S, reportBatchSize=50])",
                "16:59:13 INFO Payara Micro 6.2025.10 (build 42) ready in 18,029 (ms)",
                // an error: its first line only, the stack trace stays in the server log
                "17:01:02 SEVERE PGFLOW-002 cannot use the PostgreSQL database at localhost:15432/postgres (details in the server log)",
                // an error whose message starts on the next line: that line
                "17:55:27 SEVERE PGFLOW-001 applying pgflow/db/changelog.xml failed: ERROR: Flow 'shout' changed after it was applied:"
                        + " its compiled changelog no longer matches the flow in the database (first = compiled, second = database):"
                        + " Step count differs: 2 vs 1; Step at index 1: missing in second shape (first has 'twice') (details in the"
                        + " server log)");
        String file = Files.readString(log);
        assertThat(file).doesNotContain("\u001B[").contains("[WARNING] [NCLS-SECURITY-05054]").contains("Version: V3")
                .contains("Deployed 1 archive(s)");
        assertThat(file.lines().count()).isEqualTo(new String(getClass().getResourceAsStream("/payara-output.txt").readAllBytes(),
                StandardCharsets.UTF_8).lines().count());

        // the next start keeps this run's log as server.log.1
        Path next = ServerLog.prepare(home);
        assertThat(next).isEqualTo(log);
        assertThat(Files.exists(log)).isFalse();
        assertThat(Files.readString(home.resolve("logs/server.log.1"))).isEqualTo(file);
    }
}
