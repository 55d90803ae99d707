package io.pgflowee.engine.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/** The engine service: each operator action is its SQL function, and each refusal a typed exception with the engine's words. */
@ExtendWith(PgflowDatabaseExtension.class)
class EngineOperationsTest {

    private EngineOperations engine;
    private Db db;

    @BeforeEach
    void clean(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        engine = new EngineOperations(ds);
        db = new Db(ds);
        db.exec("select pgflow.create_flow('ops', max_attempts => 1)");
        db.exec("select pgflow.add_step('ops', 'a')");
        db.exec("select pgflow.create_flow('roots')");
        db.exec("select pgflow.add_step('roots', 'each', step_type => 'map')");
    }

    @Test
    void startsCancelsRetriesAndRestartsARunReturningItsRow() throws Exception {
        StartedRun started = engine.startFlow("ops", "{\"n\": 1}", null, "key-1");
        assertThat(started.created()).isTrue();
        UUID run = started.run().runId();
        assertThat(started.run().status()).isEqualTo("started");
        assertThat(started.run().flowSlug()).isEqualTo("ops");
        assertThat(started.run().idempotencyKey()).isEqualTo("key-1");
        assertThat(db.rows("select step_slug, status from pgflow.step_states where run_id = ?", run))
                .containsExactly(java.util.Map.of("step_slug", "a", "status", "started"));

        StartedRun repeat = engine.startFlow("ops", "{\"n\": 1}", null, "key-1");
        assertThat(repeat.created()).isFalse();
        assertThat(repeat.run().runId()).isEqualTo(run);

        RunRow cancelled = engine.cancelRun(run, "not needed");
        assertThat(cancelled.status()).isEqualTo("cancelled");
        assertThat(cancelled.cancelReason()).isEqualTo("not needed");
        assertThat(cancelled.cancelledAt()).isNotNull();
        assertThat(cancelled.input()).isEqualTo("{\"n\": 1}");
        assertThat(cancelled.idempotencyKey()).isEqualTo("key-1");

        RunRow retried = engine.retryRun(run);
        assertThat(retried.status()).isEqualTo("started");
        assertThat(retried.retryCount()).isEqualTo(1);
        assertThat(retried.lastRetriedAt()).isNotNull();
        assertThat(retried.cancelledAt()).isNull();

        RunRow restarted = engine.restartRun(run);
        assertThat(restarted.runId()).isNotEqualTo(run);
        assertThat(restarted.restartOfRunId()).isEqualTo(run);
        assertThat(restarted.flowSlug()).isEqualTo("ops");
        assertThat(restarted.remainingSteps()).isEqualTo(1);
    }

    @Test
    void pausesResumesAndLimitsAFlow() throws Exception {
        FlowControlRow paused = engine.pauseFlow("ops");
        assertThat(paused.paused()).isTrue();
        assertThat(engine.setFlowConcurrency("ops", 4).maxRunning()).isEqualTo(4);
        FlowControlRow resumed = engine.resumeFlow("ops");
        assertThat(resumed.paused()).isFalse();
        assertThat(resumed.maxRunning()).isEqualTo(4);
        assertThat(engine.setFlowConcurrency("ops", null).maxRunning()).isNull();
    }

    @Test
    void refusalsCarryTheirKindAndTheEnginesMessageAndChangeNothing() throws Exception {
        UUID unknown = UUID.randomUUID();
        StartedRun started = engine.startFlow("ops", "{}", null, "k");
        UUID run = started.run().runId();

        EngineRefusal notFound = catchThrowableOfType(() -> engine.cancelRun(unknown, null), EngineRefusal.class);
        EngineRefusal wrongState = catchThrowableOfType(() -> engine.retryRun(run), EngineRefusal.class);
        EngineRefusal keyReused = catchThrowableOfType(() -> engine.startFlow("ops", "{\"other\": 1}", null, "k"), EngineRefusal.class);
        EngineRefusal runTaken = catchThrowableOfType(() -> engine.startFlow("ops", "{}", run, null), EngineRefusal.class);
        EngineRefusal unknownFlow = catchThrowableOfType(() -> engine.startFlow("nope", "{}", null, null), EngineRefusal.class);
        EngineRefusal notAnArray = catchThrowableOfType(() -> engine.startFlow("roots", "{}", null, null), EngineRefusal.class);
        EngineRefusal badLimit = catchThrowableOfType(() -> engine.setFlowConcurrency("ops", 0), EngineRefusal.class);
        EngineRefusal unknownPause = catchThrowableOfType(() -> engine.pauseFlow("nope"), EngineRefusal.class);
        String huge = "{\"blob\": \"" + "x".repeat(17 * 1024 * 1024) + "\"}";
        EngineRefusal tooLarge = catchThrowableOfType(() -> engine.startFlow("ops", huge, null, null), EngineRefusal.class);

        assertThat(notFound.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(notFound).hasMessage("Run " + unknown + " does not exist");
        assertThat(notFound.hint()).startsWith("SELECT run_id, flow_slug, status FROM pgflow.runs");
        assertThat(wrongState.kind()).isEqualTo(EngineRefusal.Kind.CONFLICT);
        assertThat(wrongState).hasMessage("Run " + run + " is started: only a failed or cancelled run can be retried");
        assertThat(keyReused.kind()).isEqualTo(EngineRefusal.Kind.CONFLICT);
        assertThat(keyReused.constraint()).isEqualTo("idx_runs_idempotency_key");
        assertThat(keyReused).hasMessage("Idempotency key \"k\" of flow \"ops\" was already used by run " + run + " with a different input");
        assertThat(runTaken.kind()).isEqualTo(EngineRefusal.Kind.CONFLICT);
        assertThat(runTaken.constraint()).isEqualTo("runs_pkey");
        assertThat(unknownFlow.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(unknownFlow).hasMessage("Flow \"nope\" does not exist");
        assertThat(notAnArray.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(notAnArray).hasMessage("Flow roots has root map steps but input is not an array (got object)");
        assertThat(badLimit.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(unknownPause.kind()).isEqualTo(EngineRefusal.Kind.NOT_FOUND);
        assertThat(tooLarge.kind()).isEqualTo(EngineRefusal.Kind.INVALID);
        assertThat(tooLarge).hasMessage("Flow \"ops\": the run input is " + huge.length() + " bytes of JSON, over the limit of"
                + " 16777216 bytes (pgflow.max_input_bytes)");
        assertThat(tooLarge.hint()).endsWith("or raise the limit: ALTER DATABASE <database> SET pgflow.max_input_bytes = <bytes>");
        assertThat((Long) db.one("select count(*) from pgflow.runs")).isEqualTo(1L);
        assertThat((Object) db.one("select max_running from pgflow.flows where flow_slug = 'ops'")).isNull();
    }
}
