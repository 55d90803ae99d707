/**
 * The workers: one {@link io.pgflowee.engine.worker.FlowWorker} per runnable flow on this server,
 * woken by {@code pgflow_tasks} notifications or polling, claiming tasks ({@code claim_tasks}),
 * running handlers on the managed executor with timeouts and cancellation, and reporting outcomes
 * in batches ({@code complete_tasks_and_claim}, {@code fail_tasks}). {@link
 * io.pgflowee.engine.worker.WorkerManager} starts them when the flows are verified and stops them
 * gracefully on undeploy, SIGTERM or JVM exit, handing back what is still running ({@code
 * release_tasks}).
 */
package io.pgflowee.engine.worker;
