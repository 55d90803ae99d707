package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import javax.sql.DataSource;

/** One benchmark worker of the SQL core: a registered worker that claims and completes over JDBC, as FlowWorker does. */
final class CoreWorker {

    private CoreWorker() {
    }

    /**
     * Claims up to {@code batch} tasks of the flow, "runs" them ({@link #handler}) and completes them
     * (one complete_tasks call per claimed batch, or one complete_task per task), until {@code done};
     * counts completed tasks and database round trips.
     */
    static void run(DataSource ds, String flow, int batch, boolean batchCompletion, BooleanSupplier done, AtomicLong completed,
                    AtomicLong roundTrips) {
        run(ds, flow, batch, batchCompletion, false, done, completed, roundTrips);
    }

    /**
     * As above; with {@code claimWithCompletion} each batch's completion also claims the next batch
     * ({@code complete_tasks_and_claim}), and {@code claim_tasks} is called only when that found nothing.
     */
    static void run(DataSource ds, String flow, int batch, boolean batchCompletion, boolean claimWithCompletion, BooleanSupplier done,
                    AtomicLong completed, AtomicLong roundTrips) {
        UUID me = UUID.randomUUID();
        try (Connection c = ds.getConnection();
             PreparedStatement claim = c.prepareStatement(
                     "select run_id, step_slug, task_index, input from pgflow.claim_tasks(?, ?, ?)");
             PreparedStatement completeOne = c.prepareStatement("select 1 from pgflow.complete_task(?, ?, ?, ?::jsonb)");
             PreparedStatement completeMany = c.prepareStatement(
                     "select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::jsonb[])");
             PreparedStatement completeAndClaim = c.prepareStatement("select run_id, step_slug, task_index, input"
                     + " from pgflow.complete_tasks_and_claim(?, ?, ?::uuid[], ?::text[], ?::int[], ?::jsonb[])")) {
            exec(c, "select pgflow.register_worker('" + me + "', '" + flow + "', 'bench')");
            claim.setString(1, flow);
            claim.setObject(2, me);
            claim.setInt(3, batch);
            completeAndClaim.setObject(1, me);
            completeAndClaim.setInt(2, batch);
            List<Object[]> next = new ArrayList<>();
            while (!done.getAsBoolean()) {
                List<Object[]> tasks = next;
                next = new ArrayList<>();
                if (tasks.isEmpty()) {
                    rows(claim, tasks);
                    roundTrips.incrementAndGet();
                }
                if (tasks.isEmpty()) {
                    Thread.sleep(1);
                    continue;
                }
                if (batchCompletion) {
                    Object[] ids = new Object[tasks.size()];
                    String[] steps = new String[tasks.size()];
                    Integer[] indexes = new Integer[tasks.size()];
                    String[] outputs = new String[tasks.size()];
                    for (int i = 0; i < tasks.size(); i++) {
                        Object[] t = tasks.get(i);
                        ids[i] = t[0];
                        steps[i] = (String) t[1];
                        indexes[i] = (Integer) t[2];
                        outputs[i] = handler((String) t[1], (String) t[3]);
                    }
                    if (claimWithCompletion) {
                        setBatch(c, completeAndClaim, 3, ids, steps, indexes, outputs);
                        rows(completeAndClaim, next);
                    } else {
                        setBatch(c, completeMany, 1, ids, steps, indexes, outputs);
                        try (ResultSet rs = completeMany.executeQuery()) {
                            rs.next();
                        }
                    }
                    roundTrips.incrementAndGet();
                } else {
                    for (Object[] t : tasks) {
                        completeOne.setObject(1, t[0]);
                        completeOne.setString(2, (String) t[1]);
                        completeOne.setInt(3, (Integer) t[2]);
                        completeOne.setString(4, handler((String) t[1], (String) t[3]));
                        try (ResultSet rs = completeOne.executeQuery()) {
                            rs.next();
                        }
                        roundTrips.incrementAndGet();
                    }
                }
                completed.addAndGet(tasks.size());
            }
            exec(c, "select pgflow.mark_worker_stopped('" + me + "')");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A batch's run ids, step slugs, task indexes and outputs as four array parameters from {@code first} on. */
    private static void setBatch(Connection c, PreparedStatement call, int first, Object[] ids, String[] steps, Integer[] indexes,
                                 String[] outputs) throws SQLException {
        call.setArray(first, c.createArrayOf("uuid", ids));
        call.setArray(first + 1, c.createArrayOf("text", steps));
        call.setArray(first + 2, c.createArrayOf("int4", indexes));
        call.setArray(first + 3, c.createArrayOf("jsonb", outputs));
    }

    /** The claimed tasks a call returned (run_id, step_slug, task_index, input). */
    private static void rows(PreparedStatement call, List<Object[]> into) throws SQLException {
        try (ResultSet rs = call.executeQuery()) {
            while (rs.next()) {
                into.add(new Object[] {rs.getObject(1), rs.getString(2), rs.getInt(3), rs.getString(4)});
            }
        }
    }

    /** The benchmark's "handlers": the root of the fan-out returns 50 items, everything else a small object. */
    static String handler(String step, String input) {
        if (step.equals("root")) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < 50; i++) {
                sb.append(i == 0 ? "" : ",").append(i);
            }
            return sb.append(']').toString();
        }
        return "{\"ok\": true}";
    }


    static void exec(Connection c, String... sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
