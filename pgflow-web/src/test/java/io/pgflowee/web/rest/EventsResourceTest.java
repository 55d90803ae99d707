package io.pgflowee.web.rest;

import static io.pgflowee.web.rest.RunsResourceTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.events.RunEvent;
import io.pgflowee.engine.model.ReadModel;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.testing.PgflowDatabaseExtension;

import jakarta.persistence.EntityManager;
import jakarta.ws.rs.WebApplicationException;

/**
 * {@link EventsResource} and the events' JSON: what a stream refuses before it opens, and each
 * event's data. (The streams themselves: EventsAndMetricsIT; the hub: RunEventHubTest.)
 */
@ExtendWith(PgflowDatabaseExtension.class)
class EventsResourceTest {

    private static final UUID RUN = UUID.fromString("0f8a6c1e-2b1d-4c55-9a57-52c6a4d0b0e1");

    @Test
    void aStepEventAndARunEventAreWrittenWithOnlyTheirOwnMembers() {
        RunEvent step = new RunEvent("step:skipped", RUN, "greet_user", "greeting", "skipped", "condition_unmet", 1_795_841_313_274_787L);
        RunEvent run = new RunEvent("run:completed", RUN, "greet_user", null, "completed", null, 1_795_841_313_274_787L);

        assertThat(EventStreams.json(step)).isEqualTo("{\"id\":\"" + step.id() + "\",\"eventType\":\"step:skipped\",\"runId\":\"" + RUN
                + "\",\"flowSlug\":\"greet_user\",\"stepSlug\":\"greeting\",\"status\":\"skipped\",\"skipReason\":\"condition_unmet\","
                + "\"at\":\"2026-11-28T04:48:33.274787Z\"}");
        assertThat(EventStreams.json(run)).isEqualTo("{\"id\":\"" + run.id() + "\",\"eventType\":\"run:completed\",\"runId\":\"" + RUN
                + "\",\"flowSlug\":\"greet_user\",\"status\":\"completed\",\"at\":\"2026-11-28T04:48:33.274787Z\"}");
    }

    @Test
    void aStreamWithoutAFlowOrOfAnUnknownFlowIsRefusedBeforeItOpens(DataSource ds) {
        EntityManager em = ReadModel.factory(ds).createEntityManager();
        try {
            EventsResource events = new EventsResource();
            events.flows = new FlowQueries(em);
            assertThatThrownBy(() -> events.flowEvents(" ", null, null, null)).isInstanceOfSatisfying(WebApplicationException.class,
                    e -> assertProblem(e.getResponse(), 400, "Missing flow", "name the flow to follow: /api/events?flow=<slug>"));
            assertThatThrownBy(() -> events.flowEvents("nope", null, null, null)).isInstanceOfSatisfying(WebApplicationException.class,
                    e -> assertProblem(e.getResponse(), 404, "Unknown flow", "Flow \"nope\" does not exist"));
        } finally {
            em.close();
        }
    }
}
