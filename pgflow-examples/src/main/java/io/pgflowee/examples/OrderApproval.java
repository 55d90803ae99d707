package io.pgflowee.examples;

import java.math.BigDecimal;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.TypedFlow;
import io.pgflowee.api.flow.Step;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A run that waits for a person: {@code review} sums the order up, {@code approval} is a signal
 * step (no handler, no thread while it waits) that completes when someone approves or rejects,
 * and {@code fulfil} ships or holds the order. The approval waits at most two days; then the run
 * fails with "waited 172800 s for a signal" (retry it to wait again). Start runs with the order id
 * as idempotency key, so the approval can be sent by key:
 *
 * <pre>
 * curl -u operator:... -H 'Idempotency-Key: order-77' -H 'Content-Type: application/json' \
 *      -d '{"orderId": "order-77", "total": 120.00}' http://localhost:8080/api/flows/order_approval/runs
 * curl -u operator:... -H 'Content-Type: application/json' -d '{"approved": true, "by": "ann"}' \
 *      http://localhost:8080/api/flows/order_approval/runs/by-key/order-77/steps/approval/signal
 * output: {"fulfil": "shipped order-77 (120.00), approved by ann"}
 * </pre>
 *
 * The console offers Approve and Reject on the waiting step (the payload type is a record of one
 * boolean and a {@code by}).
 */
@ApplicationScoped
public class OrderApproval implements TypedFlow<OrderApproval.Order, OrderApproval.Output> {

    public record Order(String orderId, BigDecimal total) {
    }

    public record Approval(boolean approved, String by) {
    }

    /** The run output: its one leaf step, {@code fulfil}. */
    public record Output(String fulfil) {
    }

    /** The longest wait for the approval: two days. */
    static final int APPROVAL_TIMEOUT_SECONDS = 2 * 24 * 3600;

    @Override
    public Flow<Order> flow() {
        Flow<Order> flow = Flow.define("order_approval", Order.class).timeout(30);
        Step<String> review = flow.step("review", String.class)
                .run(order -> order.orderId() + " (" + order.total().setScale(2) + ")");
        Step<Approval> approval = flow.signal("approval", Approval.class).after(review)
                .timeout(APPROVAL_TIMEOUT_SECONDS)
                .await();
        flow.step("fulfil", String.class).after(review, approval)
                .run((summary, answer) -> (answer.approved() ? "shipped " : "held ") + summary
                        + (answer.approved() ? ", approved by " : ", rejected by ") + answer.by());
        return flow;
    }
}
