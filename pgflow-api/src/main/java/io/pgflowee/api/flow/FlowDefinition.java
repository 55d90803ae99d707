package io.pgflowee.api.flow;

/**
 * A class that defines one flow. Make it a CDI bean ({@code @ApplicationScoped}) so the engine
 * registers it, and give it a public no-argument constructor so the flow compiler can find it
 * (the compiler calls {@link #flow()} without a container, so build the flow there and keep
 * injected services for the handlers to use when they run).
 *
 * <pre>{@code
 * @ApplicationScoped
 * public class GreetUser implements FlowDefinition {
 *     public record Input(@JsonbProperty("first_name") String firstName,
 *                         @JsonbProperty("last_name") String lastName) {}
 *
 *     public Flow<Input> flow() {
 *         Flow<Input> flow = Flow.define("greet_user", Input.class).maxAttempts(3).baseDelay(5).timeout(60);
 *         Step<String> fullName = flow.step("full_name", String.class)
 *                 .run(in -> in.firstName() + " " + in.lastName());
 *         flow.step("greeting", String.class).after(fullName)
 *                 .run(name -> "Hello, " + name + "!");
 *         return flow;
 *     }
 * }
 * }</pre>
 */
public interface FlowDefinition {

    /** Builds the flow. Called once per application (and once per compilation). */
    Flow<?> flow();
}
