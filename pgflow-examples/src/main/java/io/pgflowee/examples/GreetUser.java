package io.pgflowee.examples;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TypedFlow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.bind.annotation.JsonbProperty;

/**
 * The hello-world flow of the seed README: {@code {"first_name": "Alice", "last_name": "Smith"}}
 * becomes {@code {"greeting": "Hello, Alice Smith!"}}. Typed ({@link TypedFlow}), so the Java
 * client starts it with an {@link Input} and awaits an {@link Output}:
 * {@code pgflow.start(GreetUser.class, new GreetUser.Input("Alice", "Smith")).await(timeout).greeting()}.
 */
@ApplicationScoped
public class GreetUser implements TypedFlow<GreetUser.Input, GreetUser.Output> {

    /** The flow input. */
    public record Input(@JsonbProperty("first_name") String firstName,
                       @JsonbProperty("last_name") String lastName) {
    }

    /** The run output: one component per leaf step (here the one step "greeting"). */
    public record Output(String greeting) {
    }

    @Override
    public Flow<Input> flow() {
        Flow<Input> flow = Flow.define("greet_user", Input.class).maxAttempts(3).baseDelay(5).timeout(60);
        Step<String> fullName = flow.step("full_name", String.class)
                .run(in -> in.firstName() + " " + in.lastName());
        flow.step("greeting", String.class).after(fullName)
                .run(name -> "Hello, " + name + "!");
        return flow;
    }
}
