package io.pgflowee.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * CPU time of local processes from /proc (Linux; USER_HZ 100), for the benchmarks that report the
 * CPU a server spent per unit of work: {@link EndToEndBenchmark} (Payara, each postmaster's tree) and
 * {@link SqlCoreBenchmark} {@code compare=} (the cluster's CPU per task).
 */
final class ProcCpu {

    /** A process as /proc shows it: its id, its parent's, its command line (arguments separated by spaces). */
    record Proc(long pid, long parent, String cmdline) {
    }

    private ProcCpu() {
    }

    /** CPU seconds (user + system) of the running processes that match; NaN without /proc. */
    static double cpuSeconds(Predicate<Proc> which) {
        double ticks = 0;
        File[] procs = new File("/proc").listFiles((d, name) -> name.chars().allMatch(Character::isDigit));
        if (procs == null) {
            return Double.NaN;
        }
        for (File proc : procs) {
            try {
                String cmdline = new String(Files.readAllBytes(proc.toPath().resolve("cmdline"))).replace('\0', ' ');
                String[] f = statFields(Long.parseLong(proc.getName()));
                if (which.test(new Proc(Long.parseLong(proc.getName()), Long.parseLong(f[1]), cmdline))) {
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                }
            } catch (IOException | RuntimeException e) {
                // the process ended meanwhile
            }
        }
        return ticks / 100.0;
    }

    /** CPU seconds of process {@code pid} and its running children (a postmaster and its backends); 0 for pid 0. */
    static double treeCpuSeconds(long pid) {
        return pid == 0 ? 0 : cpuSeconds(p -> p.pid() == pid || p.parent() == pid);
    }

    /** CPU seconds of the children {@code pid} has reaped (backends that ended), from its cutime and cstime. */
    static double reapedChildrenCpuSeconds(long pid) throws IOException {
        String[] f = statFields(pid);
        return (Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0;
    }

    /** The parent of process {@code pid}. */
    static long parentOf(long pid) throws IOException {
        return Long.parseLong(statFields(pid)[1]);
    }

    /** /proc/pid/stat after the command name: [0] state, [1] parent, [11] utime, [12] stime, [13] cutime, [14] cstime. */
    private static String[] statFields(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
