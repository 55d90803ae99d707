/**
 * The example flows shipped with the engine: the seed README's {@code greet_user}, a map over
 * names ({@code greet_many}) and conditions with a fan-in ({@code cart_invoice}).
 */
package io.pgflowee.examples;
