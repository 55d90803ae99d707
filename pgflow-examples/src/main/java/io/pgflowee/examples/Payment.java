package io.pgflowee.examples;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TypedFlow;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A child flow: authorizes an amount on a card, then captures it. Other flows run it as a subflow
 * ({@code flow.subflow("pay", Payment.class)}): they hand it an {@link Input} and read its
 * {@link Output}. A card number ending in {@code 0002} is declined (a test card), which fails the
 * child and, through it, the parent's step.
 *
 * <pre>
 * input:  {"orderId": "o-7", "cents": 2500, "card": "4242"}
 * output: {"receipt": {"orderId": "o-7", "cents": 2500, "authorization": "auth-o-7-2500"}}
 * </pre>
 */
@ApplicationScoped
public class Payment implements TypedFlow<Payment.Input, Payment.Output> {

    public record Input(String orderId, long cents, String card) {
    }

    public record Receipt(String orderId, long cents, String authorization) {
    }

    /** The run's output: its leaf step {@code receipt}. */
    public record Output(Receipt receipt) {
    }

    @Override
    public Flow<Input> flow() {
        Flow<Input> flow = Flow.define("payment", Input.class).maxAttempts(2).baseDelay(1).timeout(30);
        Step<String> authorize = flow.step("authorize", String.class).run(in -> {
            if (in.card() != null && in.card().endsWith("0002")) {
                throw new IllegalStateException("card ending in 0002 declined for order " + in.orderId());
            }
            return "auth-" + in.orderId() + "-" + in.cents();
        });
        flow.step("receipt", Receipt.class).after(authorize)
                .run((authorization, ctx) -> {
                    Input in = ctx.flowInput(Input.class);
                    return new Receipt(in.orderId(), in.cents(), authorization);
                });
        return flow;
    }
}
