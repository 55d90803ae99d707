package io.pgflowee.engine.jobs.bulk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/** The bulk jobs' SQL on embedded PostgreSQL 17: an action applied once per run however often its chunk is read again. */
@ExtendWith(PgflowDatabaseExtension.class)
class BulkDatabaseTest {

    private Db db;
    private BulkDatabase jobs;

    @BeforeEach
    void clean(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        db = new Db(ds);
        db.exec("delete from pgflow_internal.job_items");
        jobs = new BulkDatabase();
        jobs.dataSource = ds;
        jobs.engine = new EngineOperations(ds);
    }

    @Test
    void aBulkActionIsAppliedOncePerRunHoweverOftenItsChunkIsReadAgain() throws Exception {
        db.exec("select pgflow.create_flow('bulk', max_attempts => 1)");
        db.exec("select pgflow.add_step('bulk', 'only')");
        UUID run = db.one("select run_id from pgflow.start_flow('bulk', '{}'::jsonb)");
        UUID worker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'bulk', 'test')", worker);
        db.rows("select run_id from pgflow.claim_tasks('bulk', ?, 1)", worker);
        db.exec("select pgflow.fail_task(?, 'only', 0, 'boom')", run);

        assertThat(jobs.actOnce("bulk-1", run, BulkDatabase.Action.RETRY, null)).isEqualTo(BulkDatabase.Outcome.ACTED);
        assertThat((String) db.one("select status from pgflow.runs where run_id = ?", run)).isEqualTo("started");
        assertThat((Integer) db.one("select retry_count from pgflow.runs where run_id = ?", run)).isEqualTo(1);
        assertThat(jobs.actOnce("bulk-1", run, BulkDatabase.Action.RETRY, null)).as("the chunk read again")
                .isEqualTo(BulkDatabase.Outcome.DONE_BEFORE);
        assertThat((Integer) db.one("select retry_count from pgflow.runs where run_id = ?", run)).as("not retried twice").isEqualTo(1);
        assertThat(db.rows("select item_key, outcome from pgflow_internal.job_items where instance_key = 'bulk-1'"))
                .containsExactly(java.util.Map.of("item_key", run.toString(), "outcome", "retried"));
        assertThat(BulkDatabase.Action.of(null)).isEqualTo(BulkDatabase.Action.RETRY);
        assertThat(BulkDatabase.Action.of("cancel")).isEqualTo(BulkDatabase.Action.CANCEL);
        assertThat(List.of(BulkDatabase.Action.values())).extracting(a -> a.outcome).containsExactly("retried", "restarted", "cancelled");
    }
}
