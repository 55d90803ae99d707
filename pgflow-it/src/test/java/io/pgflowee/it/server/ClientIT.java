package io.pgflowee.it.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.jboss.arquillian.container.test.api.RunAsClient;
import org.junit.jupiter.api.Test;

import io.pgflowee.client.AccessDeniedException;
import io.pgflowee.client.Pgflow;
import io.pgflowee.client.RefusedException;
import io.pgflowee.client.RunCancelledException;
import io.pgflowee.client.RunFailedException;
import io.pgflowee.client.RunHandle;
import io.pgflowee.client.RunState;
import io.pgflowee.client.RunStatus;
import io.pgflowee.client.SignalOutcome;
import io.pgflowee.client.StartOptions;
import io.pgflowee.client.remote.RemotePgflow;
import io.pgflowee.example.signup.RemoteGreeter;
import io.pgflowee.example.signup.SignupService;
import io.pgflowee.examples.GreetUser;
import io.pgflowee.examples.OrderApproval;
import io.pgflowee.it.support.ItFlows;
import io.pgflowee.it.support.OnSharedServer;
import jakarta.annotation.Resource;
import jakarta.inject.Inject;
import jakarta.transaction.UserTransaction;

/**
 * The typed Java client, both ways, on the shared Payara Micro. In the server ({@code @Inject
 * Pgflow}, the example application's {@link SignupService} EJB): a start inside a JTA transaction
 * commits and rolls back with the caller's own writes; {@code withOwnTransaction()} does not; an
 * await inside the starting transaction is refused. From this JVM ({@link RemotePgflow} over
 * {@code /api}, the example's {@link RemoteGreeter}): typed output, typed failure and
 * cancellation, idempotent starts, batches, signals, events, and the problems of a wrong password,
 * a role that may not, and an unknown run. (The OpenAPI document and a generated client: IntegrationIT.)
 */
public class ClientIT extends OnSharedServer {

    @Inject
    Pgflow pgflow;

    @Inject
    SignupService signups;

    @Resource
    UserTransaction transaction;

    private static final Duration PATIENCE = Duration.ofSeconds(120);

    @Resource(lookup = "java:comp/TransactionSynchronizationRegistry")
    jakarta.transaction.TransactionSynchronizationRegistry registry;

    @Test
    void aSignupAndItsGreetingRunCommitAndRollBackTogether() throws Exception {
        signups.createSchema();

        transaction.begin();
        UUID rolledBack = signups.register("rolled-back@example.com", "Rob", "Back");
        transaction.rollback();
        assertThat(query("select count(*) from pgflow.runs where run_id = '" + rolledBack + "'")).containsExactly("0");
        assertThat(signups.greetingRun("rolled-back@example.com")).isEmpty();

        transaction.begin();
        UUID run;
        try {
            run = signups.register("ann@example.com", "Ann", "Lee");
            assertThat(registry.getTransactionStatus()).as("the test's transaction is active").isEqualTo(jakarta.transaction.Status.STATUS_ACTIVE);
            RunHandle<GreetUser.Output> handle = pgflow.find(run, GreetUser.class);
            assertThatThrownBy(() -> handle.await(Duration.ofSeconds(5))).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("run " + run + " was started in the transaction that is still open");
        } finally {
            transaction.commit();
        }
        assertThat(signups.greetingRun("ann@example.com")).contains(run);
        assertThat(signups.greeting(run, PATIENCE)).isEqualTo("Hello, Ann Lee!");
        assertThat(query("select idempotency_key || ' ' || status from pgflow.runs where run_id = '" + run + "'"))
                .containsExactly("signup:ann@example.com completed");
    }

    @Test
    void aStartInItsOwnTransactionStaysWhenTheCallerRollsBack() throws Exception {
        String key = "own-" + UUID.randomUUID();
        transaction.begin();
        RunHandle<GreetUser.Output> run = pgflow.start(GreetUser.class, new GreetUser.Input("Olga", "Own"),
                StartOptions.idempotencyKey(key).withOwnTransaction());
        transaction.rollback();

        assertThat(run.created()).isTrue();
        assertThat(run.await(PATIENCE)).isEqualTo(new GreetUser.Output("Hello, Olga Own!"));
        assertThat(query("select status from pgflow.runs where idempotency_key = '" + key + "'")).containsExactly("completed");
    }

    @Test
    void inTheServerASignalIsTypedAndTheRunsOutputIsTheFlowsRecord() {
        String key = "approval-" + UUID.randomUUID();
        RunHandle<OrderApproval.Output> run = pgflow.start(OrderApproval.class, new OrderApproval.Order(key,
                new java.math.BigDecimal("120")), StartOptions.idempotencyKey(key));
        SignalOutcome outcome = pgflow.signal(run.runId(), "approval", new OrderApproval.Approval(true, "ann"));

        assertThat(outcome).isIn(SignalOutcome.DELIVERED, SignalOutcome.BUFFERED);
        assertThat(run.await(PATIENCE)).isEqualTo(new OrderApproval.Output("shipped " + key + " (120.00), approved by ann"));
        assertThat(pgflow.signal(run.runId(), "approval", new OrderApproval.Approval(false, "bob"))).isEqualTo(SignalOutcome.IGNORED);
    }

    @Test
    @RunAsClient
    void remotelyTheExampleGreetsAndStartsAreIdempotentAndBatched() throws Exception {
        Pgflow remote = remote("it-operator");
        String key = "remote-" + UUID.randomUUID();

        assertThat(RemoteGreeter.greet(remote, "Alice", "Smith", key)).isEqualTo("Hello, Alice Smith!");
        RunHandle<GreetUser.Output> again = remote.start(GreetUser.class, new GreetUser.Input("Alice", "Smith"),
                StartOptions.idempotencyKey(key));
        assertThat(again.created()).isFalse();
        RunStatus status = again.status();
        assertThat(status.state()).isEqualTo(RunState.COMPLETED);
        assertThat(status.flowSlug()).isEqualTo("greet_user");
        assertThat(io.pgflowee.api.json.JsonCodec.parse(status.outputJson()))
                .isEqualTo(io.pgflowee.api.json.JsonCodec.parse("{\"greeting\": \"Hello, Alice Smith!\"}"));
        assertThat(status.endedAt()).isAfterOrEqualTo(status.startedAt());

        List<RunHandle<GreetUser.Output>> batch = remote.startAll(GreetUser.class, List.of(new GreetUser.Input("Bo", "One"),
                new GreetUser.Input("Cy", "Two")), StartOptions.idempotencyKey(key + "-batch"));
        assertThat(batch).extracting(RunHandle::created).containsExactly(true, true);
        List<String> greetings = new ArrayList<>();
        for (RunHandle<GreetUser.Output> h : batch) {
            greetings.add(h.await(PATIENCE).greeting());
        }
        assertThat(greetings).containsExactly("Hello, Bo One!", "Hello, Cy Two!");
        assertThat(remote.startAll(GreetUser.class, List.of(new GreetUser.Input("Bo", "One"), new GreetUser.Input("Cy", "Two")),
                StartOptions.idempotencyKey(key + "-batch"))).extracting(RunHandle::runId)
                .containsExactlyElementsOf(batch.stream().map(RunHandle::runId).toList());

        RunHandle<GreetUser.Output> found = remote.find(batch.get(0).runId(), GreetUser.class);
        assertThat(found.await(Duration.ofSeconds(5)).greeting()).isEqualTo("Hello, Bo One!");
        assertThat(io.pgflowee.client.testing.RunEvents.of(found, Duration.ofSeconds(60))).containsExactly("run:started", "step:started full_name", "step:completed full_name",
                "step:started greeting", "step:completed greeting", "run:completed");
    }

    @Test
    @RunAsClient
    void remotelyFailuresCancellationsAndSignalsAreTyped() throws Exception {
        Pgflow remote = remote("it-operator");

        RunHandle<ItFlows.ClientDoomed.Output> doomed = remote.start(ItFlows.ClientDoomed.class, new ItFlows.ClientDoomed.Input("4242"));
        assertThatThrownBy(() -> doomed.await(PATIENCE)).isInstanceOfSatisfying(RunFailedException.class, e -> {
            assertThat(e.failure().stepSlug()).isEqualTo("charge");
            assertThat(e.failure().taskIndex()).isZero();
            assertThat(e.failure().attempt()).isEqualTo(1);
            assertThat(e.failure().error()).startsWith("java.lang.IllegalArgumentException: card 4242 declined\n\tat ");
        }).hasMessage("Run failed: run " + doomed.runId() + " of flow 'it_client_doomed' failed: step 'charge' failed on attempt 1:"
                + " java.lang.IllegalArgumentException: card 4242 declined");

        String order = "order-" + UUID.randomUUID();
        RunHandle<OrderApproval.Output> waiting = remote.start(OrderApproval.class, new OrderApproval.Order(order,
                new java.math.BigDecimal("5")));
        RunStatus cancelled = waiting.cancel("out of stock");
        assertThat(cancelled.state()).isEqualTo(RunState.CANCELLED);
        assertThat(cancelled.cancelReason()).isEqualTo("out of stock");
        assertThatThrownBy(() -> waiting.await(PATIENCE)).isInstanceOfSatisfying(RunCancelledException.class,
                e -> assertThat(e.reason()).isEqualTo("out of stock"));
        RunStatus resumed = waiting.retry();
        assertThat(resumed.state()).as("a cancelled run resumes").isEqualTo(RunState.STARTED);
        assertThat(waiting.cancel("still out of stock").state()).isEqualTo(RunState.CANCELLED);

        RunHandle<OrderApproval.Output> approved = remote.start(OrderApproval.class, new OrderApproval.Order(order,
                new java.math.BigDecimal("7.5")));
        assertThat(remote.signal(approved.runId(), "approval", new OrderApproval.Approval(true, "ann")))
                .isIn(SignalOutcome.DELIVERED, SignalOutcome.BUFFERED);
        assertThat(approved.await(PATIENCE).fulfil()).isEqualTo("shipped " + order + " (7.50), approved by ann");
        assertThatThrownBy(approved::retry).isInstanceOfSatisfying(RefusedException.class,
                e -> assertThat(e.kind()).as("a completed run is not retried").isEqualTo(RefusedException.Kind.CONFLICT));
        assertThatThrownBy(() -> remote.signal(approved.runId(), "review", new OrderApproval.Approval(true, "ann")))
                .isInstanceOfSatisfying(RefusedException.class, e -> assertThat(e.kind()).isEqualTo(RefusedException.Kind.INVALID));
    }

    @Test
    @RunAsClient
    void remotelyProblemsBecomeTheSameExceptions() {
        UUID nobody = UUID.randomUUID();
        assertThatThrownBy(() -> remote("it-operator").find(nobody, GreetUser.class))
                .isInstanceOfSatisfying(RefusedException.class, e -> assertThat(e.kind()).isEqualTo(RefusedException.Kind.NOT_FOUND))
                .hasMessage("Unknown run: Run " + nobody + " does not exist");
        assertThatThrownBy(() -> RemotePgflow.builder(URI.create(root())).basicAuth("it-operator", "wrong").build()
                .start(GreetUser.class, new GreetUser.Input("A", "B")))
                .isInstanceOfSatisfying(AccessDeniedException.class, e -> assertThat(e.status()).isEqualTo(401));
        assertThatThrownBy(() -> remote("it-viewer").start(GreetUser.class, new GreetUser.Input("A", "B")))
                .isInstanceOfSatisfying(AccessDeniedException.class, e -> assertThat(e.status()).isEqualTo(403));
        assertThatThrownBy(() -> RemotePgflow.builder(URI.create("http://127.0.0.1:9/")).startAttempts(2).build()
                .start(GreetUser.class, new GreetUser.Input("A", "B")))
                .isInstanceOf(io.pgflowee.client.PgflowException.class).hasMessageStartingWith("Server unreachable: POST http://127.0.0.1:9/api/flows/greet_user/runs failed");
    }

    private String root() {
        return base.getProtocol() + "://" + base.getHost() + ":" + base.getPort() + base.getPath();
    }

    /** The remote client signed in as {@code user} (password {@code <user>-secret}). */
    private Pgflow remote(String user) {
        return RemotePgflow.builder(URI.create(root())).basicAuth(user, user + "-secret").build();
    }
}
