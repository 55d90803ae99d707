/**
 * The flows this server runs: the {@code FlowDefinition} beans of the deployment, each checked
 * against the database at start ({@link io.pgflowee.engine.flows.FlowVerifier}: verified, missing,
 * differing) and again every ten seconds while one is not runnable
 * ({@link io.pgflowee.engine.flows.FlowRecheck}, which also asks the migrator to apply the changelogs
 * again for a flow that went missing). A flow that does not match
 * does not run; every other flow does.
 */
package io.pgflowee.engine.flows;
