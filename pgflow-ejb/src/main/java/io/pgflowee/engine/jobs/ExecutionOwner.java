package io.pgflowee.engine.jobs;

import java.util.UUID;

/**
 * The server recorded as running a batch execution ({@code pgflow_internal.job_executions}): its
 * name and id ({@link io.pgflowee.engine.system.ServerIdentity}), how long ago it last beat, and
 * whether it recorded the execution's end. {@link JobExecutions} says whether that is this server
 * and whether it is lost.
 */
public record ExecutionOwner(String server, UUID serverId, double secondsSinceHeartbeat, boolean ended) {
}
