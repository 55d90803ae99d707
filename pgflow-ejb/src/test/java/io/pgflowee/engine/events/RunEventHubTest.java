package io.pgflowee.engine.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * The server's event pipe without a server: a real {@link RunEventHub} on embedded PostgreSQL 17,
 * its managed executors stood in for by plain ones. A watched run's transitions arrive in commit
 * order with their exact types and steps; a watch is a subscription in the database while it lasts
 * and none after; a lost LISTEN connection comes back by itself, tells the watchers to re-read, and
 * events flow again; a run's history read from the tables gives the same events.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class RunEventHubTest {

    private Db db;
    private RunEventHub hub;
    private ScheduledThreadPoolExecutor scheduler;

    @BeforeEach
    void hub(DataSource dataSource) {
        PgflowDatabaseExtension.resetRuntimeData(dataSource);
        db = new Db(dataSource);
        scheduler = new ScheduledThreadPoolExecutor(1);
        hub = PlainHubs.on(dataSource, scheduler);
        db.exec("select pgflow.create_flow('ev_chain', timeout => 60)");
        db.exec("select pgflow.add_step('ev_chain', 'first')");
        db.exec("select pgflow.add_step('ev_chain', 'second', ARRAY['first'])");
    }

    @AfterEach
    void stop() {
        hub.stop();
        scheduler.shutdownNow();
    }

    @Test
    void aWatchedRunsTransitionsArriveInOrderAndItsHistoryGivesTheSameEvents() throws Exception {
        UUID run = UUID.randomUUID();
        BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
        try (RunEventHub.Watch watch = hub.watch(run, null, watcher(events, new CountDownLatch(1)))) {
            assertThat((Long) db.one("select count(*) from pgflow_internal.event_subscriptions where run_id = ?", run))
                    .as("the run is subscribed while watched").isEqualTo(1L);
            db.exec("select pgflow.start_flow('ev_chain', '{\"n\": 1}'::jsonb, ?)", run);
            finish(run);

            List<String> seen = take(events, 6);
            assertThat(seen).containsExactly("run:started", "step:started first", "step:completed first", "step:started second",
                    "step:completed second", "run:completed");
            List<RunEvent> history = hub.runHistory(run, 0).orElseThrow();
            assertThat(history.stream().map(RunEventHubTest::describe).toList()).as("the tables tell the same story").isEqualTo(seen);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // released in the background, at once
        while ((Long) db.one("select count(*) from pgflow_internal.event_subscriptions where run_id = ?", run) > 0
                && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertThat((Long) db.one("select count(*) from pgflow_internal.event_subscriptions where run_id = ?", run))
                .as("no subscription once nobody watches").isZero();
    }

    @Test
    void aSignalStepsWaitIsAnEventLiveAndInTheHistoryAndABufferedSignalSkipsIt() throws Exception {
        db.exec("select pgflow.create_flow('ev_wait', timeout => 60)");
        db.exec("select pgflow.add_step('ev_wait', 'approve', step_type => 'signal', timeout => 3600)");
        db.exec("select pgflow.add_step('ev_wait', 'after_approval', ARRAY['approve'])");
        db.exec("select pgflow.create_flow('ev_early', timeout => 60)");
        db.exec("select pgflow.add_step('ev_early', 'prepare')");
        db.exec("select pgflow.add_step('ev_early', 'approve', ARRAY['prepare'], step_type => 'signal')");
        UUID run = UUID.randomUUID();
        UUID early = UUID.randomUUID();
        BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
        try (RunEventHub.Watch watch = hub.watch(run, null, watcher(events, new CountDownLatch(1)));
             RunEventHub.Watch watchEarly = hub.watch(early, null, watcher(events, new CountDownLatch(1)))) {
            db.exec("select pgflow.start_flow('ev_wait', '{}'::jsonb, ?)", run);
            List<String> seen = take(events, 3);
            assertThat(seen).containsExactly("run:started", "step:started approve", "step:waiting approve");
            db.exec("select pgflow.send_signal(?, 'approve', '{\"ok\": true}')", run);
            seen = new ArrayList<>(seen);
            seen.addAll(take(events, 2));
            assertThat(seen.subList(3, 5)).containsExactly("step:completed approve", "step:started after_approval");
            List<RunEvent> history = hub.runHistory(run, 0).orElseThrow();
            assertThat(history.stream().map(RunEventHubTest::describe).toList()).as("the tables tell the same story").isEqualTo(seen);
            assertThat(history.stream().map(RunEvent::id).distinct().count()).as("distinct event ids").isEqualTo(5L);

            db.exec("select pgflow.start_flow('ev_early', '{}'::jsonb, ?)", early);
            db.exec("select pgflow.send_signal(?, 'approve', '{}')", early);
            UUID worker = UUID.randomUUID();
            db.exec("select pgflow.register_worker(?, 'ev_early', 'test')", worker);
            db.exec("select count(*) from pgflow.claim_tasks('ev_early', ?, 5)", worker);
            db.exec("select pgflow.complete_task(?, 'prepare', 0, '1'::jsonb)", early);
            List<String> buffered = take(events, 5);
            assertThat(buffered).containsExactly("run:started", "step:started prepare", "step:completed prepare",
                    "step:completed approve", "run:completed");
            // the same events; within one transaction the history orders a rank's events by step slug
            assertThat(hub.runHistory(early, 0).orElseThrow().stream().map(RunEventHubTest::describe).toList()).containsExactly(
                    "run:started", "step:started prepare", "step:completed approve", "step:completed prepare", "run:completed");
        }
    }

    @Test
    void aMapSubflowsChildrenStartAndEndAsEventsOfTheParentLiveAndInTheHistoryWithOneIdEach() throws Exception {
        db.exec("select pgflow.create_flow('ev_parent', timeout => 60)");
        db.exec("select pgflow.add_step('ev_parent', 'each', step_type => 'map_subflow', subflow_slug => 'ev_chain')");
        UUID run = UUID.randomUUID();
        BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
        List<RunEvent> live = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (RunEventHub.Watch watch = hub.watch(run, null, watcher(events, new CountDownLatch(1)))) {
            db.exec("select pgflow.start_flow('ev_parent', '[1, 2]'::jsonb, ?)", run);
            UUID worker = UUID.randomUUID();
            db.exec("select pgflow.register_worker(?, 'ev_parent', 'test')", worker);
            db.exec("select count(*) from (select array_agg(run_id) r, array_agg(step_slug) s, array_agg(task_index) i,"
                    + " array_agg('{}'::jsonb) o from pgflow.claim_tasks('ev_parent', ?, 5)) c, lateral pgflow.complete_tasks(c.r, c.s, c.i, c.o)",
                    worker);
            List<String> seen = new ArrayList<>(take(events, 4, live));
            assertThat(seen).containsExactly("run:started", "step:started each", "run:child_started each#0", "run:child_started each#1");
            // the children's tasks, child 0's first (run ids of one millisecond do not sort by start)
            db.exec("select pgflow.register_worker(?, 'ev_chain', 'test')", worker);
            for (int i = 0; i < 10 && !"completed".equals(db.one("select status from pgflow.runs where run_id = ?", run)); i++) {
                for (var task : db.rows("select c.run_id, c.step_slug from pgflow.claim_tasks('ev_chain', ?, 5) c"
                        + " join pgflow.runs r on r.run_id = c.run_id order by r.parent_task_index", worker)) {
                    db.exec("select pgflow.complete_task(?, ?, 0, '\"done\"'::jsonb)", task.get("run_id"), task.get("step_slug"));
                }
            }
            seen.addAll(take(events, 4, live));
            assertThat(seen.subList(4, 8)).containsExactly("run:child_finished each#0", "run:child_finished each#1", "step:completed each",
                    "run:completed");
            RunEvent started = live.get(2);
            assertThat(started.childFlowSlug()).isEqualTo("ev_chain");
            assertThat(started.taskIndex()).isZero();
            assertThat(started.id()).endsWith("/6/" + run + "/each#0");
            List<RunEvent> history = hub.runHistory(run, 0).orElseThrow();
            assertThat(history.stream().map(RunEvent::id).toList()).as("the tables give the live events' ids")
                    .containsExactlyInAnyOrderElementsOf(live.stream().map(RunEvent::id).toList());
            assertThat(history.stream().map(RunEvent::id).distinct().count()).isEqualTo(8L);
        }
    }

    @Test
    void aLostListenerReconnectsTellsTheWatchersToReReadAndEventsFlowAgain() throws Exception {
        BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
        CountDownLatch reconnected = new CountDownLatch(1);
        try (RunEventHub.Watch watch = hub.watch(null, "ev_chain", watcher(events, reconnected))) {
            UUID before = UUID.randomUUID();
            db.exec("select pgflow.start_flow('ev_chain', '{}'::jsonb, ?)", before);
            assertThat(take(events, 2)).containsExactly("run:started", "step:started first");

            int backend = db.awaitListener("pgflow events", -1);
            assertThat((Boolean) db.one("select pg_terminate_backend(?)", backend)).isTrue();
            assertThat(reconnected.await(60, TimeUnit.SECONDS)).as("watchers told to re-read after the reconnect").isTrue();
            assertThat(db.awaitListener("pgflow events", backend)).as("a new LISTEN backend").isNotEqualTo(backend);

            UUID after = UUID.randomUUID();
            db.exec("select pgflow.start_flow('ev_chain', '{}'::jsonb, ?)", after);
            RunEvent next = events.poll(30, TimeUnit.SECONDS);
            assertThat(next).isNotNull();
            assertThat(next.runId()).isEqualTo(after);
            assertThat(describe(next)).isEqualTo("run:started");
        }
    }

    /** Claims and completes every task of the run, one claim at a time, as a worker would. */
    private void finish(UUID run) {
        UUID worker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'ev_chain', 'test')", worker);
        for (int i = 0; i < 10 && !"completed".equals(db.one("select status from pgflow.runs where run_id = ?", run)); i++) {
            for (var task : db.rows("select step_slug from pgflow.claim_tasks('ev_chain', ?, 5)", worker)) {
                db.exec("select pgflow.complete_task(?, ?, 0, '\"done\"'::jsonb)", run, task.get("step_slug"));
            }
        }
    }

    private static RunEventHub.Watcher watcher(BlockingQueue<RunEvent> events, CountDownLatch reconnected) {
        return new RunEventHub.Watcher() {
            @Override
            public void event(RunEvent event) {
                events.add(event);
            }

            @Override
            public void reconnected() {
                reconnected.countDown();
            }
        };
    }

    private static List<String> take(BlockingQueue<RunEvent> events, int count) throws InterruptedException {
        return take(events, count, new ArrayList<>());
    }

    /** {@link #take(BlockingQueue, int)}, keeping the events themselves in {@code kept}. */
    private static List<String> take(BlockingQueue<RunEvent> events, int count, List<RunEvent> kept) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RunEvent e = events.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("event " + (i + 1) + " of " + count + " after " + seen).isNotNull();
            seen.add(describe(e));
            kept.add(e);
        }
        return seen;
    }

    private static String describe(RunEvent e) {
        return (e.stepSlug() == null ? e.type() : e.type() + " " + e.stepSlug()) + (e.childRunId() == null ? "" : "#" + e.taskIndex());
    }
}
