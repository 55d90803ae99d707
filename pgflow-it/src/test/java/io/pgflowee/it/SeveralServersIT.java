package io.pgflowee.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two Payara Micro servers, each deploying the pgflow WAR, against one PostgreSQL: they share the
 * work, no task runs on both, and when one is killed with SIGKILL under load every run still
 * completes (the other server takes its tasks back after their lease).
 *
 * <p>Not part of the default {@code verify} (two more server boots cost 10-20 minutes on the CI
 * machine; {@code SeveralWorkersTest} is its fast variant there). Run it with
 * {@code ./mvnw -B -T1 -pl pgflow-it verify -Dit.test=SeveralServersIT}.
 */
class SeveralServersIT {

    private static final int RUNS = 200;

    private final List<MicroProcess> servers = new ArrayList<>();

    @AfterEach
    void stopServers() throws InterruptedException {
        for (MicroProcess server : servers) {
            server.close();
        }
    }

    @Test
    void twoServersShareTheWorkAndWhenOneIsKilledUnderLoadEveryRunCompletes() throws Exception {
        exec("create table if not exists it_executions (id bigserial primary key, run_id uuid not null,"
                + " step_slug text not null, server text not null, started_at timestamptz not null default clock_timestamp(),"
                + " ended_at timestamptz)");
        MicroProcess a = MicroProcess.start("A", false);
        servers.add(a);
        MicroProcess b = MicroProcess.start("B", false);
        servers.add(b);
        a.awaitReady();
        b.awaitReady();
        assertThat(one("select count(*) from pgflow.workers where queue_name = 'it_shared' and stopped_at is null")).isEqualTo("2");

        exec("select count(*) from generate_series(1, " + RUNS + ") g, lateral pgflow.start_flow('it_shared', jsonb_build_object('n', g))");

        // under load: both servers have done work and A is in the middle of some; then SIGKILL A
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        Map<String, String> before = Map.of();
        while (System.nanoTime() < until) {
            before = row("select count(*) filter (where server = 'A' and ended_at is not null) as a_done,"
                    + " count(*) filter (where server = 'B' and ended_at is not null) as b_done,"
                    + " count(*) filter (where server = 'A' and ended_at is null) as a_running from it_executions");
            if (Integer.parseInt(before.get("a_done")) >= 20 && Integer.parseInt(before.get("b_done")) >= 20
                    && Integer.parseInt(before.get("a_running")) >= 1) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(a.kill()).as("server A killed by SIGKILL").isEqualTo(128 + 9);
        long killedAt = System.currentTimeMillis();
        assertThat(before).as("executions when A was killed").containsKey("a_running");
        assertThat(Integer.parseInt(before.get("a_running"))).as("A had tasks in flight: %s", before).isGreaterThanOrEqualTo(1);

        // lease = 10 s timeout + 5 s grace; B completes everything
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (System.nanoTime() < until && !one("select count(*) from pgflow.runs where flow_slug = 'it_shared' and status = 'started'").equals("0")) {
            Thread.sleep(200);
        }
        assertThat(rows("select status, count(*) as n from pgflow.runs where flow_slug = 'it_shared' group by status"))
                .containsExactly(Map.of("status", "completed", "n", String.valueOf(RUNS)));
        assertThat(one("select count(*) from pgflow.step_tasks where flow_slug = 'it_shared' and status = 'completed'"))
                .isEqualTo(String.valueOf(2 * RUNS));

        // Every task ran once, except those A held when it died: A may have started their handler
        // (an execution that never ended) or not yet (claimed only); either way B ran them once
        // more, and only after A was dead, so no task ran on both servers at once.
        List<Map<String, String>> perTask = rows("select t.run_id::text as run_id, t.step_slug, t.attempts_count::text as attempts,"
                + " count(e.id)::text as executions, coalesce(string_agg(e.server || case when e.ended_at is null then '(unfinished)' else '' end,"
                + " ',' order by e.started_at), '') as servers,"
                + " coalesce((extract(epoch from max(e.started_at) filter (where e.server = 'B')) * 1000)::bigint, 0)::text as b_started_ms"
                + " from pgflow.step_tasks t left join it_executions e using (run_id, step_slug)"
                + " where t.flow_slug = 'it_shared' group by 1, 2, 3 order by 1, 2");
        assertThat(perTask).hasSize(2 * RUNS);
        assertThat(perTask.stream().filter(t -> t.get("attempts").equals("1")))
                .allSatisfy(t -> assertThat(t.get("executions")).as("task %s", t).isEqualTo("1"));
        List<Map<String, String>> retried = perTask.stream().filter(t -> !t.get("attempts").equals("1")).toList();
        assertThat(retried).as("tasks claimed twice").isNotEmpty().allSatisfy(t -> {
            assertThat(t.get("attempts")).as("task %s", t).isEqualTo("2");
            assertThat(t.get("servers")).as("task %s", t).isIn("B", "A(unfinished),B", "A,B");
            assertThat(Long.parseLong(t.get("b_started_ms"))).as("B started task %s after A was killed", t).isGreaterThan(killedAt - 1000);
        });
        long unfinishedOnA = Long.parseLong(one("select count(*) from it_executions where server = 'A' and ended_at is null"));
        assertThat(unfinishedOnA).isGreaterThanOrEqualTo(1);
        assertThat(retried.stream().filter(t -> t.get("servers").startsWith("A(unfinished)")).count())
                .as("every execution A left unfinished was run again by B").isEqualTo(unfinishedOnA);
        Map<String, String> shares = row("select count(*) filter (where server = 'A' and ended_at is not null) as a,"
                + " count(*) filter (where server = 'B') as b from it_executions");
        assertThat(Integer.parseInt(shares.get("a"))).as("A's share: %s", shares).isGreaterThanOrEqualTo(20);
        assertThat(Integer.parseInt(shares.get("b"))).as("B's share: %s", shares).isGreaterThanOrEqualTo(20);
        // A's worker was never marked stopped (no shutdown ran); B's still heartbeats
        assertThat(one("select count(*) from pgflow.workers where queue_name = 'it_shared' and stopped_at is null"
                + " and last_heartbeat > now() - interval '6 seconds'")).isEqualTo("1");
        assertThat(b.process.isAlive()).isTrue();
    }

    private static Connection connect() throws Exception {
        return DriverManager.getConnection(ItDatabase.jdbcUrl(), "postgres", "postgres");
    }

    private static void exec(String sql) throws Exception {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String one(String sql) throws Exception {
        return rows(sql).get(0).values().iterator().next();
    }

    private static Map<String, String> row(String sql) throws Exception {
        return rows(sql).get(0);
    }

    private static List<Map<String, String>> rows(String sql) throws Exception {
        try (Connection c = connect()) {
            return ItSql.rows(c, sql);
        }
    }
}
