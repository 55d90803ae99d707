/**
 * The example flows shipped with the engine: the seed README's {@code greet_user}, a map over
 * names ({@code greet_many}), conditions with a fan-in ({@code cart_invoice}), a wait for a signal
 * ({@code order_approval}) and subflows ({@code order_fulfilment} runs {@code payment} and, per
 * parcel, {@code shipping} as child runs), and a flow that schedules declare ({@code daily_report}).
 */
package io.pgflowee.examples;
