package com.example.flows;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class ShoutFlow implements FlowDefinition {
    public record Input(String text) {}

    @Override
    public Flow<Input> flow() {
        Flow<Input> flow = Flow.define("shout", Input.class);
        var upper = flow.step("upper", String.class).run(in -> in.text().toUpperCase() + "!");
        flow.step("twice", String.class).after(upper).run(u -> u + " " + u);
        return flow;
    }
}
