package io.pgflowee.engine.jobs.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

import jakarta.json.JsonObject;

/** The backfill's starts on embedded PostgreSQL 17: each run gets the concurrency key and priority its flow computes from the input. */
@ExtendWith(PgflowDatabaseExtension.class)
class BackfillDatabaseTest {

    private Db db;
    private BackfillDatabase backfill;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        db = new Db(ds);
        db.exec("select pgflow.create_flow('bf')");
        db.exec("select pgflow.add_step('bf', 'only')");
        Flow<JsonObject> flow = Flow.define("bf", JsonObject.class)
                .concurrencyKey(in -> in.getString("customer")).priority(in -> in.getInt("tier", 0));
        flow.step("only", String.class).run(in -> "done");
        backfill = new BackfillDatabase();
        backfill.dataSource = ds;
        backfill.engine = new EngineOperations(ds);
        backfill.registry = FlowRegistry.of(flow);
    }

    @Test
    void backfilledRunsTakeTheirFlowsConcurrencyKeyAndPriority() throws Exception {
        BackfillDatabase.Started started = backfill.startRuns("bf", List.of(new BackfillItem("1", "line 1", "{\"customer\": \"c-1\", \"tier\": 4}", null),
                new BackfillItem("2", "line 2", "{\"customer\": \"c-2\"}", null)), "backfill:t:");

        assertThat(started).isEqualTo(new BackfillDatabase.Started(2, 0));
        assertThat(db.rows("select idempotency_key, concurrency_key, priority from pgflow.runs order by idempotency_key"))
                .extracting(r -> r.get("idempotency_key") + " " + r.get("concurrency_key") + " " + r.get("priority"))
                .containsExactly("backfill:t:1 c-1 4", "backfill:t:2 c-2 0");
    }

    @Test
    void anInputTheKeyFunctionCannotReadRefusesTheChunkNamingTheItemAndStartsNothing() {
        assertThatThrownBy(() -> backfill.startRuns("bf", List.of(new BackfillItem("1", "line 1", "{\"customer\": \"c-1\"}", null),
                new BackfillItem("7", "line 7", "{\"tier\": 1}", null)), "backfill:t:"))
                .isInstanceOfSatisfying(EngineRefusal.class, e -> assertThat(e.kind()).isEqualTo(EngineRefusal.Kind.INVALID))
                .hasMessageStartingWith("item 7: Flow \"bf\": concurrencyKey(...) failed on the input: java.lang.NullPointerException");
        assertThat(db.<Long>one("select count(*) from pgflow.runs")).isZero();
    }
}
