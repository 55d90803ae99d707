package io.pgflowee.engine.system;

import java.net.InetAddress;
import java.util.Optional;

/** How this server names itself in the database (workers' function name, batch executions' server). */
public final class ThisProcess {

    private ThisProcess() {
    }

    /** This machine's host name, when it can be told. */
    public static Optional<String> hostName() {
        try {
            return Optional.of(InetAddress.getLocalHost().getHostName());
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** This JVM's process id. */
    public static long pid() {
        return ProcessHandle.current().pid();
    }
}
