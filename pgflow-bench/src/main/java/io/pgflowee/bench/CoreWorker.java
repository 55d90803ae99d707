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
        UUID me = UUID.randomUUID();
        try (Connection c = ds.getConnection();
             PreparedStatement claim = c.prepareStatement(
                     "select run_id, step_slug, task_index, input from pgflow.claim_tasks(?, ?, ?)");
             PreparedStatement completeOne = c.prepareStatement("select 1 from pgflow.complete_task(?, ?, ?, ?::jsonb)");
             PreparedStatement completeMany = c.prepareStatement(
                     "select count(*) from pgflow.complete_tasks(?::uuid[], ?::text[], ?::int[], ?::jsonb[])")) {
            exec(c, "select pgflow.register_worker('" + me + "', '" + flow + "', 'bench')");
            claim.setString(1, flow);
            claim.setObject(2, me);
            claim.setInt(3, batch);
            while (!done.getAsBoolean()) {
                List<Object[]> tasks = new ArrayList<>();
                try (ResultSet rs = claim.executeQuery()) {
                    while (rs.next()) {
                        tasks.add(new Object[] {rs.getObject(1), rs.getString(2), rs.getInt(3), rs.getString(4)});
                    }
                }
                roundTrips.incrementAndGet();
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
                    completeMany.setArray(1, c.createArrayOf("uuid", ids));
                    completeMany.setArray(2, c.createArrayOf("text", steps));
                    completeMany.setArray(3, c.createArrayOf("int4", indexes));
                    completeMany.setArray(4, c.createArrayOf("jsonb", outputs));
                    try (ResultSet rs = completeMany.executeQuery()) {
                        rs.next();
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
