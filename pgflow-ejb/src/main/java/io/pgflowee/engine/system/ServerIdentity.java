package io.pgflowee.engine.system;

import java.net.InetAddress;
import java.util.UUID;

/**
 * Who this server is, in the one shape every part of the engine records it in the database: an id
 * new at each deployment ({@link #id()}: a batch execution's server, so that a redeployed or
 * restarted server is not taken for the one before it), and a name people read ({@link #name()},
 * {@code host/pid}; {@code pid 1234} when the host name cannot be told). Workers register as
 * {@link #workerFunctionName()}, pgflow's {@code function_name} column.
 */
@jakarta.enterprise.context.ApplicationScoped
public class ServerIdentity {

    private final UUID id = UUID.randomUUID();
    private final String name = hostName().map(host -> host + "/").orElse("pid ") + ProcessHandle.current().pid();

    /** New at each deployment of the application. */
    public UUID id() {
        return id;
    }

    /** {@code host/pid}, for people. */
    public String name() {
        return name;
    }

    /** What the workers of this server register as ({@code pgflow.workers.function_name}): {@code pgflow-ee@host/pid}. */
    public String workerFunctionName() {
        return name.startsWith("pid ") ? "pgflow-ee/" + ProcessHandle.current().pid() : "pgflow-ee@" + name;
    }

    private static java.util.Optional<String> hostName() {
        try {
            return java.util.Optional.of(InetAddress.getLocalHost().getHostName());
        } catch (Exception e) {
            return java.util.Optional.empty();
        }
    }
}
