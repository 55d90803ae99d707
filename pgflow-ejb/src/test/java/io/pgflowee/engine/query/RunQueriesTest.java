package io.pgflowee.engine.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.model.Converters;
import io.pgflowee.engine.model.ReadModel;
import io.pgflowee.engine.model.RunRecord;
import io.pgflowee.engine.model.RunStatus;
import io.pgflowee.engine.model.SkipReason;
import io.pgflowee.engine.model.StepStatus;
import io.pgflowee.api.flow.StepType;
import io.pgflowee.engine.model.TaskStatus;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.json.Json;
import jakarta.persistence.EntityManager;

/** The runs queries over the JPA read model, against a real PostgreSQL with runs in every status. */
@ExtendWith(PgflowDatabaseExtension.class)
class RunQueriesTest {

    private Db db;
    private EntityManager em;
    private RunQueries queries;
    private UUID worker;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        db = new Db(ds);
        em = ReadModel.factory(ds).createEntityManager();
        queries = new RunQueries(em);
        worker = UUID.randomUUID();
        db.exec("select pgflow.create_flow('qa', max_attempts => 1)");
        db.exec("select pgflow.add_step('qa', 'a')");
        db.exec("select pgflow.add_step('qa', 'b', ARRAY['a'])");
        db.exec("select pgflow.add_step('qa', 'maybe', ARRAY['a'], required_input_pattern => '{\"a\": \"go\"}')");
        db.exec("select pgflow.create_flow('qb')");
        db.exec("select pgflow.add_step('qb', 'only')");
    }

    @AfterEach
    void close() {
        em.close();
    }

    private UUID start(String flow, String input) {
        return db.one("select run_id from pgflow.start_flow(?, ?::jsonb)", flow, input);
    }

    private void claim(String flow) {
        db.exec("select pgflow.register_worker(?, ?, 'test')", worker, flow);
        db.rows("select * from pgflow.claim_tasks(?, ?, 100)", flow, worker);
    }

    /** One run per status of flow qa: completed (with a skipped step), failed, cancelled, started. */
    private Map<RunStatus, UUID> runsInEveryStatus() {
        UUID completed = start("qa", "{\"n\": 1}");
        UUID failed = start("qa", "{\"n\": 2}");
        UUID cancelled = start("qa", "{\"n\": 3}");
        UUID started = start("qa", "{\"n\": 4}");
        claim("qa");
        db.exec("select * from pgflow.complete_task(?, 'a', 0, '\"stop\"')", completed);
        claim("qa");
        db.exec("select * from pgflow.complete_task(?, 'b', 0, '\"B\"')", completed);
        db.exec("select * from pgflow.fail_task(?, 'a', 0, 'boom\nat line 2')", failed);
        db.exec("select * from pgflow.cancel_run(?, 'no longer needed')", cancelled);
        return Map.of(RunStatus.COMPLETED, completed, RunStatus.FAILED, failed, RunStatus.CANCELLED, cancelled, RunStatus.STARTED, started);
    }

    @Test
    void aRunPageSaysWhichLimitHoldsARunBack() {
        db.exec("select pgflow.set_key_concurrency('qb', 1)");
        UUID first = db.one("select run_id from pgflow.start_flow('qb', '{}'::jsonb, concurrency_key => 'c-1')");
        UUID second = db.one("select run_id from pgflow.start_flow('qb', '{}'::jsonb, concurrency_key => 'c-1')");
        assertThat(queries.heldBack(second)).as("nothing claimed yet: nothing holds it back").isEmpty();
        db.exec("select pgflow.register_worker(?, 'qb', 'test')", worker);
        db.rows("select * from pgflow.claim_tasks('qb', ?, 1)", worker);
        assertThat(queries.heldBack(second)).hasValue("Waiting for a slot of its concurrency key \"c-1\": 1 of 1 running (set_key_concurrency)");
        assertThat(queries.heldBack(first)).as("its task runs").isEmpty();

        db.exec("select pgflow.set_key_concurrency('qb', null)");
        db.exec("select pgflow.set_rate_limit('qb', 0.5, 1)");
        db.rows("select * from pgflow.claim_tasks('qb', ?, 1)", worker); // the bucket's one token
        UUID third = db.one("select run_id from pgflow.start_flow('qb', '{}'::jsonb)");
        assertThat(queries.heldBack(third)).hasValue("Waiting for rate-limit tokens: at most 0.5 tasks a second of the flow (set_rate_limit)");

        db.exec("select pgflow.set_rate_limit('qb', null)");
        db.exec("select pgflow.set_flow_concurrency('qb', 2)");
        assertThat(queries.heldBack(third)).hasValue("Waiting for the flow's concurrency limit: 2 of 2 running (set_flow_concurrency)");
        db.exec("select pgflow.set_flow_concurrency('qb', null)");
        assertThat(queries.heldBack(third)).isEmpty();
        // a paused flow comes first: nothing of it is claimed, whatever the limits
        db.exec("update pgflow.flows set paused_at = '2026-12-03 07:30:15.25+00' where flow_slug = 'qb'");
        db.exec("select pgflow.set_flow_concurrency('qb', 2)");
        assertThat(queries.heldBack(third)).hasValue("Waiting for its flow to be resumed: the flow is paused since 2026-12-03 07:30:15 UTC,"
                + " and nothing of it is claimed until then (resume_flow)");
        db.exec("select pgflow.resume_flow('qb')");
        db.exec("select pgflow.set_flow_concurrency('qb', null)");
        assertThat(queries.heldBack(third)).isEmpty();
        assertThat(queries.heldBack(UUID.randomUUID())).as("an unknown run").isEmpty();
    }

    @Test
    void theDetailOfARunHasItsStepsInStepOrderWithTasksOutputsErrorsAndTimings() {
        Map<RunStatus, UUID> runs = runsInEveryStatus();

        RunDetail done = queries.detail(runs.get(RunStatus.COMPLETED)).orElseThrow();
        RunDetail failed = queries.detail(runs.get(RunStatus.FAILED)).orElseThrow();

        assertThat(done.run().status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.run().input()).isEqualTo(Json.createObjectBuilder().add("n", 1).build());
        assertThat(done.run().output().toString()).isEqualTo("{\"b\":\"B\"}");
        assertThat(done.run().finishedAt()).isEqualTo(done.run().completedAt()).isNotNull();
        assertThat(done.steps()).extracting(s -> s.step().stepSlug() + " " + s.state().status() + " " + s.step().stepIndex())
                .containsExactly("a COMPLETED 0", "b COMPLETED 1", "maybe SKIPPED 2");
        assertThat(done.steps().get(2).state().skipReason()).isEqualTo(SkipReason.CONDITION_UNMET);
        assertThat(done.steps().get(2).step().requiredInputPattern().toString()).isEqualTo("{\"a\":\"go\"}");
        assertThat(done.steps().get(2).tasks()).isEmpty();
        assertThat(done.steps().get(0).step().stepType()).isEqualTo(StepType.SINGLE);
        assertThat(done.steps().get(0).tasks()).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(t.output().toString()).isEqualTo("\"stop\"");
            assertThat(t.attemptsCount()).isEqualTo(1);
            assertThat(t.lastWorkerId()).isEqualTo(worker);
            assertThat(t.queuedAt()).isNotNull();
            assertThat(t.startedAt()).isAfterOrEqualTo(t.queuedAt());
            assertThat(t.completedAt()).isAfterOrEqualTo(t.startedAt());
        });
        assertThat(failed.steps().get(0).state().status()).isEqualTo(StepStatus.FAILED);
        assertThat(failed.steps().get(0).state().errorMessage()).isEqualTo("boom\nat line 2");
        assertThat(failed.steps().get(0).tasks().get(0).failedAt()).isNotNull();
        assertThat(queries.detail(UUID.randomUUID())).isEmpty();
    }

    @Test
    void aWaitingSignalStepReadsAsAStartedSignalStepWithoutTasks() {
        db.exec("select pgflow.create_flow('qs')");
        db.exec("select pgflow.add_step('qs', 'approve', step_type => 'signal')");
        UUID run = start("qs", "{}");
        RunDetail waiting = queries.detail(run).orElseThrow();
        assertThat(waiting.steps()).singleElement().satisfies(s -> {
            assertThat(s.step().stepType()).isEqualTo(StepType.SIGNAL);
            assertThat(s.state().status()).isEqualTo(StepStatus.STARTED);
            assertThat(s.tasks()).isEmpty();
            assertThat(s.state().waitDeadline()).as("no timeout: waits forever").isNull();
            assertThat(s.state().signalAt()).isNull();
        });
        assertThat((String) db.one("select pgflow.send_signal(?, 'approve', '{\"ok\": true}')", run)).isEqualTo("delivered");
        em.clear();
        RunDetail done = queries.detail(run).orElseThrow();
        assertThat(done.run().status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.steps().get(0).state().output().toString()).isEqualTo("{\"ok\":true}");
        assertThat(done.steps().get(0).state().signalPayload().toString()).isEqualTo("{\"ok\":true}");
        assertThat(done.steps().get(0).state().signalAt()).isNotNull();
    }

    @Test
    void aCancelledRunShowsItsReasonAndCancelledTasksWithTheirFarFutureVisibility() {
        UUID cancelled = runsInEveryStatus().get(RunStatus.CANCELLED);

        RunDetail detail = queries.detail(cancelled).orElseThrow();

        assertThat(detail.run().status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(detail.run().cancelReason()).isEqualTo("no longer needed");
        assertThat(detail.steps()).extracting(s -> s.state().status()).containsOnly(StepStatus.CANCELLED);
        assertThat(detail.steps().get(0).tasks()).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(TaskStatus.CANCELLED);
            assertThat(t.cancelledAt()).isNotNull();
            assertThat(t.visibleAt()).as("'infinity' is read as a far future").isAfter(OffsetDateTime.now().plusYears(1000));
        });
    }

    @Test
    void pagesFilterByEveryFieldAndTotalsCountEveryStatusOfTheFilter() {
        Map<RunStatus, UUID> runs = runsInEveryStatus();
        UUID other = start("qb", "{\"customer\": \"c-42\", \"plan\": \"pro\"}");
        db.exec("update pgflow.runs set started_at = started_at - interval '2 hours' where run_id = ?", other);

        assertThat(ids(queries.page(RunFilter.ALL.withFlow("qa"), null, 50))).containsExactlyInAnyOrderElementsOf(runs.values());
        assertThat(ids(queries.page(RunFilter.ALL.withStatuses(Set.of(RunStatus.FAILED, RunStatus.CANCELLED)), null, 50)))
                .containsExactlyInAnyOrder(runs.get(RunStatus.FAILED), runs.get(RunStatus.CANCELLED));
        assertThat(ids(queries.page(RunFilter.ALL.withStarted(null, OffsetDateTime.now().minusHours(1)), null, 50))).containsExactly(other);
        assertThat(ids(queries.page(RunFilter.ALL.withStarted(OffsetDateTime.now().minusHours(1), null), null, 50))).hasSize(4)
                .doesNotContain(other);
        assertThat(ids(queries.page(RunFilter.ALL.withInputContaining("{\"customer\": \"c-42\"}"), null, 50))).containsExactly(other);
        assertThat(ids(queries.page(RunFilter.ALL.withInputContaining("{\"n\": 3}"), null, 50)))
                .containsExactly(runs.get(RunStatus.CANCELLED));
        // run ids are version 7 UUIDs: runs started together share their first digits (the millisecond), not their end
        String end = other.toString().substring(28);
        assertThat(ids(queries.page(RunFilter.ALL.withRunIdPrefix("\u2026" + end.toUpperCase()), null, 50))).containsExactly(other);
        assertThat(ids(queries.page(RunFilter.ALL.withRunIdPrefix("..." + end), null, 50))).containsExactly(other);
        assertThat(RunFilter.shortId(other.toString())).isEqualTo("\u2026" + end);
        assertThat(ids(queries.page(RunFilter.ALL.withRunIdPrefix(other.toString().substring(0, 4)), null, 50))).hasSize(5);
        assertThat(ids(queries.page(RunFilter.ALL.withRunIdPrefix(other.toString().toUpperCase()), null, 50))).containsExactly(other);

        StatusTotals totals = queries.page(RunFilter.ALL.withFlow("qa").withStatuses(Set.of(RunStatus.FAILED)), null, 50).totals();
        assertThat(totals.exact()).isTrue();
        assertThat(totals.counts()).containsExactlyInAnyOrderEntriesOf(Map.of(RunStatus.STARTED, 1L, RunStatus.COMPLETED, 1L,
                RunStatus.FAILED, 1L, RunStatus.CANCELLED, 1L));
        assertThat(queries.totals(RunFilter.ALL).total()).isEqualTo(5);
    }

    @Test
    void keysetPagesNeitherLoseNorRepeatARunWhileNewRunsStartBetweenReads() {
        db.exec("select count(*) from generate_series(1, 60) g, lateral pgflow.start_flow('qb', jsonb_build_object('g', g))");
        db.exec("select count(*) from generate_series(61, 120) g, lateral pgflow.start_flow('qb', jsonb_build_object('g', g))");
        List<UUID> expected = db.<UUID>rows("select run_id from pgflow.runs order by started_at desc, run_id desc").stream()
                .map(r -> (UUID) r.get("run_id")).toList();

        List<UUID> seen = new ArrayList<>();
        RunPage page = queries.page(RunFilter.ALL, null, 50);
        List<RunPage> pages = new ArrayList<>();
        while (true) {
            pages.add(page);
            seen.addAll(ids(page));
            start("qb", "{\"late\": true}"); // newer than everything already read
            if (page.nextCursor() == null) {
                break;
            }
            page = queries.page(RunFilter.ALL, page.nextCursor(), 50);
        }

        assertThat(pages).extracting(p -> p.runs().size()).containsExactly(50, 50, 20);
        assertThat(seen).containsExactlyElementsOf(expected);
        assertThat(pages.get(0).previousCursor()).isNull();
        assertThat(pages.get(2).nextCursor()).isNull();
        RunPage back = queries.page(RunFilter.ALL, pages.get(2).previousCursor(), 50);
        assertThat(ids(back)).containsExactlyElementsOf(ids(pages.get(1)));
        RunPage first = queries.page(RunFilter.ALL, back.previousCursor(), 50);
        assertThat(ids(first)).containsExactlyElementsOf(expected.subList(0, 50));
        assertThat(first.previousCursor()).as("the 3 runs started while reading are newer").isNotNull();
        RunPage newest = queries.page(RunFilter.ALL, first.previousCursor(), 50);
        assertThat(newest.runs()).hasSize(3).allSatisfy(r -> assertThat(r.input().toString()).isEqualTo("{\"late\":true}"));
        assertThat(newest.previousCursor()).isNull();
        assertThat(ids(queries.page(RunFilter.ALL, newest.nextCursor(), 50))).containsExactlyElementsOf(expected.subList(0, 50));
    }

    @Test
    void badLimitsAndCursorsAreRefusedWithAReason() {
        assertThatThrownBy(() -> queries.page(RunFilter.ALL, null, 501)).hasMessage("limit must be between 1 and 500, got 501");
        assertThatThrownBy(() -> queries.page(RunFilter.ALL, "not-a-cursor", 10)).hasMessageStartingWith("cursor 'not-a-cursor' is not a cursor");
        assertThatThrownBy(() -> RunFilter.ALL.withRunIdPrefix("xyz")).hasMessageStartingWith("runIdPrefix 'xyz' is not the start of a run id");
        assertThatThrownBy(() -> RunFilter.ALL.withInputContaining("{oops")).hasMessageStartingWith("inputContains is not valid JSON");
    }

    @Test
    void entitiesAreReadOnlyAndAnUnknownStatusIsAClearError() {
        UUID run = start("qb", "{}");
        RunRecord loaded = em.find(RunRecord.class, run);
        em.getTransaction().begin();
        try {
            assertThat(root(catchThrowable(() -> em.persist(new RunRecord())))).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessage("pgflow entities are read-only (RunRecord): change engine state through the pgflow.* SQL functions,"
                            + " from Java with EngineOperations");
            assertThat(root(catchThrowable(() -> {
                em.remove(loaded);
                em.flush();
            }))).isInstanceOf(UnsupportedOperationException.class);
        } finally {
            em.getTransaction().rollback();
        }
        assertThat((Long) db.one("select count(*) from pgflow.runs where run_id = ?", run)).isEqualTo(1L);
        assertThatThrownBy(() -> new Converters.RunStatusConverter().convertToEntityAttribute("paused"))
                .hasMessage("pgflow: pgflow.runs.status holds 'paused', which this server does not know (known: started, completed,"
                        + " failed, cancelled); is the database schema newer than this server?");
    }

    /**
     * 100,000 runs of mixed statuses in two flows: every total (runs list with and without filters,
     * per flow) equals a count(*), or is the cap as a lower bound where count(*) exceeds it; never a
     * count for a status without runs.
     */
    @Test
    void totalsAreTrueWithAHundredThousandRunsOfMixedStatuses() {
        // qa: 70,000 completed, 10,001 cancelled, 9,999 failed, 3 started; qb: 9,000 completed, 997 failed, 0 started/cancelled
        String insert = "insert into pgflow.runs (flow_slug, status, input, started_at, completed_at, failed_at, cancelled_at)"
                + " select ?, ?, jsonb_build_object('g', g), now() - make_interval(secs => g),"
                + " case when ? = 'completed' then now() end, case when ? = 'failed' then now() end, case when ? = 'cancelled' then now() end"
                + " from generate_series(1, ?) g";
        Object[][] batches = {{"qa", "completed", 70_000}, {"qa", "cancelled", 10_001}, {"qa", "failed", 9_999}, {"qa", "started", 3},
            {"qb", "completed", 9_000}, {"qb", "failed", 997}};
        for (Object[] b : batches) {
            db.exec(insert, b[0], b[1], b[1], b[1], b[1], b[2]);
        }
        db.exec("analyze pgflow.runs");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(100_000L);
        for (RunFilter filter : List.of(RunFilter.ALL, RunFilter.ALL.withFlow("qa"), RunFilter.ALL.withFlow("qb"),
                RunFilter.ALL.withFlow("qb").withStatuses(Set.of(RunStatus.FAILED)),
                RunFilter.ALL.withStarted(OffsetDateTime.now().minusSeconds(9_500), null),
                RunFilter.ALL.withInputContaining("{\"g\": 42}"))) {
            StatusTotals totals = queries.page(filter, null, 25).totals();
            for (RunStatus status : RunStatus.values()) {
                RunFilter.Where where = filter.withStatuses(Set.of(status)).where(true);
                long counted = db.one("select count(*) from pgflow.runs r where " + where.sql(), where.params().toArray());
                String why = filter + " " + status;
                if (counted > RunQueries.COUNT_CAP) {
                    assertThat(totals.count(status)).as(why).isEqualTo(RunQueries.COUNT_CAP);
                    assertThat(totals.lowerBounds()).as(why).contains(status);
                    assertThat(totals.shown(status)).as(why).isEqualTo("10,000+");
                } else {
                    assertThat(totals.count(status)).as(why).isEqualTo(counted);
                    assertThat(totals.lowerBounds()).as(why).doesNotContain(status);
                    assertThat(totals.shown(status)).as(why).isEqualTo(String.valueOf(counted));
                }
            }
        }
        StatusTotals all = queries.totals(RunFilter.ALL);
        assertThat(all.counts()).containsExactlyInAnyOrderEntriesOf(Map.of(RunStatus.STARTED, 3L, RunStatus.COMPLETED, 10_000L,
                RunStatus.FAILED, 10_000L, RunStatus.CANCELLED, 10_000L));
        assertThat(all.lowerBounds()).containsExactlyInAnyOrder(RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED);
        StatusTotals qb = queries.totals(RunFilter.ALL.withFlow("qb"));
        assertThat(qb.exact()).isTrue();
        assertThat(qb.counts()).containsExactlyInAnyOrderEntriesOf(Map.of(RunStatus.STARTED, 0L, RunStatus.COMPLETED, 9_000L,
                RunStatus.FAILED, 997L, RunStatus.CANCELLED, 0L));
        StatusTotals one = queries.totals(RunFilter.ALL.withInputContaining("{\"g\": 42}"));
        assertThat(one.counts()).containsExactlyInAnyOrderEntriesOf(Map.of(RunStatus.STARTED, 0L, RunStatus.COMPLETED, 2L,
                RunStatus.FAILED, 2L, RunStatus.CANCELLED, 1L));
    }

    /** Runs found by the text of their tasks' errors: the last error or an earlier attempt's, any case, % and _ taken literally. */
    @Test
    void runsAreFoundByTheTextOfTheirErrors() {
        db.exec("select pgflow.create_flow('qc', max_attempts => 2, base_delay => 0)");
        db.exec("select pgflow.add_step('qc', 'only')");
        UUID twice = start("qc", "{\"n\": 1}");
        UUID retried = start("qc", "{\"n\": 2}");
        UUID clean = start("qc", "{\"n\": 3}");
        db.exec("select pgflow.register_worker(?, 'qc', 'test')", worker);
        db.rows("select * from pgflow.claim_tasks('qc', ?, 10)", worker);
        db.exec("select * from pgflow.fail_task(?, 'only', 0, 'Connection REFUSED by db-7:5432')", twice);
        db.exec("select * from pgflow.fail_task(?, 'only', 0, 'quota 100% used')", retried);
        db.exec("select * from pgflow.complete_task(?, 'only', 0, '1')", clean);
        db.rows("select * from pgflow.claim_tasks('qc', ?, 10)", worker);
        db.exec("select * from pgflow.fail_task(?, 'only', 0, 'timeout_reading reply')", twice);
        db.exec("select * from pgflow.complete_task(?, 'only', 0, '2')", retried);

        assertThat(ids(queries.page(RunFilter.ALL.withErrorContaining("connection refused"), null, 50))).containsExactly(twice);
        assertThat(ids(queries.page(RunFilter.ALL.withErrorContaining("TIMEOUT_reading"), null, 50))).containsExactly(twice);
        assertThat(ids(queries.page(RunFilter.ALL.withErrorContaining("100%"), null, 50))).containsExactly(retried);
        assertThat(ids(queries.page(RunFilter.ALL.withErrorContaining("100% u"), null, 50))).containsExactly(retried);
        assertThat(ids(queries.page(RunFilter.ALL.withErrorContaining("quota_100"), null, 50))).isEmpty();
        assertThat(ids(queries.page(RunFilter.ALL.withErrorContaining("  "), null, 50))).hasSize(3);
        assertThat(queries.page(RunFilter.ALL.withErrorContaining("refused").withStatuses(Set.of(RunStatus.FAILED)), null, 50).totals()
                .counts()).containsExactlyInAnyOrderEntriesOf(Map.of(RunStatus.STARTED, 0L, RunStatus.COMPLETED, 0L, RunStatus.FAILED, 1L,
                        RunStatus.CANCELLED, 0L));
        assertThatThrownBy(() -> RunFilter.ALL.withErrorContaining("x".repeat(201)))
                .hasMessage("errorContains is 201 characters long: search for at most 200");
        assertThat((Long) db.one("select count(*) from pg_indexes where indexname = 'idx_task_attempts_error_text'")).isEqualTo(1L);
        // only task_attempts, which the engine writes on failures: nothing on step_tasks, where tasks succeed
        assertThat((Long) db.one("select count(*) from pg_indexes where tablename = 'step_tasks' and indexdef like '%trgm%'"))
                .isEqualTo(0L);
    }

    /** Oldest first: keyset pages forwards and back in that order. */
    @Test
    void pagesReadOldestFirstForwardsAndBack() {
        db.exec("select count(*) from generate_series(1, 12) g, lateral pgflow.start_flow('qb', jsonb_build_object('g', g))");
        List<UUID> all = db.rows("select run_id from pgflow.runs order by started_at, run_id").stream().map(r -> (UUID) r.get("run_id")).toList();
        RunPage first = queries.page(RunFilter.ALL, null, 5, true);
        assertThat(ids(first)).isEqualTo(all.subList(0, 5));
        assertThat(first.previousCursor()).isNull();
        RunPage second = queries.page(RunFilter.ALL, first.nextCursor(), 5, true);
        assertThat(ids(second)).isEqualTo(all.subList(5, 10));
        RunPage third = queries.page(RunFilter.ALL, second.nextCursor(), 5, true);
        assertThat(ids(third)).isEqualTo(all.subList(10, 12));
        assertThat(third.nextCursor()).isNull();
        RunPage back = queries.page(RunFilter.ALL, third.previousCursor(), 5, true);
        assertThat(ids(back)).isEqualTo(all.subList(5, 10));
        assertThat(ids(queries.page(RunFilter.ALL, back.previousCursor(), 5, true))).isEqualTo(all.subList(0, 5));
        assertThat(queries.page(RunFilter.ALL, back.previousCursor(), 5, true).previousCursor()).isNull();
    }

    /** Who retried a run, and when: one row per retry_run, the actor set by EngineOperations, else the database role. */
    @Test
    void retriesSayWhoAndWhen(DataSource ds) throws Exception {
        Map<RunStatus, UUID> runs = runsInEveryStatus();
        UUID failed = runs.get(RunStatus.FAILED);
        new io.pgflowee.engine.control.EngineOperations(ds).retryRun(failed, "alice");
        db.exec("select pgflow.cancel_run(?, 'again')", failed);
        db.exec("select pgflow.retry_run(?)", failed);
        List<RunRetry> retries = queries.retries(failed);
        assertThat(retries).extracting(RunRetry::number, RunRetry::retriedBy)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "alice"),
                        org.assertj.core.groups.Tuple.tuple(2, "database role " + db.one("select session_user")));
        assertThat(retries.get(0).retriedAt()).isBeforeOrEqualTo(retries.get(1).retriedAt());
        assertThat(queries.retries(runs.get(RunStatus.COMPLETED))).isEmpty();
    }

    private static Throwable root(Throwable t) {
        return t == null || t.getCause() == null ? t : root(t.getCause());
    }

    private static List<UUID> ids(RunPage page) {
        return page.runs().stream().map(RunRecord::runId).toList();
    }
}
