package io.pgflowee.examples;

import java.util.List;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TypeRef;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Subflows: an order runs the {@link Payment} flow for its total, then one {@link Shipping} run per
 * parcel, each a child run of this one (visible, retryable and cancellable on its own; cancelling
 * the order cancels them). No thread waits while the children run: each subflow step's task
 * completes when its child does, in the child's completing transaction.
 *
 * <pre>
 * input:  {"orderId": "o-7", "card": "4242", "parcels": [{"id": "p-1", "grams": 1200, "cents": 1500},
 *                                                        {"id": "p-2", "grams": 300, "cents": 1000}]}
 * output: {"summary": {"orderId": "o-7", "authorization": "auth-o-7-2500", "tracking": ["TRK-o-7-p-1", "TRK-o-7-p-2"]}}
 * </pre>
 */
@ApplicationScoped
public class OrderFulfilment implements FlowDefinition {

    public record Parcel(String id, int grams, long cents) {
    }

    public record Order(String orderId, String card, List<Parcel> parcels) {
    }

    public record Summary(String orderId, String authorization, List<String> tracking) {
    }

    @Override
    public Flow<Order> flow() {
        Flow<Order> flow = Flow.define("order_fulfilment", Order.class).maxAttempts(2).baseDelay(1).timeout(30);
        Step<Long> total = flow.step("total", Long.class)
                .run(order -> order.parcels().stream().mapToLong(Parcel::cents).sum());
        Step<Payment.Output> pay = flow.subflow("pay", Payment.class).after(total)
                .maxAttempts(1) // a declined card fails the order; an operator retries the payment run or the order
                .timeout(600)   // the payment run's longest duration
                .input((order, deps) -> new Payment.Input(order.orderId(), deps.get(total), order.card()));
        // after the payment (nothing ships unpaid), each parcel's shipping input: the map's tasks then read their element
        // only, not the order (a map task that decodes the whole run input does it once per element)
        Step<List<Shipping.Input>> parcels = flow.step("parcels", new TypeRef<List<Shipping.Input>>() { }).after(pay)
                .run((payment, ctx) -> {
                    Order order = ctx.flowInput(Order.class);
                    return order.parcels().stream().map(p -> new Shipping.Input(order.orderId(), p.id(), p.grams())).toList();
                });
        Step<List<Shipping.Output>> ship = flow.mapSubflow("ship", Shipping.class).over(parcels).input(in -> in);
        flow.step("summary", Summary.class).after(pay, ship)
                .run((payment, shipments) -> new Summary(payment.receipt().orderId(), payment.receipt().authorization(),
                        shipments.stream().map(s -> s.dispatch().tracking()).toList()));
        return flow;
    }
}
