package io.pgflowee.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.engine.flows.FlowStatus;
import io.pgflowee.engine.flows.FlowVerifier;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.json.JsonValue;

/**
 * Several workers of one flow against one database, as several application servers run them:
 * the work is shared, no task runs on two workers at once, and a worker process killed with
 * SIGKILL in the middle of its tasks loses nothing (its tasks come back after their lease and
 * another worker completes them).
 *
 * <p>The servers are stood in for by workers on their own executors and, for the kill, by a second
 * JVM ({@link KillableWorkerProcess}): the claim protocol they exercise is exactly the one the
 * servers' workers run (same {@link FlowWorker}, same SQL functions); a test booting two Payara
 * instances would take a quarter of an hour on the CI machine and prove nothing more about it.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class SeveralWorkersTest {

    private static final WorkerSettings FOUR_AT_A_TIME =
            new WorkerSettings(4, 4, Duration.ofMillis(50), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1));

    private final List<ExecutorService> executors = new ArrayList<>();
    private final List<FlowWorker> workers = new ArrayList<>();
    private DataSource dataSource;
    private Db db;
    private Process child;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        dataSource = ds;
        db = new Db(ds);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        workers.forEach(FlowWorker::stop);
        executors.forEach(ExecutorService::shutdownNow);
        if (child != null && child.isAlive()) {
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** A worker as one server would run it: its own handler pool and its own claim scheduler. */
    private FlowWorker startWorker(Flow<?> flow) throws Exception {
        return startWorker(flow, null);
    }

    private FlowWorker startWorker(Flow<?> flow, io.pgflowee.engine.metrics.PgflowMetrics metrics) throws Exception {
        ExecutorService handlers = Executors.newCachedThreadPool();
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
        executors.add(handlers);
        executors.add(scheduler);
        FlowWorker worker = new FlowWorker(flow, dataSource, handlers, scheduler, FOUR_AT_A_TIME, JsonCodec.create(), "test", metrics);
        worker.start();
        workers.add(worker);
        return worker;
    }

    private void compile(Flow<?> flow) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            assertThat(FlowVerifier.verify(c, flow, true).state()).isEqualTo(FlowStatus.State.COMPILED);
        }
    }

    private void awaitAllRunsEnded(String flow, int seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            long open = db.<Long>one("select count(*) from pgflow.runs where flow_slug = ? and status = 'started'", flow);
            if (open == 0) {
                return;
            }
            Thread.sleep(100);
        }
    }

    @Test
    void aWorkerHeldBackByARateLimitWaitsForTheNextTokenInsteadOfClaimingAtEveryPoll() throws Exception {
        Flow<JsonValue> flow = Flow.define("rated_work", JsonValue.class);
        flow.step("only", String.class).run(in -> "done");
        compile(flow);
        db.exec("select pgflow.set_rate_limit('rated_work', 1, 1)"); // one task a second, one at once
        AtomicInteger claims = new AtomicInteger();
        startWorker(flow, new io.pgflowee.engine.metrics.PgflowMetrics() {
            @Override
            public void claimed(String flowSlug, long nanos) {
                claims.incrementAndGet();
            }
        });
        Thread.sleep(300); // the worker's first polls find nothing to do
        int before = claims.get();

        long t0 = System.nanoTime();
        db.exec("select count(*) from pgflow.start_flows('rated_work', array_fill('{}'::jsonb, array[4]))");
        awaitAllRunsEnded("rated_work", 30);
        double seconds = (System.nanoTime() - t0) / 1e9;

        assertThat(db.<Long>one("select count(*) from pgflow.runs where flow_slug = 'rated_work' and status = 'completed'")).isEqualTo(4L);
        assertThat(seconds).as("the bucket's one token, then one a second").isGreaterThanOrEqualTo(2.9);
        // polling every 50 ms would have claimed about 60 times in those 3 s; waiting for each token, a handful
        assertThat(claims.get() - before).as("claims in %.1f s", seconds).isBetween(4, 12);
    }

    @Test
    void twoWorkersOnOneDatabaseShareTheWorkAndNeverRunATaskTwice() throws Exception {
        Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
        Set<String> running = ConcurrentHashMap.newKeySet();
        AtomicInteger overlaps = new AtomicInteger();
        Map<String, AtomicInteger> byServer = new ConcurrentHashMap<>();
        List<Flow<JsonValue>> servers = new ArrayList<>();
        for (String server : List.of("server-1", "server-2")) {
            // Each server has its own instance of the flow (same shape), its handlers tagged with its name.
            Flow<JsonValue> flow = Flow.define("shared_work", JsonValue.class);
            Step<String> first = flow.step("first", String.class).run((in, ctx) -> {
                execute(server, ctx.runId() + "/first", executions, running, overlaps, byServer);
                return server;
            });
            flow.step("second", String.class).after(first).run((prev, ctx) -> {
                execute(server, ctx.runId() + "/second", executions, running, overlaps, byServer);
                return prev + "+" + server;
            });
            servers.add(flow);
        }
        compile(servers.get(0));
        startWorker(servers.get(0));
        startWorker(servers.get(1));

        db.exec("select count(*) from generate_series(1, 100) g, lateral pgflow.start_flow('shared_work', jsonb_build_object('n', g))");
        awaitAllRunsEnded("shared_work", 180);

        assertThat(db.<Long>one("select count(*) from pgflow.runs where flow_slug = 'shared_work' and status = 'completed'"))
                .isEqualTo(100L);
        assertThat(overlaps).as("a task ran on two workers at once").hasValue(0);
        assertThat(executions).hasSize(200);
        assertThat(executions.values()).allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(db.rows("select distinct attempts_count, status from pgflow.step_tasks where flow_slug = 'shared_work'"))
                .containsExactly(Map.of("attempts_count", 1, "status", "completed"));
        assertThat(byServer.keySet()).as("both servers got work").containsExactlyInAnyOrder("server-1", "server-2");
        assertThat(byServer.get("server-1").get() + byServer.get("server-2").get()).isEqualTo(200);
        // Each task's last_worker_id names the worker whose handler ran it.
        assertThat(db.<Long>one("select count(distinct last_worker_id) from pgflow.step_tasks where flow_slug = 'shared_work'"))
                .isEqualTo(2L);
    }

    private static void execute(String server, String task, Map<String, AtomicInteger> executions, Set<String> running,
                                AtomicInteger overlaps, Map<String, AtomicInteger> byServer) throws InterruptedException {
        if (!running.add(task)) {
            overlaps.incrementAndGet();
        }
        executions.computeIfAbsent(task, k -> new AtomicInteger()).incrementAndGet();
        byServer.computeIfAbsent(server, k -> new AtomicInteger()).incrementAndGet();
        Thread.sleep(20);
        running.remove(task);
    }

    @Test
    void aWorkerProcessKilledWithSigkillMidTaskLosesNothing() throws Exception {
        Flow<JsonValue> flow = KillableWorkerProcess.flow("survivor");
        compile(flow);

        Path log = Path.of("target", "killed-worker-process.log");
        child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), KillableWorkerProcess.class.getName(), PgflowDatabaseExtension.jdbcUrl())
                .redirectError(log.toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String ready = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (java.io.IOException e) {
                return "IOException: " + e.getMessage();
            }
        }).get(180, TimeUnit.SECONDS);
        assertThat(ready).as("first line of the worker process (its stderr: %s)", log.toAbsolutePath()).startsWith("WORKER ");
        UUID killed = UUID.fromString(ready.substring("WORKER ".length()));

        db.exec("select count(*) from generate_series(1, 40) g, lateral pgflow.start_flow('survivor', jsonb_build_object('n', g))");

        // The process completes its first two tasks at once and then holds every task it claims (it
        // runs four at a time) until it is killed: wait for that state, which stays put, then kill it.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Map<String, Object> mine = Map.of();
        while (System.nanoTime() < until) {
            mine = db.row("select count(*) filter (where status = 'completed') as completed,"
                    + " count(*) filter (where status = 'started') as started"
                    + " from pgflow.step_tasks where flow_slug = 'survivor' and last_worker_id = ?", killed);
            if ((Long) mine.get("completed") == 2 && (Long) mine.get("started") >= 1) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(mine).as("the worker process's tasks before the kill").containsEntry("completed", 2L);
        child.destroyForcibly(); // SIGKILL: no shutdown hook, no mark_worker_stopped, no fail_task
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
        // A statement the process had sent (a claim) still runs to its end in its PostgreSQL backend
        // and may commit after the kill: wait until no other session is busy, then read what it held.
        long quiet = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((Long) db.one("select count(*) from pg_stat_activity where backend_type = 'client backend'"
                + " and datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'") > 0 && System.nanoTime() < quiet) {
            Thread.sleep(20);
        }

        // The other server's worker, for the same flow, with handlers that finish at once.
        Flow<JsonValue> survivingServer = Flow.define("survivor", JsonValue.class).timeout(KillableWorkerProcess.TIMEOUT).maxAttempts(3);
        survivingServer.step("work", String.class).run(in -> "done by the surviving worker");
        FlowWorker survivor = startWorker(survivingServer);

        List<Map<String, Object>> inFlight = db.rows("select run_id, task_index from pgflow.step_tasks"
                + " where flow_slug = 'survivor' and status = 'started' and last_worker_id = ?", killed);
        long completedByKilled = db.one("select count(*) from pgflow.step_tasks"
                + " where flow_slug = 'survivor' and status = 'completed' and last_worker_id = ?", killed);
        assertThat(inFlight).as("tasks the killed process was running").hasSizeBetween(1, 4);
        assertThat(completedByKilled).isEqualTo(2L);

        // Lease = 15 s timeout + 5 s grace; then the surviving worker claims and completes them.
        awaitAllRunsEnded("survivor", 180);
        assertThat(db.rows("select status, count(*) as n from pgflow.runs where flow_slug = 'survivor' group by status"))
                .containsExactly(Map.of("status", "completed", "n", 40L));
        for (Map<String, Object> task : inFlight) {
            assertThat(db.row("select status, attempts_count, output::text as output, last_worker_id = ? as by_survivor"
                    + " from pgflow.step_tasks where run_id = ? and step_slug = 'work'", survivor.workerId(), task.get("run_id")))
                    .as("task taken back from the killed worker")
                    .containsEntry("status", "completed").containsEntry("attempts_count", 2)
                    .containsEntry("output", "\"done by the surviving worker\"").containsEntry("by_survivor", true);
        }
        // Every other task ran exactly once: a claim increments attempts_count, so 1 means no second worker ran it.
        List<Map<String, Object>> retried = db.rows("select run_id, task_index, attempts_count, last_worker_id::text as worker,"
                + " started_at::text as started_at, completed_at::text as completed_at, error_message from pgflow.step_tasks"
                + " where flow_slug = 'survivor' and attempts_count <> 1 order by started_at");
        assertThat(retried).as("tasks claimed more than once (killed worker %s had in flight %s)", killed, inFlight)
                .hasSameSizeAs(inFlight);
        assertThat(db.<Long>one("select count(*) from pgflow.step_tasks where flow_slug = 'survivor'"
                + " and output = '\"done by the killed process\"'::jsonb")).isEqualTo(completedByKilled);
        assertThat((Boolean) db.one("select stopped_at is null from pgflow.workers where worker_id = ?", killed))
                .as("a killed worker is never marked stopped; its heartbeat just ages").isTrue();
    }

    /**
     * The second JVM of {@link #aWorkerProcessKilledWithSigkillMidTaskLosesNothing}: runs a worker
     * for flow {@code survivor} whose handler completes the process's first two tasks and holds
     * every later one, prints {@code WORKER <id>} when claiming, and runs until killed.
     */
    public static final class KillableWorkerProcess {

        /** Long enough that the held tasks cannot time out (and be failed by the process itself) before the kill. */
        static final int TIMEOUT = 15;

        static Flow<JsonValue> flow(String slug) {
            AtomicInteger handled = new AtomicInteger();
            Flow<JsonValue> flow = Flow.define(slug, JsonValue.class).timeout(TIMEOUT).maxAttempts(3);
            flow.step("work", String.class).run(in -> {
                if (handled.incrementAndGet() > 2) {
                    Thread.sleep(Long.MAX_VALUE); // held until the process is killed
                }
                return "done by the killed process";
            });
            return flow;
        }

        public static void main(String[] args) throws Exception {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setURL(args[0]);
            // Warm up JSON-B first, as a running server is: on a cold JVM of a loaded 2-core machine its
            // first use takes seconds, which would eat into the tasks' timeout.
            JsonCodec warm = JsonCodec.create();
            warm.decode(warm.toJsonValue(java.util.List.of("warm")), String[].class);
            FlowWorker worker = new FlowWorker(flow("survivor"), ds, Executors.newCachedThreadPool(),
                    Executors.newScheduledThreadPool(2), FOUR_AT_A_TIME, JsonCodec.create(), "killable");
            worker.start();
            System.out.println("WORKER " + worker.workerId());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
