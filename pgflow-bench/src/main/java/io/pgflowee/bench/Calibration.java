package io.pgflowee.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

/**
 * The machine's yardstick, printed first by every benchmark: single-row UPDATE commits per second
 * with {@code clients} JDBC clients (autocommit, synchronous_commit on). On a quiet day this machine
 * type does about 11,000 with 4 clients; read every other figure against it.
 */
final class Calibration {

    private Calibration() {
    }

    static void print(DataSource ds, int clients, int seconds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table if not exists bench_calibration (id int primary key, n bigint not null)");
            st.execute("insert into bench_calibration select g, 0 from generate_series(1, " + clients + ") g on conflict do nothing");
        }
        AtomicLong commits = new AtomicLong();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int i = 1; i <= clients; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try (Connection c = ds.getConnection();
                     PreparedStatement up = c.prepareStatement("update bench_calibration set n = n + 1 where id = ?")) {
                    up.setInt(1, id);
                    while (System.nanoTime() < deadline) {
                        up.executeUpdate();
                        commits.incrementAndGet();
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        System.out.printf("calibration: %.0f single-row UPDATE commits/s with %d clients (a quiet day on this machine type: ~11,000)%n",
                commits.get() / (double) seconds, clients);
    }
}
