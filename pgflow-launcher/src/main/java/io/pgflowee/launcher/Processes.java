package io.pgflowee.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Small process chores: running a tool to completion, pid files, stopping a leftover process. */
final class Processes {

    private Processes() {
    }

    /** Runs a command, returns its exit code; output goes to {@code log}. */
    static int run(List<String> command, Path log) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LaunchException("PGFLOW-007 " + command.get(0) + " did not finish in 120 s; see " + log);
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new LaunchException("PGFLOW-007 cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LaunchException("interrupted while running " + command.get(0), e);
        }
    }

    /** The live process whose pid is on the first line of {@code pidFile}, if its command line contains {@code marker}. */
    static Optional<ProcessHandle> fromPidFile(Path pidFile, String marker) {
        try {
            if (!Files.isRegularFile(pidFile)) {
                return Optional.empty();
            }
            String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").strip();
            long pid = Long.parseLong(first);
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(h -> commandLine(h).contains(marker));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Stops a process politely (SIGTERM), then forcibly after {@code seconds}; true when it went politely. */
    static boolean stop(ProcessHandle process, int seconds) {
        process.destroy();
        try {
            process.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            process.destroyForcibly();
            return false;
        }
    }

    private static String commandLine(ProcessHandle h) {
        try {
            // /proc gives the full command line even when ProcessHandle.Info truncates it.
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
            return new String(raw).replace('\0', ' ');
        } catch (IOException | RuntimeException e) {
            return h.info().commandLine().orElse("");
        }
    }
}
