package io.pgflowee.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * pgflow-backfill's throughput on a running server: writes a CSV of {@code items} people (default
 * 100,000), pauses greet_user (so the workers do not run the new runs meanwhile), starts the job
 * with {@code chunkSize} (default 500) over REST and times it from the job's own start and end;
 * then deletes the runs it made and resumes the flow. Prints the database calibration first.
 *
 * <pre>
 * ./mvnw -q -pl pgflow-bench exec:java -Dbench.main=io.pgflowee.bench.BackfillBenchmark \
 *   -Dexec.args="http=http://localhost:8080 url=jdbc:postgresql://localhost:15432/postgres adminPassword=$(cat ~/.pgflow/admin-password)"
 * </pre>
 */
public final class BackfillBenchmark {

    private BackfillBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchOptions.parse(args);
        String http = opts.getOrDefault("http", "http://localhost:8080");
        int items = Integer.parseInt(opts.getOrDefault("items", "100000"));
        int chunk = Integer.parseInt(opts.getOrDefault("chunkSize", "500"));
        String auth = BenchOptions.adminAuthorization(opts);
        PGSimpleDataSource ds = BenchOptions.dataSource(opts);
        Calibration.print(ds, 4, 5);

        Path csv = Files.createTempFile("backfill-bench", ".csv");
        StringBuilder b = new StringBuilder("first_name,last_name\n");
        for (int i = 1; i <= items; i++) {
            b.append("Bench").append(',').append(i).append('\n');
        }
        Files.writeString(csv, b);
        sql(ds, "select pgflow.pause_flow('greet_user')");
        ApiJobs jobs = new ApiJobs(http, auth);
        String[] started = jobs.start("pgflow-backfill", "{\"flow\": \"greet_user\", \"path\": \"" + csv + "\", \"chunkSize\": " + chunk + "}");
        String key = BenchOptions.field(started[0], "instanceKey");
        String body = jobs.awaitEnd(started[1]);
        long ms = ApiJobs.millis(body);
        System.out.printf("# backfill of %,d CSV lines into greet_user (paused), chunk %d, %d cores: %s in %.1f s = %,.0f runs/s (%s)%n",
                items, chunk, Runtime.getRuntime().availableProcessors(), BenchOptions.field(body, "status"), ms / 1000.0, items * 1000.0 / ms,
                BenchOptions.field(body, "data"));
        // leave the database as it was
        String runs = "(select run_id from pgflow.runs where idempotency_key like 'backfill:" + key + ":%')";
        sql(ds, "delete from pgflow.step_tasks where run_id in " + runs);
        sql(ds, "delete from pgflow.step_states where run_id in " + runs);
        sql(ds, "delete from pgflow.runs where run_id in " + runs);
        sql(ds, "select pgflow.resume_flow('greet_user')");
        Files.delete(csv);
        System.exit(0);
    }

    private static void sql(PGSimpleDataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
