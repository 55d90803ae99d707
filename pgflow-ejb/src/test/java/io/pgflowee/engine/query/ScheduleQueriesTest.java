package io.pgflowee.engine.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.model.ReadModel;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.persistence.EntityManager;

/** The schedules' read side (pages, next firings, latest runs) and their operations, against a real PostgreSQL. */
@ExtendWith(PgflowDatabaseExtension.class)
class ScheduleQueriesTest {

    private Db db;
    private EntityManager em;
    private ScheduleQueries queries;
    private EngineOperations engine;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        db = new Db(ds);
        em = ReadModel.factory(ds).createEntityManager();
        queries = new ScheduleQueries(em);
        engine = new EngineOperations(ds);
        db.exec("select pgflow.create_flow('rep')");
        db.exec("select pgflow.add_step('rep', 'a')");
        db.exec("select pgflow.create_flow('other')");
        db.exec("select pgflow.add_step('other', 'a')");
    }

    @AfterEach
    void close() {
        em.close();
    }

    @Test
    void operationsChangeSchedulesAndTheEnginesRefusalsArriveWithItsWords() throws Exception {
        assertThat(engine.createSchedule("nightly", "rep", "0 3 * * *", "{\"region\": \"eu\"}", "Europe/Berlin", null))
                .isEqualTo(new EngineOperations.ScheduleChange("nightly", true));
        assertThat(engine.createSchedule("nightly", "rep", "0 3 * * *", "{\"region\": \"eu\"}", "Europe/Berlin", "latest"))
                .as("the same definition again").isEqualTo(new EngineOperations.ScheduleChange("nightly", false));
        EngineRefusal taken = (EngineRefusal) org.assertj.core.api.Assertions.catchThrowable(
                () -> engine.createSchedule("nightly", "rep", "0 4 * * *", null, null, null));
        assertThat(taken.kind()).isEqualTo(EngineRefusal.Kind.CONFLICT);
        assertThat(taken.getMessage()).isEqualTo("Schedule \"nightly\" exists with another definition (flow rep, cron \"0 3 * * *\","
                + " time zone Europe/Berlin, catch_up latest)");
        assertThat(taken.hint()).isEqualTo("Change it with pgflow.update_schedule, or delete it first (pgflow.delete_schedule).");
        EngineRefusal bad = (EngineRefusal) org.assertj.core.api.Assertions.catchThrowable(
                () -> engine.createSchedule("x", "rep", "0 3 * * * *", null, null, null));
        assertThat(bad.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(bad.getMessage()).isEqualTo("Cron \"0 3 * * * *\": 6 fields; the five standard fields are expected"
                + " (minute hour day-of-month month day-of-week): seconds are not supported");

        engine.updateSchedule("nightly", "30 2 * * *", null, null, "all");
        engine.pauseSchedule("nightly", true);
        ScheduleQueries.ScheduleView paused = queries.schedule("nightly", 3, 5).orElseThrow();
        assertThat(paused.cron()).isEqualTo("30 2 * * *");
        assertThat(paused.catchUp()).isEqualTo("all");
        assertThat(paused.paused()).isTrue();
        engine.pauseSchedule("nightly", false);
        assertThat(queries.schedule("nightly", 3, 5).orElseThrow().paused()).isFalse();

        assertThat(engine.triggerSchedule("nightly").status()).isEqualTo("started");
        assertThat(engine.backfillSchedule("nightly", OffsetDateTime.parse("2026-11-01T00:00:00Z"), OffsetDateTime.parse("2026-11-02T23:00:00Z")))
                .isEqualTo(2);
        EngineRefusal unknown = (EngineRefusal) org.assertj.core.api.Assertions.catchThrowable(() -> engine.deleteSchedule("nope"));
        assertThat(unknown.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(unknown.getMessage()).isEqualTo("Schedule \"nope\" does not exist");
        engine.deleteSchedule("nightly");
        assertThat(queries.schedule("nightly", 3, 5)).isEmpty();
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'rep'")).as("its runs stay").isEqualTo(3L);
    }

    @Test
    void pagesListSchedulesByNameWithTheirNextFiringsAndLatestRuns() throws Exception {
        for (String name : List.of("c", "a", "b", "d")) {
            engine.createSchedule(name, name.equals("d") ? "other" : "rep", "0 3 * * *", null, "Europe/Berlin", null);
        }
        engine.backfillSchedule("a", OffsetDateTime.parse("2026-11-01T00:00:00Z"), OffsetDateTime.parse("2026-11-03T23:00:00Z"));
        engine.pauseSchedule("b", true);

        ScheduleQueries.SchedulePage first = queries.page(null, null, 2, 3, 2);
        assertThat(first.items()).extracting(ScheduleQueries.ScheduleView::name).containsExactly("a", "b");
        assertThat(first.next()).isEqualTo("b");
        ScheduleQueries.SchedulePage second = queries.page(null, first.next(), 2, 3, 2);
        assertThat(second.items()).extracting(ScheduleQueries.ScheduleView::name).containsExactly("c", "d");
        assertThat(second.next()).isNull();
        assertThat(queries.page("rep", null, 10, 1, 0).items()).extracting(ScheduleQueries.ScheduleView::name).containsExactly("a", "b", "c");
        assertThat(queries.counts(null)).containsExactly(4L, 1L);
        assertThat(queries.counts("other")).containsExactly(1L, 0L);

        ScheduleQueries.ScheduleView a = first.items().get(0);
        assertThat(a.flowSlug()).isEqualTo("rep");
        assertThat(a.inputJson()).isEqualTo("{}");
        assertThat(a.declared()).isFalse();
        assertThat(a.nextFirings()).hasSize(3).isSorted().allSatisfy(f -> assertThat(f).isAfter(Instant.now().minusSeconds(5)));
        assertThat(a.nextFirings().get(0)).isEqualTo(a.nextFireAt().toInstant());
        assertThat(a.nextFirings()).allSatisfy(f -> assertThat(f.atZone(java.time.ZoneId.of("Europe/Berlin")).toLocalTime())
                .isEqualTo(java.time.LocalTime.of(3, 0)));
        assertThat(a.latestRuns()).as("the two newest of the three backfilled").hasSize(2)
                .extracting(ScheduleQueries.ScheduledRun::status).containsOnly("started");
        assertThat(a.latestRuns()).as("newest first; runs of one transaction by firing, latest first").extracting(ScheduleQueries.ScheduledRun::firing).containsExactly(
                db.<String>one("select substr(idempotency_key, 12) from pgflow.runs where idempotency_key like 'schedule:a:%' order by started_at desc, idempotency_key desc limit 1"),
                db.<String>one("select substr(idempotency_key, 12) from pgflow.runs where idempotency_key like 'schedule:a:%' order by started_at desc, idempotency_key desc offset 1 limit 1"));
        assertThat(first.items().get(1).paused()).isTrue();
        assertThat(first.items().get(1).nextFirings()).as("a paused schedule's firings are listed all the same").hasSize(3);

        assertThatThrownBy(() -> queries.page(null, null, 201, 5, 5)).hasMessage("limit must be 1 to 200, got 201");
        assertThatThrownBy(() -> queries.page(null, null, 10, 0, 5)).hasMessage("firings must be 1 to 100, got 0");
    }
}
