package io.pgflowee.it.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TaskContext;
import io.pgflowee.api.flow.TypeRef;
import javax.sql.DataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonValue;

/**
 * Flows that exist only in the shared server's test classes ({@link ItDeployment})'s deployment, to drive the workers through
 * retries, failures, timeouts, a large map and shutdowns on the real server. They are CDI beans
 * like a user's flows; the test server runs with {@code pgflow.flows.autoCompile=true} (see
 * arquillian.xml) because they have no changelog. What their handlers observe is kept in static
 * fields, which the in-container test methods read (same class loader).
 */
public final class ItFlows {

    /** System.nanoTime() of each attempt of it_flaky. */
    public static final List<Long> FLAKY_ATTEMPTS = new CopyOnWriteArrayList<>();
    /** Interrupts it_slow's handler saw, and whether its context said cancelled then. */
    public static final List<String> SLOW_INTERRUPTS = new CopyOnWriteArrayList<>();
    /** it_graceful's handlers running now, and the most that ever ran at once. */
    public static final AtomicInteger GRACEFUL_RUNNING = new AtomicInteger();
    public static final AtomicInteger GRACEFUL_MAX_RUNNING = new AtomicInteger();
    /** it_stuck: first attempts running now, and what a cancelled handler saw. */
    public static final AtomicInteger STUCK_RUNNING = new AtomicInteger();
    public static final List<String> STUCK_CANCELLED = new CopyOnWriteArrayList<>();
    /** it_cancel: its blocking handler running now, what it saw when cancelled, and when (System.nanoTime()). */
    public static final AtomicInteger CANCEL_RUNNING = new AtomicInteger();
    public static final List<String> CANCEL_INTERRUPTS = new CopyOnWriteArrayList<>();
    public static final AtomicLong CANCEL_ENDED_AT = new AtomicLong();
    private static final AtomicBoolean CANCEL_BLOCKED_ONCE = new AtomicBoolean();

    private ItFlows() {
    }

    /** Sleeps a minute; an interrupt is noted in {@code interrupts} with what the context said then, and rethrown. */
    private static void sleepNotingInterrupt(TaskContext ctx, List<String> interrupts) throws InterruptedException {
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            interrupts.add("interrupted, cancelled=" + ctx.isCancelled());
            throw e;
        }
    }

    /** Fails on attempts 1 and 2, succeeds on 3. */
    @ApplicationScoped
    public static class Flaky implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_flaky", JsonValue.class).maxAttempts(3).baseDelay(1);
            flow.step("call", String.class).run((in, ctx) -> {
                FLAKY_ATTEMPTS.add(System.nanoTime());
                if (ctx.attempt() < 3) {
                    throw new IllegalStateException("service unavailable (attempt " + ctx.attempt() + ")");
                }
                return "ok on attempt " + ctx.attempt();
            });
            return flow;
        }
    }

    /** Always fails. */
    @ApplicationScoped
    public static class Doomed implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_doomed", JsonValue.class).maxAttempts(2).baseDelay(1);
            flow.step("charge", String.class).run(in -> {
                throw new IllegalArgumentException("card declined");
            });
            return flow;
        }
    }

    /** The Java client's failing flow: typed, one attempt, its error names the card. */
    @ApplicationScoped
    public static class ClientDoomed implements io.pgflowee.api.flow.TypedFlow<ClientDoomed.Input, ClientDoomed.Output> {
        public record Input(String card) {
        }

        public record Output(String charge) {
        }

        @Override
        public Flow<Input> flow() {
            Flow<Input> flow = Flow.define("it_client_doomed", Input.class).maxAttempts(1);
            flow.step("charge", String.class).run(in -> {
                throw new IllegalArgumentException("card " + in.card() + " declined");
            });
            return flow;
        }
    }

    /** Sleeps far past its 3 s timeout. */
    @ApplicationScoped
    public static class Slow implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_slow", JsonValue.class).maxAttempts(1).timeout(3);
            flow.step("sleep", String.class).run((in, ctx) -> {
                sleepNotingInterrupt(ctx, SLOW_INTERRUPTS);
                return "woke up";
            });
            return flow;
        }
    }

    /**
     * The first execution blocks until it is interrupted (its run gets cancelled); every later one
     * returns at once (the run retried).
     */
    @ApplicationScoped
    public static class Cancellable implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_cancel", JsonValue.class).maxAttempts(1).timeout(60);
            flow.step("wait", String.class).run((in, ctx) -> {
                if (!CANCEL_BLOCKED_ONCE.compareAndSet(false, true)) {
                    return "resumed on attempt " + ctx.attempt();
                }
                CANCEL_RUNNING.incrementAndGet();
                try {
                    sleepNotingInterrupt(ctx, CANCEL_INTERRUPTS);
                } finally {
                    CANCEL_ENDED_AT.set(System.nanoTime());
                    CANCEL_RUNNING.decrementAndGet();
                }
                return "not reached";
            });
            return flow;
        }
    }

    /**
     * For the console journeys: {@code charge} fails while the input's {@code batch} is listed in the
     * table {@code it_console_broken} (which the journeys create and fill), or, for an input with
     * {@code "hold": true}, runs until its run is cancelled (at most 60 s); {@code receipt} follows.
     */
    @ApplicationScoped
    public static class Console implements FlowDefinition {

        @Resource(lookup = "java:app/jdbc/pgflow")
        DataSource dataSource;

        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_console", JsonValue.class).maxAttempts(1).timeout(120);
            Step<String> charge = flow.step("charge", String.class).run((in, ctx) -> {
                jakarta.json.JsonObject o = in.asJsonObject();
                if (o.getBoolean("hold", false)) {
                    long until = System.nanoTime() + 60_000_000_000L;
                    while (!ctx.isCancelled() && System.nanoTime() < until) {
                        Thread.sleep(50);
                    }
                    return "released";
                }
                String batch = o.getString("batch", "");
                if (broken(batch)) {
                    throw new IllegalStateException("payment service unavailable for batch " + batch);
                }
                return "charged " + batch;
            });
            flow.step("receipt", String.class).after(charge).run(c -> "receipt: " + c);
            return flow;
        }

        private boolean broken(String batch) throws Exception {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("select exists (select 1 from it_console_broken where batch = ?)")) {
                ps.setString(1, batch);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        }
    }

    /** A flow of one step that returns its input (several test flows differ only in their slugs). */
    public static Flow<JsonValue> echo(String flowSlug, String stepSlug) {
        Flow<JsonValue> flow = Flow.define(flowSlug, JsonValue.class);
        flow.step(stepSlug, JsonValue.class).run(in -> in);
        return flow;
    }

    /** For the batch job tests: the runs a backfill starts (the tests keep the flow paused, so nothing runs). */
    @ApplicationScoped
    public static class Backfill implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            return echo("it_backfill", "echo");
        }
    }

    /** For the prune job test: one step that returns its input. */
    @ApplicationScoped
    public static class Prune implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            return echo("it_prune", "keep");
        }
    }

    /** For the test of a flow changed in the database behind the server's back: one step (the test gives the database two). */
    @ApplicationScoped
    public static class Changed implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            return echo("it_changed", "only");
        }
    }

    /** Each it_events task takes one permit, so a test moves the run one step at a time. */
    public static final java.util.concurrent.Semaphore EVENTS_GATE = new java.util.concurrent.Semaphore(0);

    /** Two steps, each waiting for a permit of {@link #EVENTS_GATE}: a run whose events a test paces. */
    @ApplicationScoped
    public static class Paced implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_events", JsonValue.class).maxAttempts(1).timeout(120);
            Step<String> first = flow.step("first", String.class).run(in -> pass("first"));
            flow.step("second", String.class).after(first).run(prev -> pass(prev + ", second"));
            return flow;
        }

        private static String pass(String value) throws InterruptedException {
            if (!EVENTS_GATE.tryAcquire(100, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("no permit within 100 s");
            }
            return value;
        }
    }

    /** A root map over the 100 numbers of the run input, and their sum. */
    @ApplicationScoped
    public static class Hundred implements FlowDefinition {
        @Override
        public Flow<List<Integer>> flow() {
            Flow<List<Integer>> flow = Flow.define("it_hundred", new TypeRef<List<Integer>>() { });
            Step<List<Integer>> squares = flow.map("squares", Integer.class).overInput(Integer.class).run(n -> n * n);
            flow.step("sum", Integer.class).after(squares).run(all -> all.stream().mapToInt(Integer::intValue).sum());
            return flow;
        }
    }

    /**
     * Handlers of 1.5 s; this server runs at most 2 at once and gives them 10 s at shutdown
     * ({@code pgflow.worker.it_graceful.*} in arquillian.xml).
     */
    @ApplicationScoped
    public static class Graceful implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_graceful", JsonValue.class);
            flow.step("work", String.class).run(in -> {
                GRACEFUL_MAX_RUNNING.accumulateAndGet(GRACEFUL_RUNNING.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(1500);
                } finally {
                    GRACEFUL_RUNNING.decrementAndGet();
                }
                return "done";
            });
            return flow;
        }
    }

    /**
     * The first execution ignores its shutdown grace period (2 s here, {@code
     * pgflow.worker.it_stuck.shutdownTimeoutMs}) until it is cancelled; later executions finish at once.
     */
    @ApplicationScoped
    public static class Stuck implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_stuck", JsonValue.class).timeout(15).maxAttempts(3);
            flow.step("work", String.class).run((in, ctx) -> {
                if (!STUCK_CANCELLED.isEmpty()) {
                    return "finished on attempt " + ctx.attempt();
                }
                STUCK_RUNNING.incrementAndGet();
                try {
                    sleepNotingInterrupt(ctx, STUCK_CANCELLED);
                } finally {
                    STUCK_RUNNING.decrementAndGet();
                }
                return "not reached";
            });
            return flow;
        }
    }

    /**
     * For {@link ServerLifecycleIT}: on the server named {@code a} ({@code -Dit.server=a}) the step
     * works {@code seconds} (input), elsewhere it finishes at once; it answers the server's name. An
     * interrupt ends it (a cancelled handler).
     */
    @ApplicationScoped
    public static class Lifecycle implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_lifecycle", JsonValue.class).maxAttempts(1).timeout(600);
            flow.step("work", String.class).run(in -> {
                String server = System.getProperty("it.server", "arquillian");
                if (server.equals("a")) {
                    Thread.sleep(1000L * ((jakarta.json.JsonObject) in).getInt("seconds"));
                }
                return server;
            });
            return flow;
        }
    }

    /**
     * Per-key control (ServerLifecycleIT, RunsApiIT): the run's concurrency key is its input's
     * {@code tenant} (the DSL computes it when REST starts the flow); the step works {@code ms}
     * (input, default 0) and answers the server's name.
     */
    @ApplicationScoped
    public static class Keyed implements FlowDefinition {
        @Override
        public Flow<JsonValue> flow() {
            Flow<JsonValue> flow = Flow.define("it_keyed", JsonValue.class).maxAttempts(1).timeout(60)
                    .concurrencyKey(in -> ((jakarta.json.JsonObject) in).getString("tenant", null))
                    .priority(in -> ((jakarta.json.JsonObject) in).getInt("tier", 0));
            flow.step("work", String.class).run(in -> {
                Thread.sleep(((jakarta.json.JsonObject) in).getInt("ms", 0));
                return System.getProperty("it.server", "arquillian");
            });
            return flow;
        }
    }

    /**
     * For {@link ChaosIT}: a root step {@code items} ({@code width} numbers from {@code n}), a map
     * {@code square} over them, a conditional root step {@code bonus} (only for {@code "vip": true}),
     * and {@code total} = the sum of the squares plus the bonus: {@link #chaosTotal}. Every handler
     * sleeps a duration fixed per task between {@code minMs} and {@code maxMs}, fails its first
     * attempt when {@link #chaosInjects} says so, and writes each execution (start, end, outcome,
     * server, attempt) to {@code it_chaos_executions} (which that test creates).
     */
    @ApplicationScoped
    public static class Chaos implements FlowDefinition {

        /** A run's input. */
        public record Input(int n, int width, boolean vip, int minMs, int maxMs, int failPercent) {
        }

        @Resource(lookup = "java:app/jdbc/pgflow")
        DataSource dataSource;

        @Override
        public Flow<Input> flow() {
            Flow<Input> flow = Flow.define("it_chaos", Input.class).maxAttempts(10).baseDelay(1).timeout(5);
            Step<List<Integer>> items = flow.step("items", new TypeRef<List<Integer>>() { })
                    .run((in, ctx) -> execute(ctx, () -> java.util.stream.IntStream.range(in.n(), in.n() + in.width()).boxed().toList()));
            Step<List<Integer>> squares = flow.map("square", Integer.class).over(items)
                    .run((x, ctx) -> execute(ctx, () -> x * x));
            Step<Integer> bonus = flow.step("bonus", Integer.class).when("{\"vip\": true}")
                    .run((in, ctx) -> execute(ctx, () -> 1000));
            flow.step("total", Integer.class).after(squares, bonus)
                    .run((sq, b, ctx) -> execute(ctx, () -> sq.stream().mapToInt(Integer::intValue).sum() + (b == null ? 0 : b)));
            return flow;
        }

        private <T> T execute(TaskContext ctx, java.util.concurrent.Callable<T> result) throws Exception {
            Input in = ctx.flowInput(Input.class);
            int n = in.n();
            long id;
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("insert into it_chaos_executions (run_id, step_slug, task_index, attempt, server, pid)"
                         + " values (?, ?, ?, ?, ?, ?) returning id")) {
                ps.setObject(1, ctx.runId());
                ps.setString(2, ctx.stepSlug());
                ps.setInt(3, ctx.taskIndex());
                ps.setInt(4, ctx.attempt());
                ps.setString(5, System.getProperty("it.server", "?"));
                ps.setLong(6, ProcessHandle.current().pid());
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
            }
            Thread.sleep(chaosSleepMs(n, ctx.stepSlug(), ctx.taskIndex(), in.minMs(), in.maxMs()));
            boolean injected = ctx.attempt() == 1 && chaosInjects(n, ctx.stepSlug(), ctx.taskIndex(), in.failPercent());
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("update it_chaos_executions set ended_at = clock_timestamp(), outcome = ? where id = ?")) {
                ps.setString(1, injected ? "injected" : "ok");
                ps.setLong(2, id);
                ps.executeUpdate();
            }
            if (injected) {
                throw new IllegalStateException("injected failure of " + ctx.stepSlug() + "[" + ctx.taskIndex() + "] of run n=" + n);
            }
            return result.call();
        }
    }

    /** Whether it_chaos's handler fails the first attempt of this task: {@code percent} % of tasks, fixed per task. */
    public static boolean chaosInjects(int n, String step, int index, int percent) {
        return Math.floorMod(mix(n, step, index, 1), 100) < percent;
    }

    /** How long it_chaos's handler of this task sleeps: between min and max ms, fixed per task. */
    public static long chaosSleepMs(int n, String step, int index, int minMs, int maxMs) {
        return minMs + Math.floorMod(mix(n, step, index, 2), maxMs - minMs + 1);
    }

    /** it_chaos's output {@code total} for a run of this input. */
    public static long chaosTotal(int n, int width, boolean vip) {
        long sum = 0;
        for (int x = n; x < n + width; x++) {
            sum += (long) x * x;
        }
        return sum + (vip ? 1000 : 0);
    }

    private static int mix(int n, String step, int index, int salt) {
        int h = n * 0x9E3779B1 ^ step.hashCode() * 31 ^ index * 0x85EBCA6B ^ salt * 0xC2B2AE35;
        h ^= h >>> 16;
        h *= 0x7FEB352D;
        h ^= h >>> 15;
        return h;
    }
}
