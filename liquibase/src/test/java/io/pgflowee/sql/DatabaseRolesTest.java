package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;

/**
 * Least privilege in the database (095-roles.sql): a login role that is a member of
 * {@code pgflow_worker}, {@code pgflow_operator} or {@code pgflow_reader} can do its job through the
 * engine's functions, and the database refuses everything else (SQLSTATE 42501 with PostgreSQL's
 * message naming the object); a role with none of them cannot even see the schema.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class DatabaseRolesTest {

    private static final String FLOW = "roles_flow";
    private static final List<String> LOGINS = List.of("it_worker", "it_operator", "it_reader", "it_nobody");

    @BeforeAll
    static void loginRoles() throws SQLException {
        Db db = new Db(PgflowDatabaseExtension.dataSource());
        for (String login : LOGINS) {
            db.exec("DROP ROLE IF EXISTS " + login);
        }
        db.exec("CREATE ROLE it_worker LOGIN PASSWORD 'w' IN ROLE pgflow_worker");
        db.exec("CREATE ROLE it_operator LOGIN PASSWORD 'o' IN ROLE pgflow_operator");
        db.exec("CREATE ROLE it_reader LOGIN PASSWORD 'r' IN ROLE pgflow_reader");
        db.exec("CREATE ROLE it_nobody LOGIN PASSWORD 'n'");
        db.exec("SELECT pgflow.delete_flow_and_data(?)", FLOW);
        db.exec("SELECT pgflow.create_flow(?, max_attempts => 1)", FLOW);
        db.exec("SELECT pgflow.add_step(?, 'only')", FLOW);
    }

    @AfterAll
    static void dropLoginRoles() {
        Db db = new Db(PgflowDatabaseExtension.dataSource());
        db.exec("SELECT pgflow.delete_flow_and_data(?)", FLOW);
        for (String login : LOGINS) {
            db.exec("DROP ROLE IF EXISTS " + login);
        }
    }

    private static Connection as(String login) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", login);
        props.setProperty("password", login.substring(3, 4));
        String url = PgflowDatabaseExtension.jdbcUrl();
        return DriverManager.getConnection(url.replaceAll("[?&](user|password)=[^&]*", ""), props);
    }

    private static List<String> column(Connection c, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    private static void refused(Connection c, String sql, String message) {
        assertThatThrownBy(() -> column(c, sql)).as(sql).isInstanceOf(SQLException.class)
                .hasMessageStartingWith("ERROR: " + message)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
    }

    @Test
    void anOperatorStartsCancelsRetriesAndPausesButRunsNoTaskAndDeletesNothing(DataSource ds) throws SQLException {
        try (Connection c = as("it_operator")) {
            String runId = column(c, "SELECT run_id FROM pgflow.start_flow('" + FLOW + "', '{\"n\": 1}')").get(0);
            assertThat(column(c, "SELECT status FROM pgflow.runs WHERE run_id = '" + runId + "'")).containsExactly("started");
            assertThat(column(c, "SELECT (pgflow.cancel_run('" + runId + "', 'by the operator')).status")).containsExactly("cancelled");
            assertThat(column(c, "SELECT (pgflow.pause_flow('" + FLOW + "')).paused_at IS NOT NULL")).containsExactly("t");
            assertThat(column(c, "SELECT (pgflow.resume_flow('" + FLOW + "')).paused_at IS NULL")).containsExactly("t");
            assertThat(column(c, "SELECT (pgflow.set_flow_concurrency('" + FLOW + "', 3)).max_running")).containsExactly("3");
            assertThat(column(c, "SELECT count(*) FROM pgflow.start_flows('" + FLOW + "', ARRAY['{}'::jsonb, '{}'::jsonb])"))
                    .containsExactly("2");
            // the trace context of a run it started (tracing on)
            assertThat(column(c, "SELECT pgflow.set_run_trace(ARRAY['" + runId + "'::uuid],"
                    + " '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')")).containsExactly("1");

            refused(c, "SELECT * FROM pgflow.claim_tasks('" + FLOW + "', gen_random_uuid(), 1)",
                    "permission denied for function claim_tasks");
            refused(c, "SELECT pgflow.delete_flow_and_data('" + FLOW + "')", "permission denied for function delete_flow_and_data");
            refused(c, "SELECT pgflow.create_flow('operator_made')", "permission denied for function create_flow");
            refused(c, "SELECT pgflow.prune_data_older_than('0 days')", "permission denied for function prune_data_older_than");
            refused(c, "UPDATE pgflow.runs SET status = 'completed' RETURNING run_id", "permission denied for table runs");
            refused(c, "DELETE FROM pgflow.step_tasks RETURNING run_id", "permission denied for table step_tasks");
            // the bulk operations' bookkeeping is the operator's; deleting it is not
            assertThat(column(c, "SELECT count(*) FROM pgflow_internal.job_executions WHERE false")).containsExactly("0");
            refused(c, "DELETE FROM pgflow_internal.job_items RETURNING 1", "permission denied for table job_items");
            // a job's total, counted by its reader when it starts (109-job-totals)
            assertThat(column(c, "INSERT INTO pgflow_internal.job_totals (instance_key, total) VALUES ('roles-test', 3) RETURNING total"))
                    .containsExactly("3");
            refused(c, "DELETE FROM pgflow_internal.job_totals RETURNING 1", "permission denied for table job_totals");
        }
        assertThat(new Db(ds).<Long>one("SELECT count(*) FROM pgflow.flows WHERE flow_slug = 'operator_made'")).isZero();
        new Db(ds).exec("SELECT pgflow.set_flow_concurrency(?, NULL)", FLOW);
    }

    @Test
    void aWorkerClaimsCompletesAndFailsButStartsNothingAndCannotTouchTheTables(DataSource ds) throws SQLException {
        Db owner = new Db(ds);
        UUID first = owner.one("SELECT run_id FROM pgflow.start_flow(?, '{\"n\": 2}')", FLOW);
        UUID second = owner.one("SELECT run_id FROM pgflow.start_flow(?, '{\"n\": 3}')", FLOW);
        String worker = UUID.randomUUID().toString();
        try (Connection c = as("it_worker")) {
            // a temporary table named like an engine table does not stand in for it (search_path is fixed)
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE step_tasks (run_id uuid, step_slug text, task_index int)");
            }
            column(c, "SELECT pgflow.register_worker('" + worker + "', '" + FLOW + "', 'roles-test')");
            assertThat(column(c, "SELECT pgflow.heartbeat('" + worker + "')")).containsExactly("t");
            // the trace context of the runs of its tasks (its task spans), its attempts' contexts, the run spans
            assertThat(column(c, "SELECT count(*) FROM pgflow.run_traceparents(ARRAY['" + first + "'::uuid])")).containsExactly("0");
            assertThat(column(c, "SELECT count(*) FROM pgflow.task_trace('" + first + "', 'only', 0, 2) WHERE traceparent IS NULL"))
                    .containsExactly("1");
            assertThat(column(c, "SELECT pgflow.set_task_trace('" + first + "', 'only', 0, 1,"
                    + " '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')")).containsExactly("t");
            assertThat(column(c, "SELECT count(*) FROM pgflow.end_run_traces(10)")).containsExactly("0");
            assertThat(column(c, "SELECT count(*) FROM pgflow.adopt_run_trace('" + second + "',"
                    + " '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')")).containsExactly("1");
            List<String> claimed = column(c, "SELECT run_id FROM pgflow.claim_tasks('" + FLOW + "', '" + worker + "', 10) ORDER BY run_id");
            assertThat(claimed).contains(first.toString(), second.toString());
            column(c, "SELECT count(*) FROM pgflow.complete_task('" + first + "', 'only', 0, '\"done\"')");
            column(c, "SELECT count(*) FROM pgflow.fail_task('" + second + "', 'only', 0, 'broken')");
            // it reads the engine's state (the cancellation check reads runs and step_tasks)
            assertThat(column(c, "SELECT status FROM pgflow.runs WHERE run_id = '" + first + "'")).containsExactly("completed");
            // every server's scheduler applies the signal deadlines
            assertThat(column(c, "SELECT pgflow.tick() ->> 'waits_expired'")).containsExactly("0");
            column(c, "SELECT pgflow.mark_worker_stopped('" + worker + "')");

            refused(c, "SELECT * FROM pgflow.start_flow('" + FLOW + "', '{}')", "permission denied for function start_flow");
            refused(c, "SELECT pgflow.delete_flow_and_data('" + FLOW + "')", "permission denied for function delete_flow_and_data");
            refused(c, "SELECT pgflow.cancel_run('" + first + "')", "permission denied for function cancel_run");
            refused(c, "DELETE FROM pgflow.runs RETURNING run_id", "permission denied for table runs");
            refused(c, "UPDATE pgflow.step_tasks SET status = 'queued' RETURNING run_id", "permission denied for table step_tasks");
            refused(c, "SELECT pgflow._fail_run('" + first + "', false)", "permission denied for function _fail_run");
        }
        assertThat(owner.<String>one("SELECT status FROM pgflow.runs WHERE run_id = ?", first)).isEqualTo("completed");
        assertThat(owner.<String>one("SELECT status FROM pgflow.runs WHERE run_id = ?", second)).isEqualTo("failed");
        assertThat(owner.<String>one("SELECT error_message FROM pgflow.step_tasks WHERE run_id = ?", second)).isEqualTo("broken");
        assertThat(owner.<String>one("SELECT function_name FROM pgflow.workers WHERE worker_id = ?::uuid", worker)).isEqualTo("roles-test");
    }

    @Test
    void aReaderReadsAndFollowsRunsOnlyAndARoleWithoutGrantsSeesNothing(DataSource ds) throws SQLException {
        UUID run = new Db(ds).one("SELECT run_id FROM pgflow.start_flow(?, '{\"n\": 4}')", FLOW);
        try (Connection c = as("it_reader")) {
            assertThat(column(c, "SELECT status FROM pgflow.runs WHERE run_id = '" + run + "'")).containsExactly("started");
            assertThat(column(c, "SELECT pgflow.get_run_with_states('" + run + "') -> 'run' ->> 'status'")).containsExactly("started");
            assertThat(column(c, "SELECT pgflow.subscribe_events(gen_random_uuid(), '" + run + "') > now()")).containsExactly("t");
            // the step durations of the console and the API (as the caller: it reads what a reader may read)
            assertThat(column(c, "SELECT count(*) FROM pgflow.step_durations('" + FLOW + "')")).isNotEmpty();
            // the servers' startup check of a flow, read-only (it uses internal helpers, as the owner)
            assertThat(column(c, "SELECT cardinality(pgflow.compare_flow_shapes(pgflow.get_flow_shape('" + FLOW + "'),"
                    + " pgflow.get_flow_shape('" + FLOW + "')))")).containsExactly("0");
            refused(c, "SELECT * FROM pgflow.start_flow('" + FLOW + "', '{}')", "permission denied for function start_flow");
            refused(c, "SELECT * FROM pgflow.claim_tasks('" + FLOW + "', gen_random_uuid(), 1)", "permission denied for function claim_tasks");
            // the read model's internal tables (the run page's attempts)
            assertThat(column(c, "SELECT count(*) FROM pgflow_internal.task_attempts WHERE run_id = '" + run + "'")).containsExactly("0");
            // who retried a run (the run page), a job's total (the jobs page): tables added after the roles
            assertThat(column(c, "SELECT count(*) FROM pgflow_internal.run_retries WHERE run_id = '" + run + "'")).containsExactly("0");
            assertThat(column(c, "SELECT count(*) FROM pgflow_internal.job_totals WHERE false")).containsExactly("0");
            refused(c, "INSERT INTO pgflow_internal.run_retries VALUES ('" + run + "', 1, now(), 'me')", "permission denied for table run_retries");
            // a run's trace context (tracing): readers read it, only operators record it
            assertThat(column(c, "SELECT count(*) FROM pgflow.run_traceparents(ARRAY['" + run + "'::uuid])")).containsExactly("0");
            assertThat(column(c, "SELECT count(*) FROM pgflow_internal.run_traces WHERE false")).containsExactly("0");
            refused(c, "SELECT pgflow.set_run_trace(ARRAY['" + run + "'::uuid], '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')",
                    "permission denied for function set_run_trace");
            assertThat(column(c, "SELECT count(*) FROM pgflow_internal.task_traces WHERE false")).containsExactly("0");
            refused(c, "SELECT count(*) FROM pgflow.end_run_traces(10)", "permission denied for function end_run_traces");
            refused(c, "SELECT pgflow.set_task_trace('" + run + "', 'only', 0, 1, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')",
                    "permission denied for function set_task_trace");
            refused(c, "UPDATE pgflow.runs SET status = 'failed' RETURNING run_id", "permission denied for table runs");
            refused(c, "DELETE FROM pgflow_internal.task_attempts RETURNING 1", "permission denied for table task_attempts");
        }
        try (Connection c = as("it_nobody")) {
            refused(c, "SELECT count(*) FROM pgflow.runs", "permission denied for schema pgflow");
            refused(c, "SELECT * FROM pgflow.start_flow('" + FLOW + "', '{}')", "permission denied for schema pgflow");
        }
    }

    @Test
    void theFunctionsThatActForTheRolesRunAsTheOwnerWithAFixedSearchPathAndNothingIsPublic(DataSource ds) {
        Db db = new Db(ds);
        List<java.util.Map<String, Object>> definers = db.rows("SELECT p.proname, array_to_string(p.proconfig, ',') AS config"
                + " FROM pg_proc p WHERE p.pronamespace = 'pgflow'::regnamespace AND p.prosecdef ORDER BY 1");
        assertThat(definers).extracting(r -> r.get("proname")).containsExactlyInAnyOrder("cancel_run", "claim_tasks",
                "compare_flow_shapes", "get_flow_shape", "get_run_with_states", "complete_task", "complete_tasks", "complete_tasks_and_claim", "fail_task", "fail_tasks", "heartbeat", "mark_worker_stopped", "pause_flow", "prune_data_older_than",
                "register_worker", "release_tasks", "restart_run", "send_signal", "send_signal_by_key", "snooze_task", "resume_flow", "retry_run", "set_flow_concurrency", "start_flow", "start_flow_with_states",
                "send_signals", "start_flows", "subscribe_events", "tick", "unsubscribe_events", "claim_ready_at", "set_key_concurrency",
                "set_rate_limit", "set_run_priority", "create_schedule", "update_schedule", "pause_schedule", "resume_schedule", "apply_flow_schedules", "schedule_firings",
                "delete_schedule", "trigger_schedule", "backfill_schedule", "set_run_trace", "run_traceparents",
                "set_task_trace", "task_trace", "end_run_traces", "adopt_run_trace",
                "create_run_partitions", "drop_run_partitions", "set_run_partitioning", "run_partitions");
        assertThat(definers).allSatisfy(r -> assertThat((String) r.get("config")).contains("search_path=pg_catalog, pgflow, pg_temp"));
        assertThat(db.<Long>one("SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'pgflow'::regnamespace"
                + " AND has_function_privilege('public', p.oid, 'EXECUTE')")).isZero();
    }
}
