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
                "16:58:55 WARNING Payara Micro Runtime directory is located in a temporary file location which can be cleaned by system"
                        + " processes.",
                "16:59:11 INFO PGFLOW-030 worker 7e5937c4-918f-4dc4-a8bd-bd818b6de859 started for flow cart_invoice (WorkerSettings["
                        + "maxConcurrent=50, batchSize=50, pollInterval=PT0.2S, heartbeatInterval=PT5S, shutdownTimeout=PT30S,"
                        + " cancelCheckInterval=PT1S, reportLinger=PT0.002S, reportBatchSize=50])",
                "16:59:13 INFO Payara Micro 6.2025.10 (build 42) ready in 18,029 (ms)",
                "17:01:02 SEVERE PGFLOW-002 cannot use the PostgreSQL database at localhost:15432/postgres",
                "java.sql.SQLException: Connection refused",
                "\tat org.postgresql.Driver.connect(Driver.java:1)",
                // a multi-line error ends at its "]]": Liquibase's summary printed after it is not shown
                "17:55:27 SEVERE",
                "  PGFLOW-001 applying pgflow/db/changelog.xml failed: ERROR: Flow 'shout' changed after it was applied: its compiled"
                        + " changelog no longer matches the flow in the database (first = compiled, second = database): Step count"
                        + " differs: 2 vs 1; Step at index 1: missing in second shape (first has 'twice')",
                "  Hint: Flows are immutable once applied. Give the changed flow a new slug (for example shout_v2) and compile it as"
                        + " a new flow; or, in development only, delete the old flow and all its runs with SELECT"
                        + " pgflow.delete_flow_and_data('shout'); and migrate again.",
                "  Where: PL/pgSQL function pgflow.verify_compiled_flow(text,jsonb) line 12 at RAISE (retrying every 10 s)");
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
