package io.pgflowee.examples;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TypedFlow;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A child flow that ships one parcel: prints its label, then hands it to the carrier. An order runs
 * one per parcel ({@code flow.mapSubflow("ship", Shipping.class)}).
 *
 * <pre>
 * input:  {"orderId": "o-7", "parcel": "p-1", "grams": 1200}
 * output: {"dispatch": {"parcel": "p-1", "tracking": "TRK-o-7-p-1", "carrier": "parcel-post"}}
 * </pre>
 */
@ApplicationScoped
public class Shipping implements TypedFlow<Shipping.Input, Shipping.Output> {

    public record Input(String orderId, String parcel, int grams) {
    }

    public record Shipment(String parcel, String tracking, String carrier) {
    }

    /** The run's output: its leaf step {@code dispatch}. */
    public record Output(Shipment dispatch) {
    }

    @Override
    public Flow<Input> flow() {
        Flow<Input> flow = Flow.define("shipping", Input.class).maxAttempts(3).baseDelay(1).timeout(30);
        Step<String> label = flow.step("label", String.class).run(in -> "TRK-" + in.orderId() + "-" + in.parcel());
        flow.step("dispatch", Shipment.class).after(label)
                .run((tracking, ctx) -> {
                    Input in = ctx.flowInput(Input.class);
                    return new Shipment(in.parcel(), tracking, in.grams() > 20_000 ? "freight" : "parcel-post");
                });
        return flow;
    }
}
