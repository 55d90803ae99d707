package io.pgflowee.it;

import io.pgflowee.it.support.ItDatabase;
import io.pgflowee.it.support.ItSql;
import io.pgflowee.it.support.MicroProcess;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stopping a server as users do (SIGTERM from a service manager, Ctrl-C, a reload): its workers stop
 * claiming and are marked stopped, running handlers get their shutdown timeout, and what is still
 * running then is handed back at once, so the next server takes it within seconds instead of after
 * the lease. Runs that wait for a signal need no server: one killed while they wait loses nothing, the next
 * finishes them when signalled and applies their deadlines. Plain Payara Micro processes
 * ({@link MicroProcess}) on a database of their own.
 */
class ServerLifecycleIT {

    private static final String DATABASE = "lifecycle_it";

    @BeforeAll
    static void database() throws Exception {
        ItDatabase.fresh(DATABASE);
    }

    @Test
    void sigtermLetsARunningHandlerFinishAndAHandlerPastTheGraceIsHandedBackToTheNextServerWithinTwoSeconds() throws Exception {
        // 1. a 5 s handler, SIGTERM after 1 s: it finishes and reports before the server exits; the worker is marked stopped
        String shortRun;
        long exitedAfterMs;
        try (MicroProcess a = start("a")) {
            a.awaitReady();
            shortRun = sql("select run_id::text from pgflow.start_flow('it_lifecycle', '{\"seconds\": 5}')");
            awaitSql("select status from pgflow.step_tasks where run_id = '" + shortRun + "'", "started");
            Thread.sleep(1000);
            long t0 = System.nanoTime();
            a.process.destroy(); // SIGTERM
            assertThat(a.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            exitedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        }
        assertThat(sql("select status || ' ' || output::text from pgflow.runs where run_id = '" + shortRun + "'"))
                .isEqualTo("completed {\"work\": \"a\"}");
        assertThat(exitedAfterMs).as("the server waited for the handler").isGreaterThanOrEqualTo(3000);
        assertThat(sql("select count(*) filter (where stopped_at is null) || ' of ' || count(*) from pgflow.workers"))
                .as("every worker of the stopped server is marked stopped").matches("0 of \\d+");
        String log = Files.readString(MicroProcess.TARGET.resolve("servers/server-a.log"));
        assertThat(log).contains("PGFLOW-045 SIGTERM: stopping the workers gracefully before the server stops")
                .containsPattern("PGFLOW-036 worker [0-9a-f-]+ \\(flow it_lifecycle\\) stopped");

        // 2. a 2-minute handler with a 3 s grace: handed back at SIGTERM, taken by server b within 2 s of a's exit
        String longRun;
        List<String> timing = new ArrayList<>();
        try (MicroProcess a = start("a", "-Dpgflow.worker.it_lifecycle.shutdownTimeoutMs=3000")) {
            a.awaitReady();
            longRun = sql("select run_id::text from pgflow.start_flow('it_lifecycle', '{\"seconds\": 120}')");
            awaitSql("select status from pgflow.step_tasks where run_id = '" + longRun + "'", "started");
            try (MicroProcess b = start("b")) { // started after a took the task: b cannot have claimed it first
                b.awaitReady();
                assertThat(sql("select status from pgflow.step_tasks where run_id = '" + longRun + "'")).isEqualTo("started");
                String signalled = sql("select clock_timestamp()::text");
                a.process.destroy();
                assertThat(a.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                String aExited = sql("select clock_timestamp()::text");
                awaitSql("select status from pgflow.runs where run_id = '" + longRun + "'", "completed");
                timing.add(sql("select round(extract(epoch from (t.completed_at - '" + aExited + "'::timestamptz)) * 1000)::text"
                        + " from pgflow.step_tasks t where t.run_id = '" + longRun + "'"));
                timing.add(sql("select round(extract(epoch from (t.completed_at - '" + signalled + "'::timestamptz)) * 1000)::text"
                        + " from pgflow.step_tasks t where t.run_id = '" + longRun + "'"));
            }
        }
        assertThat(sql("select output::text from pgflow.runs where run_id = '" + longRun + "'")).isEqualTo("{\"work\": \"b\"}");
        assertThat(sql("select attempts_count || ' ' || (select string_agg(attempt || ' ' || outcome, ', ') from pgflow_internal.task_attempts"
                + " where run_id = t.run_id) from pgflow.step_tasks t where run_id = '" + longRun + "'"))
                .as("max_attempts 1, and the handed-back attempt did not count").isEqualTo("1 1 released");
        long takenAfterMs = Long.parseLong(timing.get(0));
        long sinceSignalMs = Long.parseLong(timing.get(1));
        System.out.println("ServerLifecycleIT: the handed-back task completed on b " + sinceSignalMs + " ms after SIGTERM to a (grace 3 s), "
                + takenAfterMs + " ms after a's process ended");
        assertThat(takenAfterMs).as("completed by b, relative to a's exit (ms)").isLessThan(2000);
        // after the 3 s grace and long before the 605 s lease; the time in between is a's shutdown (Payara's hooks, the
        // interrupt, release_tasks) and b's claim: 5.2 s on this machine type on a slow day (2026-12-03, also at 72c230c),
        // which the former bound of 5 s failed without anything having changed
        assertThat(sinceSignalMs).as("completed by b after the 3 s grace, not after the 605 s lease").isBetween(3000L, 30_000L);
    }

    @Test
    void runsWaitingForASignalOrForTheirChildRunsSurviveAServerKilledAndTheNextServerFinishesThem() throws Exception {
        // three approvals wait on server a, which is killed (SIGKILL: nothing of it runs after)
        List<String> runs = new ArrayList<>();
        String family;
        try (MicroProcess a = start("a")) {
            a.awaitReady();
            // and an order whose three shipping children are started (held: their flow is paused) when a dies
            sql("select 1 from (select pgflow.pause_flow('shipping')) p");
            family = sql("select run_id::text from pgflow.start_flow('order_fulfilment', '{\"orderId\": \"kill-o\", \"card\": \"4242\","
                    + " \"parcels\": [{\"id\": \"p-1\", \"grams\": 10, \"cents\": 1}, {\"id\": \"p-2\", \"grams\": 20, \"cents\": 2},"
                    + " {\"id\": \"p-3\", \"grams\": 30, \"cents\": 3}]}')");
            awaitSql("select count(*) from pgflow.runs where parent_run_id = '" + family + "' and flow_slug = 'shipping' and status = 'started'",
                    "3");
            for (String order : List.of("kill-1", "kill-2", "kill-3")) {
                runs.add(sql("select run_id::text from pgflow.start_flow('order_approval', '{\"orderId\": \"" + order + "\", \"total\": 10}',"
                        + " NULL, '" + order + "')"));
            }
            awaitSql("select count(*) from pgflow.step_states where flow_slug = 'order_approval' and step_slug = 'approval'"
                    + " and status = 'started'", "3");
            a.process.destroyForcibly();
            assertThat(a.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        sql("select 1 from (select pgflow.resume_flow('shipping')) r");
        // while no server runs: one approval is sent (it is delivered: the run's next task waits in the queue), one
        // approval's deadline passes
        assertThat(sql("select pgflow.send_signal_by_key('order_approval', 'kill-1', 'approval', '{\"approved\": true, \"by\": \"ann\"}')"))
                .isEqualTo("delivered");
        sql("select 1 from (select pgflow.tick()) t"); // nothing due yet: a tick from psql changes nothing
        sql("update pgflow.step_states set created_at = created_at - interval '3 days', started_at = started_at - interval '3 days',"
                + " wait_deadline = wait_deadline - interval '3 days' where run_id = '" + runs.get(2) + "' and step_slug = 'approval' returning 1");
        try (MicroProcess b = start("b")) {
            b.awaitReady();
            awaitSql("select status || ' ' || output::text from pgflow.runs where run_id = '" + runs.get(0) + "'",
                    "completed {\"fulfil\": \"shipped kill-1 (10.00), approved by ann\"}");
            // b's clock applies the passed deadline within about a second of starting
            awaitSql("select status from pgflow.runs where run_id = '" + runs.get(2) + "'", "failed");
            assertThat(sql("select error_message from pgflow.step_states where run_id = '" + runs.get(2) + "' and step_slug = 'approval'"))
                    .startsWith("waited 172800 s for a signal, none came (deadline ");
            assertThat(sql("select status from pgflow.runs where run_id = '" + runs.get(1) + "'")).as("still waiting").isEqualTo("started");
            assertThat(sql("select pgflow.send_signal_by_key('order_approval', 'kill-2', 'approval', '{\"approved\": false, \"by\": \"bob\"}')"))
                    .isEqualTo("delivered");
            awaitSql("select status || ' ' || output::text from pgflow.runs where run_id = '" + runs.get(1) + "'",
                    "completed {\"fulfil\": \"held kill-2 (10.00), rejected by bob\"}");
            // b runs the children a left, and their ends complete the order
            awaitSql("select status || ' ' || output::text from pgflow.runs where run_id = '" + family + "'",
                    "completed {\"summary\": {\"orderId\": \"kill-o\", \"tracking\": [\"TRK-kill-o-p-1\", \"TRK-kill-o-p-2\", \"TRK-kill-o-p-3\"],"
                            + " \"authorization\": \"auth-kill-o-6\"}}");
            assertThat(sql("select count(*) || ' ' || count(*) filter (where status = 'completed') from pgflow.runs where parent_run_id = '"
                    + family + "'")).as("one payment and three shipping children, each once").isEqualTo("4 4");
        }
        String log = Files.readString(MicroProcess.TARGET.resolve("servers/server-b.log"));
        assertThat(log).contains("PGFLOW-100 1 signal wait(s) passed their deadline: 1 run(s) failed");
    }

    @Test
    void aLimitPerConcurrencyKeyHoldsAcrossTwoServersAndTheirTicksFireEachScheduledRunOnce() throws Exception {
        // two handlers at once per server: the three keys' tasks can only run side by side on both
        String two = "-Dpgflow.worker.it_keyed.maxConcurrent=2";
        try (MicroProcess a = start("a", two); MicroProcess b = start("b", two)) {
            a.awaitReady();
            b.awaitReady();
            // both servers' workers are up before any task is queued: either may claim any of them
            sql("select 1 from (select pgflow.pause_flow('it_keyed'), pgflow.set_key_concurrency('it_keyed', 1)) s");
            sql("select count(*) from pgflow.start_flows('it_keyed', (select array_agg(jsonb_build_object('ms', 400)) from generate_series(1, 12)),"
                    + " null, (select array_agg('tenant-' || (g % 3)) from generate_series(1, 12) g))");
            sql("select 1 from (select pgflow.resume_flow('it_keyed')) r");
            int maxPerKey = 0;
            int maxRunning = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"12".equals(sql("select count(*) from pgflow.runs where flow_slug = 'it_keyed' and status = 'completed'"))) {
                assertThat(System.nanoTime()).as("12 runs completed within 60 s").isLessThan(deadline);
                String[] sample = sql("select coalesce(max(n), 0) || ' ' || coalesce(sum(n), 0) from (select count(*) n from pgflow.step_tasks"
                        + " where flow_slug = 'it_keyed' and status = 'started' group by concurrency_key) k").split(" ");
                maxPerKey = Math.max(maxPerKey, Integer.parseInt(sample[0]));
                maxRunning = Math.max(maxRunning, Integer.parseInt(sample[1]));
                Thread.sleep(20);
            }
            assertThat(maxPerKey).as("never two tasks of one key at once, on either server").isEqualTo(1);
            assertThat(maxRunning).as("the three keys ran side by side (so on both servers)").isEqualTo(3);
            assertThat(sql("select string_agg(distinct output->>'work', ',' order by output->>'work') from pgflow.runs where flow_slug = 'it_keyed'"))
                    .as("both servers ran tasks").isEqualTo("a,b");
            assertThat(sql("select string_agg(k || ':' || n, ',' order by k) from (select concurrency_key k, count(*) n from pgflow.runs"
                    + " where flow_slug = 'it_keyed' group by 1) x")).isEqualTo("tenant-0:4,tenant-1:4,tenant-2:4");

            // a schedule five firings behind, catch_up 'all': both servers' clocks tick; each firing starts once
            String first = sql("select pgflow._schedule_instant(date_trunc('minute', now()) - interval '4 minutes')");
            String lastDue = sql("select pgflow._schedule_instant(date_trunc('minute', now()))");
            sql("select 1 from (select pgflow.create_schedule('it-minutely', 'it_keyed', '* * * * *', '{\"tenant\": \"sched\"}', 'UTC', 'all')) s");
            sql("update pgflow_internal.schedules set next_fire_at = '" + first + "'::timestamptz where schedule_name = 'it-minutely'"
                    + " returning 1");
            awaitSql("select count(*) >= 5 from pgflow.runs where idempotency_key like 'schedule:it-minutely:%' and status = 'completed'", "t");
            sql("select 1 from (select pgflow.delete_schedule('it-minutely')) d");
            assertThat(sql("select count(*) || ' ' || count(distinct idempotency_key) || ' ' || min(input->>'scheduled_at')"
                    + " from pgflow.runs where idempotency_key like 'schedule:it-minutely:%' and input->>'scheduled_at' <= '" + lastDue + "'"))
                    .as("the five firings due, each once, from the first").isEqualTo("5 5 " + first);
            assertThat(sql("select count(*) from pgflow_internal.schedules where declared_as is null")).as("the test's schedule deleted; the example flow's declared ones stay").isEqualTo("0");
        }
    }

    private static MicroProcess start(String name, String... properties) throws Exception {
        List<String> all = new ArrayList<>(List.of("-Dpgflow.db.url=" + url()));
        all.addAll(List.of(properties));
        return MicroProcess.start(name, false, all.toArray(String[]::new));
    }

    private static String url() {
        return ItDatabase.jdbcUrl().replaceFirst("/postgres$", "/" + DATABASE);
    }

    private static String sql(String query) throws Exception {
        return ItSql.value(url(), query);
    }

    private static void awaitSql(String query, String expected) throws Exception {
        ItSql.awaitValue(url(), query, expected);
    }
}
