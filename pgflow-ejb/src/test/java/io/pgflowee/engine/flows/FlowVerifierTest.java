package io.pgflowee.engine.flows;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.json.JsonValue;

/** The startup check of registered flows, against a real PostgreSQL. */
@ExtendWith(PgflowDatabaseExtension.class)
class FlowVerifierTest {

    private DataSource dataSource;
    private Db db;

    @BeforeEach
    void clean(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        dataSource = ds;
        db = new Db(ds);
    }

    private static Flow<JsonValue> twoSteps(String slug, boolean mapSecond) {
        Flow<JsonValue> flow = Flow.define(slug, JsonValue.class);
        Step<java.util.List<String>> a = flow.step("a", new io.pgflowee.api.flow.TypeRef<java.util.List<String>>() { })
                .run(in -> java.util.List.of());
        if (mapSecond) {
            flow.map("b", String.class).over(a).run(x -> x);
        } else {
            flow.step("b", String.class).after(a).run(x -> "");
        }
        return flow;
    }

    @Test
    void aMissingFlowIsReportedAndNotCreatedUnlessAutoCompileIsOn() throws Exception {
        Flow<JsonValue> flow = twoSteps("checked", false);
        try (Connection c = dataSource.getConnection()) {
            FlowStatus missing = FlowVerifier.verify(c, flow, false);
            assertThat(missing.state()).isEqualTo(FlowStatus.State.MISSING);
            assertThat(missing.runnable()).isFalse();
            assertThat(missing.message()).isEqualTo("flow 'checked' is not in the database, so it will not run: apply its compiled"
                    + " changelog liquibase/flows/checked.sql (compile it first, README \"Write a flow\"), or set"
                    + " pgflow.flows.autoCompile=true in development");
            assertThat((Long) db.one("select count(*) from pgflow.flows where flow_slug = 'checked'")).isZero();

            FlowStatus compiled = FlowVerifier.verify(c, flow, true);
            assertThat(compiled.state()).isEqualTo(FlowStatus.State.COMPILED);
            assertThat(compiled.runnable()).isTrue();
            assertThat((Long) db.one("select count(*) from pgflow.steps where flow_slug = 'checked'")).isEqualTo(2L);

            FlowStatus verified = FlowVerifier.verify(c, flow, false);
            assertThat(verified.state()).isEqualTo(FlowStatus.State.VERIFIED);
            assertThat(verified.message()).isEqualTo("flow 'checked' matches the database (2 steps)");
        }
    }

    @Test
    void aFlowThatDiffersIsNotRunAndEachDifferenceIsNamedWhateverAutoCompileSays() throws Exception {
        db.exec("select pgflow.create_flow('changed')");
        db.exec("select pgflow.add_step('changed', 'a')");
        db.exec("select pgflow.add_step('changed', 'b', ARRAY['a'])");
        db.exec("select pgflow.start_flow('changed', '{}'::jsonb)");
        try (Connection c = dataSource.getConnection()) {
            for (boolean autoCompile : new boolean[] {false, true}) {
                FlowStatus status = FlowVerifier.verify(c, twoSteps("changed", true), autoCompile);
                assertThat(status.state()).isEqualTo(FlowStatus.State.MISMATCH);
                assertThat(status.runnable()).isFalse();
                assertThat(status.differences()).containsExactly("Step at index 1: type differs 'map' vs 'single'");
                assertThat(status.message()).isEqualTo("flow 'changed' differs from the flow in the database and will not run"
                        + " (first = Java, second = database): Step at index 1: type differs 'map' vs 'single'. Flows are immutable"
                        + " once applied: give the changed flow a new slug (for example changed_v2), or in development delete the old"
                        + " one with SELECT pgflow.delete_flow_and_data('changed'): the server checks again within 10 s, no restart needed");
            }
        }
        // nothing was touched
        assertThat((String) db.one("select step_type from pgflow.steps where flow_slug = 'changed' and step_slug = 'b'")).isEqualTo("single");
        assertThat((Long) db.one("select count(*) from pgflow.runs where flow_slug = 'changed'")).isEqualTo(1L);
    }

    @Test
    void declaredSchedulesAreAppliedWithAutoCompileAndTheirDifferencesReportedWithoutStoppingTheFlow() throws Exception {
        Flow<JsonValue> flow = twoSteps("timed", false);
        flow.schedule("timed_nightly", "0 3 * * *").timeZone("Europe/Berlin");
        try (Connection c = dataSource.getConnection()) {
            FlowStatus compiled = FlowVerifier.verify(c, flow, true);
            assertThat(compiled.state()).isEqualTo(FlowStatus.State.COMPILED);
            assertThat(compiled.scheduleDifferences()).isEmpty();
            assertThat((String) db.one("select cron || ' ' || time_zone from pgflow_internal.schedules where schedule_name = 'timed_nightly'"))
                    .isEqualTo("0 3 * * * Europe/Berlin");

            db.exec("select pgflow.update_schedule('timed_nightly', '0 5 * * *')");
            FlowStatus changed = FlowVerifier.verify(c, flow, false);
            assertThat(changed.state()).isEqualTo(FlowStatus.State.VERIFIED);
            assertThat(changed.runnable()).isTrue();
            assertThat(changed.scheduleDifferences()).containsExactly("schedule 'timed_nightly' differs from its declaration: cron '0 3 * * *'"
                    + " vs '0 5 * * *' (first = Java, second = database; a change made at run time stays until the declaration changes)");

            assertThat(FlowVerifier.scheduleDifferences(c, flow)).as("read now, as the flow page does").isEqualTo(changed.scheduleDifferences());
            db.exec("select pgflow.delete_schedule('timed_nightly')");
            assertThat(FlowVerifier.verify(c, flow, false).scheduleDifferences()).containsExactly("schedule 'timed_nightly' is declared but not"
                    + " in the database (the flow's compiled changelog creates it at the next migration)");
        }
    }
}
