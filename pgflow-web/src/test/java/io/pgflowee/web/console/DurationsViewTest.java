package io.pgflowee.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.model.ReadModel;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

import jakarta.persistence.EntityManager;

/** The step durations page's bean on a real PostgreSQL: its steps, its problems, its windows and how it writes times. */
@ExtendWith(PgflowDatabaseExtension.class)
class DurationsViewTest {

    private EntityManager em;
    private DurationsView view;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        Db db = new Db(ds);
        db.exec("select pgflow.create_flow('dv')");
        db.exec("select pgflow.add_step('dv', 'first')");
        db.exec("select pgflow.add_step('dv', 'second', ARRAY['first'])");
        UUID run = db.one("select run_id from pgflow.start_flow('dv', '{}')");
        UUID worker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'dv', 'test')", worker);
        db.rows("select run_id from pgflow.claim_tasks('dv', ?, 1)", worker);
        db.exec("select pgflow.complete_task(?, 'first', 0, '1')", run);
        db.exec("update pgflow.step_tasks set started_at = completed_at - interval '1500 ms', queued_at = completed_at - interval '2 s'"
                + " where run_id = ? and step_slug = 'first'", run);
        em = ReadModel.factory(ds).createEntityManager();
        view = new DurationsView();
        view.flows = new FlowQueries(em);
    }

    @AfterEach
    void close() {
        em.close();
    }

    @Test
    void aFlowsStepsWithTheirCountsAndTimes() {
        view.setFlow("dv");
        view.setHours(1);

        assertThat(view.getProblem()).isNull();
        assertThat(view.getSteps()).extracting(s -> s.stepSlug() + " " + s.completed() + " " + s.failed() + " " + s.p50() + " " + s.max())
                .containsExactly("first 1 0 1.5 s 1.5 s", "second 0 0 — —");
    }

    @Test
    void noFlowOrAnUnknownOneIsNamedAndAnOddWindowFallsBackToADay() {
        assertThat(view.getProblem()).isEqualTo("Name a flow: durations.xhtml?flow=<slug>");
        DurationsView unknown = new DurationsView();
        unknown.flows = view.flows;
        unknown.setFlow("nope");
        assertThat(unknown.getProblem()).isEqualTo("Flow \"nope\" does not exist");
        unknown.setHours(5);
        assertThat(unknown.getHours()).isEqualTo(24);
        assertThat(DurationsView.millis(12.4)).isEqualTo("12 ms");
        assertThat(DurationsView.millis(2345.0)).isEqualTo("2.3 s");
        assertThat(DurationsView.millis(185_000.0)).as("the console's one format").isEqualTo("3 min 05 s");
        assertThat(DurationsView.millis(null)).isEqualTo("—");
    }
}
