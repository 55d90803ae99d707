package io.pgflowee.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Payara Micro's output: every line goes to the server log file ({@code $PGFLOW_HOME/logs/server.log},
 * the previous run's kept as {@code server.log.1}) without colour codes; the console gets one short
 * line per record that matters, {@code HH:MM:SS LEVEL message}: pgflow's own ({@code PGFLOW-nnn}),
 * warnings, errors (their first line: stack traces stay in the log) and Payara's ready line. Never colour codes. Left out:
 * Payara's warnings about expired certificates in its bundled trust store (NCLS-SECURITY-05054:
 * several hundred lines of certificate dumps that no user can act on).
 */
final class ServerLog {

    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    /** {@code [2026-11-28T16:58:16.173+0000] [] [INFO] [msgid] [logger] [tid: ...] [timeMillis: ...] [levelValue: 800] message}. */
    private static final Pattern RECORD = Pattern.compile(
            "^\\[\\d{4}-\\d\\d-\\d\\dT(\\d\\d:\\d\\d:\\d\\d)[^\\]]*\\] \\[[^\\]]*\\] \\[(\\w+)\\] \\[([^\\]]*)\\]"
            + ".*?\\[levelValue: \\d+\\] ?(.*)$");
    private static final String EXPIRED_CERTIFICATES = "NCLS-SECURITY-05054";

    private enum After { NOTHING, FIRST_LINE }

    /**
     * Payara's warning that its runtime directory is a temporary one: harmless here (the launcher
     * starts every run from the WAR and PGFLOW_HOME; nothing of pgflow is kept in that directory).
     */
    private static final String TEMPORARY_RUNTIME = "Payara Micro Runtime directory is located in a temporary file location";

    private static boolean harmless(String message) {
        return message.startsWith(TEMPORARY_RUNTIME);
    }

    private After after = After.NOTHING;
    private String pendingPrefix;

    /** Moves the last run's log aside and returns the path of this run's. */
    static Path prepare(Path home) throws IOException {
        Path dir = Files.createDirectories(home.resolve("logs"));
        Path log = dir.resolve("server.log");
        if (Files.exists(log)) {
            Files.move(log, dir.resolve("server.log.1"), StandardCopyOption.REPLACE_EXISTING);
        }
        return log;
    }

    /**
     * What the console shows for one line of Payara's output, or null. A record's first line decides:
     * shown as {@code HH:MM:SS LEVEL message} (the message's first line when the record starts it on
     * the next one); an error's following lines (its stack trace) are shown too, other records'
     * are not.
     */
    String console(String line) {
        String plain = ANSI.matcher(line).replaceAll("");
        Matcher record = RECORD.matcher(plain);
        if (record.find()) {
            String time = record.group(1);
            String level = record.group(2);
            String message = record.group(4).replaceFirst("^\\[\\[", "").trim();
            boolean severe = level.equals("SEVERE");
            boolean shown = message.contains("PGFLOW-") || severe
                    || (level.equals("WARNING") && !record.group(3).equals(EXPIRED_CERTIFICATES) && !harmless(message))
                    || (message.startsWith("Payara Micro") && message.contains(" ready in "));
            if (!shown) {
                after = After.NOTHING;
                return null;
            }
            String prefix = time + " " + level + " ";
            if (message.isEmpty()) {
                after = After.FIRST_LINE;
                pendingPrefix = prefix;
                return null;
            }
            after = After.NOTHING; // an error's stack trace stays in the server log
            return (prefix + message).trim() + (severe ? " (details in the server log)" : "");
        }
        if (plain.isBlank() || plain.trim().equals("]]")) {
            return null;
        }
        if (after == After.FIRST_LINE) {
            after = After.NOTHING;
            return pendingPrefix + plain.trim() + (pendingPrefix.contains(" SEVERE ") ? " (details in the server log)" : "");
        }
        return null;
    }

    /** Copies {@code output} to {@code log} (without colour codes) and the shown lines to {@code console}, until it ends. */
    void pump(InputStream output, Path log, PrintStream console) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8));
             Writer file = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                file.write(ANSI.matcher(line).replaceAll(""));
                file.write('\n');
                file.flush();
                String shown = console(line);
                if (shown != null) {
                    console.println(shown);
                }
            }
        } catch (IOException e) {
            console.println("pgflow: the server log stopped: " + e.getMessage());
        }
    }
}
