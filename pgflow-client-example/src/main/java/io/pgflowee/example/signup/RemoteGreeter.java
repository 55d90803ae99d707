package io.pgflowee.example.signup;

import io.pgflowee.client.Pgflow;
import io.pgflowee.client.RunHandle;
import io.pgflowee.client.StartOptions;
import io.pgflowee.client.remote.RemotePgflow;
import io.pgflowee.examples.GreetUser;

import java.net.URI;
import java.time.Duration;

/**
 * Another service, in another JVM: starts {@code greet_user} over the REST API and waits for the
 * greeting. Needs a JSON-B and JSON-P implementation at run time (Yasson and Parsson) and nothing
 * else besides pgflow-client.
 *
 * <pre>
 * PGFLOW_PASSWORD=... java -cp ... io.pgflowee.example.signup.RemoteGreeter http://localhost:8080/ operator Alice Smith
 * Hello, Alice Smith!
 * </pre>
 */
public final class RemoteGreeter {

    private RemoteGreeter() {
    }

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: RemoteGreeter <server url> <user> <first name> <last name> (password in PGFLOW_PASSWORD)");
            System.exit(2);
        }
        String password = System.getenv("PGFLOW_PASSWORD");
        if (password == null) {
            System.err.println("RemoteGreeter: set PGFLOW_PASSWORD to the password of " + args[1]);
            System.exit(2);
        }
        Pgflow pgflow = RemotePgflow.builder(URI.create(args[0])).basicAuth(args[1], password).build();
        System.out.println(greet(pgflow, args[2], args[3], null));
    }

    /** Starts a greeting (once per {@code key}, when given) and returns it when the run completes. */
    public static String greet(Pgflow pgflow, String firstName, String lastName, String key) {
        RunHandle<GreetUser.Output> run = pgflow.start(GreetUser.class, new GreetUser.Input(firstName, lastName),
                key == null ? StartOptions.defaults() : StartOptions.idempotencyKey(key));
        return run.await(Duration.ofSeconds(60)).greeting();
    }
}
