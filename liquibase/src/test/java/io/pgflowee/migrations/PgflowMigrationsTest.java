package io.pgflowee.migrations;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.PgflowDatabaseExtension;

@ExtendWith(PgflowDatabaseExtension.class)
class PgflowMigrationsTest {

    @Test
    void appliesTheMasterChangelogOnceAndRecordsStableFileNames(DataSource db) throws Exception {
        try (Connection c = db.getConnection()) {
            int before = count(c, "select count(*) from public.databasechangelog");

            PgflowMigrations.apply(c); // second application: nothing new to run
            assertThat(c.getAutoCommit()).as("the connection comes back as it was given").isTrue();

            assertThat(count(c, "select count(*) from public.databasechangelog")).isEqualTo(before);
            assertThat(count(c, "select count(*) from pg_namespace where nspname = 'pgflow'")).isEqualTo(1);
            try (var st = c.createStatement();
                 ResultSet rs = st.executeQuery("select filename from public.databasechangelog"
                         + " where id = '001-schema'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("pgflow/db/core/001-schema.sql");
            }
            // the queue's autovacuum settings (090-table-settings.sql)
            try (var st = c.createStatement();
                 ResultSet rs = st.executeQuery("select c.relname, array_to_string(c.reloptions, ' ') from pg_class c"
                         + " where c.relnamespace = 'pgflow'::regnamespace and c.relname in ('step_tasks', 'step_states', 'runs')"
                         + " order by 1")) {
                List<String> options = new java.util.ArrayList<>();
                while (rs.next()) {
                    options.add(rs.getString(1) + ": " + rs.getString(2));
                }
                assertThat(options).containsExactly(
                        "runs: autovacuum_vacuum_scale_factor=0.05 autovacuum_analyze_scale_factor=0.05 autovacuum_vacuum_cost_limit=1000",
                        "step_states: autovacuum_vacuum_scale_factor=0.05 autovacuum_analyze_scale_factor=0.05 autovacuum_vacuum_cost_limit=1000",
                        "step_tasks: autovacuum_vacuum_scale_factor=0.01 autovacuum_vacuum_threshold=5000"
                                + " autovacuum_vacuum_insert_scale_factor=0.05 autovacuum_analyze_scale_factor=0.02"
                                + " autovacuum_vacuum_cost_limit=1000 vacuum_index_cleanup=on");
            }
        }
    }

    @Test
    void aFlowThatChangedAfterItWasAppliedIsSkippedAndReportedWhileTheCoreAndEveryOtherFlowAreApplied(DataSource db) throws Exception {
        try (Connection c = db.getConnection(); var st = c.createStatement()) {
            String rows = "select count(*) || ' ' || count(distinct (id, author, filename)) from public.databasechangelog";
            String before;
            try (ResultSet rs = st.executeQuery(rows)) {
                rs.next();
                before = rs.getString(1);
            }
            assertThat(PgflowMigrations.applyEachFlowOnItsOwn(c, true)).as("nothing wrong").isEmpty();
            try (ResultSet rs = st.executeQuery(rows)) {
                rs.next();
                assertThat(rs.getString(1)).as("the same changesets, recorded under the same file names").isEqualTo(before);
            }

            // greet_user differs in the database (one step instead of two); cart_invoice was deleted
            try {
                changeFlowsAndApply(st, c);
            } finally {
                st.execute("select pgflow.delete_flow_and_data('greet_user')"); // the class's other tests expect the compiled flows
                PgflowMigrations.applyEachFlowOnItsOwn(c, true);
            }
        }
    }

    private static void changeFlowsAndApply(java.sql.Statement st, Connection c) throws Exception {
        {
            st.execute("select pgflow.delete_flow_and_data('greet_user')");
            st.execute("select pgflow.create_flow('greet_user')");
            st.execute("select pgflow.add_step('greet_user', 'full_name')");
            st.execute("select pgflow.delete_flow_and_data('cart_invoice')");

            List<PgflowMigrations.FlowProblem> problems = PgflowMigrations.applyEachFlowOnItsOwn(c, true);

            assertThat(problems).extracting(PgflowMigrations.FlowProblem::changelog).containsExactly("pgflow/db/flows/greet_user.sql");
            assertThat(problems.get(0).message()).startsWith("ERROR: Flow 'greet_user' changed after it was applied: its compiled"
                    + " changelog no longer matches the flow in the database (first = compiled, second = database): Step count differs: 2 vs 1");
            try (ResultSet rs = st.executeQuery("select string_agg(flow_slug || ':' || (select count(*) from pgflow.steps s"
                    + " where s.flow_slug = f.flow_slug), ' ' order by flow_slug) from pgflow.flows f"
                    + " where flow_slug in ('cart_invoice', 'greet_many', 'greet_user')")) {
                rs.next();
                assertThat(rs.getString(1)).as("cart_invoice applied again, greet_user left as it is")
                        .isEqualTo("cart_invoice:4 greet_many:2 greet_user:1");
            }

            // the database fixed: the flow is applied
            st.execute("select pgflow.delete_flow_and_data('greet_user')");
            assertThat(PgflowMigrations.applyEachFlowOnItsOwn(c, true)).isEmpty();
            try (ResultSet rs = st.executeQuery("select count(*) from pgflow.steps where flow_slug = 'greet_user'")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
        }
    }

    @Test
    void severalServersMigratingAnEmptyDatabaseAtOnceAllSucceedAndApplyEachChangesetOnce() throws Exception {
        String name = "pgflow_concurrent_" + System.nanoTime();
        try (Connection admin = PgflowDatabaseExtension.adminConnection(); var st = admin.createStatement()) {
            st.execute("create database " + name);
        }
        String url = PgflowDatabaseExtension.jdbcUrl(name);
        assertThat(url).contains("/" + name + "?");
        java.util.concurrent.ExecutorService servers = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(servers.submit(() -> {
                    try (Connection c = java.sql.DriverManager.getConnection(url)) {
                        go.await();
                        PgflowMigrations.apply(c);
                        return "applied";
                    }
                }));
            }
            go.countDown();
            for (java.util.concurrent.Future<String> result : results) {
                assertThat(result.get(600, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("applied");
            }
            try (Connection c = java.sql.DriverManager.getConnection(url)) {
                assertThat(count(c, "select count(*) from public.databasechangelog"))
                        .isEqualTo(count(c, "select count(distinct (id, author, filename)) from public.databasechangelog"))
                        .isGreaterThan(20);
                assertThat(count(c, "select count(*) from information_schema.tables where table_schema = 'pgflow'")).isEqualTo(7);
                assertThat(count(c, "select count(*) from pg_locks where locktype = 'advisory'"
                        + " and database = (select oid from pg_database where datname = current_database())")).as("the lock is released").isZero();
            }
        } finally {
            servers.shutdownNow();
            try (Connection admin = PgflowDatabaseExtension.adminConnection(); var st = admin.createStatement()) {
                st.execute("drop database if exists " + name + " with (force)");
            }
        }
    }

    private static int count(Connection c, String sql) throws Exception {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
