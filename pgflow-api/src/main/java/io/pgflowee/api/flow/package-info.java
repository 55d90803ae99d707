/**
 * The flow DSL flow authors write against: {@link io.pgflowee.api.flow.Flow#define} begins a flow,
 * {@code flow.step(...)} and {@code flow.map(...)} add typed steps with their dependencies and
 * options ({@link io.pgflowee.api.flow.StepOptions}, {@link io.pgflowee.api.flow.WhenUnmet},
 * {@link io.pgflowee.api.flow.WhenExhausted}), and a {@link io.pgflowee.api.flow.FlowDefinition}
 * bean hands a flow to the engine. Everything is validated as it is declared ({@link
 * io.pgflowee.api.flow.FlowDefinitionException} names the flow, step and rule). No server types
 * here: this package compiles against the Jakarta APIs only.
 */
package io.pgflowee.api.flow;
