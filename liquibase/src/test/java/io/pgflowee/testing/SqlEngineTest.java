package io.pgflowee.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
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
        return db.row("select status, remaining_steps, output::text as output, completed_at, failed_at, cancelled_at,"
                + " cancel_reason, retry_count, last_retried_at, restart_of_run_id, idempotency_key"
                + " from pgflow.runs where run_id = ?", run);
    }

    protected Map<String, Object> step(UUID run, String step) {
        return db.row("select status, remaining_tasks, initial_tasks, remaining_deps, output::text as output,"
                + " error_message, skip_reason, started_at, completed_at, failed_at, skipped_at, cancelled_at"
                + " from pgflow.step_states where run_id = ? and step_slug = ?", run, step);
    }

    protected Map<String, Object> task(UUID run, String step, int index) {
        return db.row("select status, attempts_count, output::text as output, error_message, visible_at,"
                + " queued_at, started_at, completed_at, failed_at, cancelled_at, last_worker_id, permanently_stalled_at"
                + " from pgflow.step_tasks where run_id = ? and step_slug = ? and task_index = ?", run, step, index);
    }

    /** cancel_run: the returned run row. */
    protected Map<String, Object> cancel(UUID run, String reason) {
        return db.row("select run_id, status, cancel_reason, cancelled_at, remaining_steps from pgflow.cancel_run(?, ?)",
                run, reason);
    }

    /** retry_run: the returned run row. */
    protected Map<String, Object> retry(UUID run) {
        return db.row("select run_id, status, retry_count, last_retried_at, failed_at, cancelled_at, cancel_reason,"
                + " remaining_steps from pgflow.retry_run(?)", run);
    }

    /** Every payload received on the channel until it stays quiet for 300 ms. */
    protected static List<String> drain(Connection listener, String channel) throws SQLException {
        List<String> payloads = new ArrayList<>();
        PGNotification[] batch;
        while ((batch = listener.unwrap(PGConnection.class).getNotifications(300)) != null && batch.length > 0) {
            for (PGNotification n : batch) {
                if (n.getName().equals(channel)) {
                    payloads.add(n.getParameter());
                }
            }
        }
        return payloads;
    }

    /** The event types of pgflow_events payloads, with the step slug when there is one. */
    protected static List<String> eventTypes(List<String> payloads) {
        return payloads.stream().map(p -> p.replaceAll(".*\"event_type\": \"([^\"]+)\".*", "$1")
                + (p.contains("\"step_slug\"") ? " " + p.replaceAll(".*\"step_slug\": \"([^\"]+)\".*", "$1") : "")).toList();
    }

    /**
     * One call of a batch function ({@code complete_tasks}, {@code fail_tasks}) for {@code tasks}
     * (rows with run_id, step_slug and task_index): {@code sql} takes the run ids, step slugs and
     * task indexes as arrays, then {@code value} of each task as a text array.
     */
    protected void batch(String sql, List<Map<String, Object>> tasks, java.util.function.Function<Map<String, Object>, Object> value) {
        db.exec(sql,
                array("uuid", tasks.stream().map(t -> t.get("run_id")).toArray()),
                array("text", tasks.stream().map(t -> t.get("step_slug")).toArray()),
                array("int4", tasks.stream().map(t -> t.get("task_index")).toArray()),
                array("text", tasks.stream().map(value).toArray()));
    }

    /** A JDBC array of {@code type} (for the batch functions' array parameters). */
    protected java.sql.Array array(String type, Object[] values) {
        try (var c = db.dataSource().getConnection()) {
            return c.createArrayOf(type, values);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the statements of a flow definition (create_flow / add_step calls). */
    protected void define(String... statements) {
        for (String sql : statements) {
            db.exec(sql);
        }
    }

    /**
     * Runs {@code sql} (one statement, its first column a count) in a transaction of its own and
     * returns what it wrote to the run tables, from the transaction's own statistics
     * (pg_stat_xact_user_tables): rows updated, deleted and inserted, as "step_tasks u d i,
     * step_states u d i, runs u d i". Where a hot-path function writes a row twice, PostgreSQL
     * checks that row's foreign keys again (docs/architecture.md).
     */
    protected String runTableWrites(String sql, Object... params) throws SQLException {
        String[] tables = {"step_tasks", "step_states", "runs"};
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            // the view also holds what earlier transactions of this session have not reported yet: before and after
            long[] before = runTableCounters(c);
            try (var ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                ps.execute();
            }
            long[] after = runTableCounters(c);
            c.commit();
            StringBuilder out = new StringBuilder();
            for (int t = 0; t < tables.length; t++) {
                out.append(t == 0 ? "" : ", ").append(tables[t]);
                for (int k = 0; k < 3; k++) {
                    out.append(' ').append(after[t * 3 + k] - before[t * 3 + k]);
                }
            }
            return out.toString();
        }
    }

    private static long[] runTableCounters(Connection c) throws SQLException {
        long[] w = new long[9];
        try (var st = c.createStatement(); var rs = st.executeQuery("select s.n_tup_upd, s.n_tup_del, s.n_tup_ins"
                + " from unnest(array['step_tasks', 'step_states', 'runs']) with ordinality as t(name, n)"
                + " left join pg_stat_xact_user_tables s on s.schemaname = 'pgflow' and s.relname = t.name order by t.n")) {
            for (int row = 0; rs.next(); row++) {
                for (int k = 0; k < 3; k++) {
                    w[row * 3 + k] = rs.getLong(k + 1);
                }
            }
        }
        return w;
    }

    /** The server-side message of an error. */
    protected static String message(SQLException e) {
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        return server != null ? server.getMessage() : e.getMessage();
    }

    /** The SQLSTATE of an error. */
    protected static String sqlState(SQLException e) {
        return e.getSQLState();
    }

    /** The constraint an error names (our functions set it like PostgreSQL's own checks). */
    protected static String constraint(SQLException e) {
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        return server != null ? server.getConstraint() : null;
    }
}
