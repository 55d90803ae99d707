package io.pgflowee.examples;

import java.util.List;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TypeRef;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A root map: the run input is an array of people, one task greets each, and a last step joins
 * the greetings. {@code [{"first_name": "Alice", "last_name": "Smith"}, {"first_name": "Bob",
 * "last_name": "Jones"}]} gives {@code {"letter": "Hello, Alice Smith! Hello, Bob Jones!"}}.
 * Input that is not an array is refused when the run starts.
 */
@ApplicationScoped
public class GreetMany implements FlowDefinition {

    @Override
    public Flow<List<GreetUser.Input>> flow() {
        Flow<List<GreetUser.Input>> flow = Flow.define("greet_many", new TypeRef<List<GreetUser.Input>>() { });
        Step<List<String>> greetings = flow.map("greetings", String.class).overInput(GreetUser.Input.class)
                .run(person -> "Hello, " + person.firstName() + " " + person.lastName() + "!");
        flow.step("letter", String.class).after(greetings).run(all -> String.join(" ", all));
        return flow;
    }
}
