/**
 * The flows this server runs: the {@code FlowDefinition} beans of the deployment, each checked
 * against the database at start ({@link io.pgflowee.engine.flows.FlowVerifier}: verified, missing,
 * differing) and again every few seconds while one is not runnable. A flow that does not match
 * does not run; every other flow does.
 */
package io.pgflowee.engine.flows;
