/**
 * Your flows go here (this package or any other in this module): one class per flow, a CDI bean
 * implementing {@link io.pgflowee.api.flow.FlowDefinition} with a public no-argument constructor.
 * The README's "Write a flow" has a complete example. {@code ./pgflow} compiles each flow to
 * {@code liquibase/flows/<slug>.sql}, builds, and (while it runs) redeploys on every change.
 */
package com.example.flows;
