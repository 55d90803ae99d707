package io.pgflowee.engine.worker;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

/**
 * Every SQL call of one worker: registration, claims, batched and single reports, the check for
 * cancelled runs, heartbeats and the stop mark. One connection from the pool per call, returned at
 * once; no state beyond the worker's identity.
 */
final class TaskQueue implements ReportBatcher.Reports {

    private volatile DataSource dataSource;
    private final String flowSlug;
    private final UUID workerId;
    /** Whether one claim can hold many tasks of one run (the flow has map steps): then a run's input comes once. */
    private final boolean wide;

    TaskQueue(DataSource dataSource, String flowSlug, UUID workerId) {
        this(dataSource, flowSlug, workerId, true);
    }

    TaskQueue(DataSource dataSource, String flowSlug, UUID workerId, boolean wide) {
        this.dataSource = dataSource;
        this.flowSlug = flowSlug;
        this.workerId = workerId;
        this.wide = wide;
    }

    void register(String functionName) throws SQLException {
        call("select pgflow.register_worker(?, ?, ?)", workerId, flowSlug, functionName);
    }

    /** {@code claim_tasks} for up to {@code max} tasks. */
    List<Task> claim(int max) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(claimQuery("pgflow.claim_tasks(?, ?, ?)"))) {
            ps.setString(1, flowSlug);
            ps.setObject(2, workerId);
            ps.setInt(3, max);
            return tasks(ps);
        }
    }

    /**
     * What {@link #tasks} reads of the tasks a claim function ({@code from}) returns, in their order. The
     * run input comes once per run of the claim (on its first task; the others' is null and {@link #tasks}
     * hands them the same text): a wide map's tasks all carry their run's input, which can be the whole
     * array, and its text conversion and transfer per task cost as much as the rest of the claim
     * (measured 2026-12-03: 26 ms against 3 ms for 50 tasks of a 1,000-element run input).
     */
    private String claimQuery(String from) {
        if (!wide) { // a claim holds a task or two of each run: the plain select costs less (0.07 ms per claim of 10, measured)
            return "select run_id, step_slug, task_index, input::text, flow_input::text, attempts_count, timeout_seconds from " + from;
        }
        return "select run_id, step_slug, task_index, input::text, case when first then flow_input::text end, attempts_count,"
                + " timeout_seconds from (select c.*, row_number() over (partition by c.run_id order by c.ord) = 1 as first"
                + " from " + from + " with ordinality as c(flow_slug, run_id, step_slug, task_index, input, flow_input, attempts_count,"
                + " timeout_seconds, ord)) x order by x.ord";
    }

    private static List<Task> tasks(PreparedStatement claim) throws SQLException {
        List<Task> tasks = new ArrayList<>();
        java.util.Map<UUID, String> runInputs = new java.util.HashMap<>();
        try (ResultSet rs = claim.executeQuery()) {
            while (rs.next()) {
                UUID run = rs.getObject(1, UUID.class);
                String flowInput = rs.getString(5);
                if (flowInput != null) {
                    runInputs.put(run, flowInput);
                } else {
                    flowInput = runInputs.get(run);
                }
                tasks.add(new Task(run, rs.getString(2), rs.getInt(3), rs.getString(4), flowInput, rs.getInt(6), rs.getInt(7)));
            }
        }
        return tasks;
    }

    /** One {@code complete_tasks} call, or with {@code claim} > 0 one {@code complete_tasks_and_claim} call. */
    @Override
    public List<Task> completeAll(List<ReportBatcher.Report> completions, int claim) throws SQLException {
        if (claim <= 0) {
            batch("select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])", completions,
                    ReportBatcher.Report::output);
            return List.of();
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     claimQuery("pgflow.complete_tasks_and_claim(?, ?, ?::uuid[], ?::text[], ?::int[], ?::text[]::jsonb[])"))) {
            ps.setObject(1, workerId);
            ps.setInt(2, claim);
            setReports(c, ps, 3, completions, ReportBatcher.Report::output);
            return tasks(ps);
        }
    }

    /** One {@code fail_tasks} call. */
    @Override
    public void failAll(List<ReportBatcher.Report> failures) throws SQLException {
        batch("select count(*) from pgflow.fail_tasks(?::uuid[], ?::text[], ?::int[], ?::text[])", failures, ReportBatcher.Report::error);
    }

    /** {@code snooze_task}: the task back to the queue until {@code wakeAt}, the attempt not counted. */
    void snooze(Task t, java.time.Instant wakeAt) throws SQLException {
        call("select pgflow.snooze_task(?, ?, ?, ?)", t.runId(), t.stepSlug(), t.taskIndex(), java.sql.Timestamp.from(wakeAt));
    }

    /** {@code complete_task} or {@code fail_task}. */
    @Override
    public void reportOne(ReportBatcher.Report r) throws SQLException {
        Task t = r.task();
        if (r.failure()) {
            call("select pgflow.fail_task(?, ?, ?, ?)", t.runId(), t.stepSlug(), t.taskIndex(), r.error());
        } else {
            call("select pgflow.complete_task(?, ?, ?, ?::jsonb)", t.runId(), t.stepSlug(), t.taskIndex(), r.output());
        }
    }

    private void batch(String sql, List<ReportBatcher.Report> reports, java.util.function.Function<ReportBatcher.Report, String> value)
            throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            setReports(c, ps, 1, reports, value);
            ps.executeQuery().close();
        }
    }

    /** The reports' run ids, step slugs, task indexes and values as four array parameters from {@code first} on. */
    private static void setReports(Connection c, PreparedStatement ps, int first, List<ReportBatcher.Report> reports,
                                   java.util.function.Function<ReportBatcher.Report, String> value) throws SQLException {
        ps.setArray(first, c.createArrayOf("uuid", reports.stream().map(r -> r.task().runId()).toArray()));
        ps.setArray(first + 1, c.createArrayOf("text", reports.stream().map(r -> r.task().stepSlug()).toArray()));
        ps.setArray(first + 2, c.createArrayOf("int4", reports.stream().map(r -> r.task().taskIndex()).toArray()));
        ps.setArray(first + 3, c.createArrayOf("text", reports.stream().map(value).toArray()));
    }

    /** The tasks among {@code tasks} whose run was cancelled ({@code cancel_run} marks them cancelled). */
    List<Task> cancelledAmong(List<Task> tasks) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select t.run_id, t.step_slug, t.task_index from pgflow.step_tasks t"
                     + " join unnest(?::uuid[], ?::text[], ?::int[]) as mine(run_id, step_slug, task_index)"
                     + " on t.run_id = mine.run_id and t.step_slug = mine.step_slug and t.task_index = mine.task_index"
                     + " where t.status = 'cancelled'")) {
            ps.setArray(1, c.createArrayOf("uuid", tasks.stream().map(Task::runId).toArray()));
            ps.setArray(2, c.createArrayOf("text", tasks.stream().map(Task::stepSlug).toArray()));
            ps.setArray(3, c.createArrayOf("int4", tasks.stream().map(Task::taskIndex).toArray()));
            List<Task> cancelled = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID runId = rs.getObject(1, UUID.class);
                    String stepSlug = rs.getString(2);
                    int taskIndex = rs.getInt(3);
                    tasks.stream().filter(t -> t.runId().equals(runId) && t.stepSlug().equals(stepSlug) && t.taskIndex() == taskIndex)
                            .forEach(cancelled::add);
                }
            }
            return cancelled;
        }
    }

    /** {@code heartbeat}: false when the worker was marked stopped or deprecated. */
    boolean heartbeat() throws SQLException {
        return workerFunction("select pgflow.heartbeat(?)", Boolean.class);
    }

    /**
     * From now on every call goes through {@code direct} (a stopping server: the container's pool is
     * being torn down while the last reports and the hand-back still have to reach the database).
     */
    void useConnectionsOf(DataSource direct) {
        this.dataSource = direct;
    }

    void markStopped() throws SQLException {
        call("select pgflow.mark_worker_stopped(?)", workerId);
    }

    /**
     * {@code claim_ready_at}: when a claim of the flow can next get a task its rate limit holds
     * back, or null (no rate limit holds anything back now).
     */
    java.time.Instant claimReadyAt() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("select pgflow.claim_ready_at(?)")) {
            ps.setString(1, flowSlug);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                java.time.OffsetDateTime at = rs.getObject(1, java.time.OffsetDateTime.class);
                return at == null ? null : at.toInstant();
            }
        }
    }

    /** {@code release_tasks}: hands back every task this worker still holds (claimable at once, the attempt not counted). */
    int release() throws SQLException {
        return workerFunction("select pgflow.release_tasks(?)", Integer.class);
    }

    /** The one value of a function of this worker ({@code select pgflow.f(worker_id)}). */
    private <T> T workerFunction(String sql, Class<T> type) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, workerId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, type);
            }
        }
    }

    private void call(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.execute();
        }
    }
}
