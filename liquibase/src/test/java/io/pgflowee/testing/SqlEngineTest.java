package io.pgflowee.testing;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Base of the SQL core tests: a clean pgflow schema before each test, one registered worker, and
 * the engine's calls as one-liners. Each helper is a single pgflow.* function call, exactly as a
 * worker or psql user would make it.
 */
@ExtendWith(PgflowDatabaseExtension.class)
public abstract class SqlEngineTest {

    protected Db db;
    protected UUID worker;

    @BeforeEach
    void cleanDatabaseAndRegisterWorker(DataSource dataSource) {
        PgflowDatabaseExtension.resetRuntimeData(dataSource);
        db = new Db(dataSource);
        worker = UUID.randomUUID();
    }

    /** Registers {@link #worker} for a flow (claims need a registered worker). */
    protected void registerWorker(String flow) {
        db.exec("select pgflow.register_worker(?, ?, 'test')", worker, flow);
    }

    protected UUID start(String flow, String inputJson) {
        return db.one("select run_id from pgflow.start_flow(?, ?::jsonb)", flow, inputJson);
    }

    /** claim_tasks with {@link #worker} (registered for the flow first). */
    protected List<Map<String, Object>> claim(String flow, int max) {
        registerWorker(flow);
        return db.rows("select flow_slug, run_id, step_slug, task_index, input::text as input,"
                + " flow_input::text as flow_input, attempts_count, timeout_seconds"
                + " from pgflow.claim_tasks(?, ?, ?)", flow, worker, max);
    }

    protected Map<String, Object> complete(UUID run, String step, int index, String outputJson) {
        return db.row("select status, output::text as output from pgflow.complete_task(?, ?, ?, ?::jsonb)",
                run, step, index, outputJson);
    }

    protected Map<String, Object> fail(UUID run, String step, int index, String error) {
        return db.row("select status, attempts_count, error_message from pgflow.fail_task(?, ?, ?, ?)",
                run, step, index, error);
    }

    /** Makes every queued task of the run claimable now (skips start delays and backoff). */
    protected void makeVisible(UUID run) {
        db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() - interval '1 ms'"
                + " where run_id = ? and status = 'queued' and visible_at <> 'infinity'", run);
    }

    /** Lets the leases of the run's started tasks run out, as if their worker died. */
    protected void expireLeases(UUID run) {
        db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() - interval '1 ms'"
                + " where run_id = ? and status = 'started' and visible_at <> 'infinity'", run);
    }

    protected Map<String, Object> run(UUID run) {
        return db.row("select status, remaining_steps, output::text as output, completed_at, failed_at"
                + " from pgflow.runs where run_id = ?", run);
    }

    protected Map<String, Object> step(UUID run, String step) {
        return db.row("select status, remaining_tasks, initial_tasks, remaining_deps, output::text as output,"
                + " error_message, skip_reason, started_at, completed_at, failed_at, skipped_at"
                + " from pgflow.step_states where run_id = ? and step_slug = ?", run, step);
    }

    protected Map<String, Object> task(UUID run, String step, int index) {
        return db.row("select status, attempts_count, output::text as output, error_message, visible_at,"
                + " queued_at, started_at, completed_at, failed_at, last_worker_id"
                + " from pgflow.step_tasks where run_id = ? and step_slug = ? and task_index = ?", run, step, index);
    }

    /** Runs the statements of a flow definition (create_flow / add_step calls). */
    protected void define(String... statements) {
        for (String sql : statements) {
            db.exec(sql);
        }
    }

    /** The server-side message of an error. */
    protected static String message(SQLException e) {
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        return server != null ? server.getMessage() : e.getMessage();
    }

    /** The constraint an error names (our functions set it like PostgreSQL's own checks). */
    protected static String constraint(SQLException e) {
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        return server != null ? server.getConstraint() : null;
    }
}
