package io.pgflowee.examples;

import java.math.BigDecimal;
import java.util.List;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TypeRef;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A map step and a condition: one task per cart line computes the line total (map over the
 * {@code lines} step), and {@code express_fee} runs only for carts with {@code "express": true}
 * (otherwise it is skipped and the invoice is built without it).
 *
 * <pre>
 * input:  {"lines": [{"sku": "A-1", "price": 12.50, "quantity": 2}, {"sku": "B-7", "price": 3, "quantity": 1}],
 *          "express": true}
 * output: {"invoice": {"subtotal": 28.00, "expressFee": 5.00, "total": 33.00}}
 * </pre>
 */
@ApplicationScoped
public class CartInvoice implements FlowDefinition {

    public record Line(String sku, BigDecimal price, int quantity) {
    }

    public record Cart(List<Line> lines, boolean express) {
    }

    public record Invoice(BigDecimal subtotal, BigDecimal expressFee, BigDecimal total) {
    }

    static final BigDecimal EXPRESS_FEE = new BigDecimal("5.00");

    @Override
    public Flow<Cart> flow() {
        Flow<Cart> flow = Flow.define("cart_invoice", Cart.class).maxAttempts(3).timeout(30);
        Step<List<Line>> lines = flow.step("lines", new TypeRef<List<Line>>() { })
                .run(cart -> cart.lines() == null ? List.of() : cart.lines());
        Step<List<BigDecimal>> lineTotals = flow.map("line_totals", BigDecimal.class).over(lines)
                .run(line -> line.price().multiply(BigDecimal.valueOf(line.quantity())));
        Step<BigDecimal> expressFee = flow.step("express_fee", BigDecimal.class)
                .when("{\"express\": true}")
                .run(cart -> EXPRESS_FEE);
        flow.step("invoice", Invoice.class).after(lineTotals, expressFee)
                .run((totals, fee) -> {
                    BigDecimal subtotal = totals.stream().reduce(BigDecimal.ZERO, BigDecimal::add).setScale(2);
                    BigDecimal express = fee == null ? BigDecimal.ZERO.setScale(2) : fee;
                    return new Invoice(subtotal, express, subtotal.add(express));
                });
        return flow;
    }
}
