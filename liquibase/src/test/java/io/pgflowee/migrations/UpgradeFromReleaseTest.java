package io.pgflowee.migrations;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import liquibase.Scope;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.parser.ChangeLogParserFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.DirectoryResourceAccessor;
import liquibase.resource.ResourceAccessor;

/**
 * Safe upgrades. Every release's changelogs are kept as they shipped under
 * {@code src/test/resources/releases/<version>/} (see DEVELOPING.md, "Changing the schema"):
 *
 * <ul>
 *   <li>a changeset that shipped is never edited nor removed (Liquibase would refuse every database
 *       that applied it: "checksum changed"); only {@code runOnChange} changesets (functions,
 *       grants: {@code CREATE OR REPLACE}) may change, and they are applied again;</li>
 *   <li>a database made by release 0.1.0's changelogs, with runs in flight in every state a server
 *       can leave them in (queued, started by a worker, failed, a map half done), migrates to the
 *       current changelogs and every run then completes correctly with the current SQL functions.</li>
 * </ul>
 */
@ExtendWith(PgflowDatabaseExtension.class)
class UpgradeFromReleaseTest {

    private static final String RELEASE = "0.1.0";
    private static final String MASTER = PgflowMigrations.MASTER_CHANGELOG;

    @Test
    void noChangesetThatShippedIsEditedOrRemovedExceptThoseThatRunOnChange() throws Exception {
        Map<String, ChangeSet> shipped = changeSets(release(RELEASE));
        Map<String, ChangeSet> current = changeSets(new ClassLoaderResourceAccessor(getClass().getClassLoader()));
        assertThat(shipped).hasSizeGreaterThan(50);
        List<String> problems = new ArrayList<>();
        shipped.forEach((key, old) -> {
            ChangeSet now = current.get(key);
            if (now == null) {
                problems.add(key + ": removed");
            } else if (!old.isRunOnChange() && !old.isAlwaysRun()
                    && !old.generateCheckSum(liquibase.ChecksumVersion.latest()).equals(now.generateCheckSum(liquibase.ChecksumVersion.latest()))) {
                problems.add(key + ": edited after release " + RELEASE + " (add a new changeset instead)");
            }
        });
        assertThat(problems).as("changesets of release " + RELEASE + " changed").isEmpty();
    }

    @Test
    void aReleaseDatabaseWithRunsInFlightMigratesAndEveryRunCompletes() throws Exception {
        String name = "upgrade_from_" + RELEASE.replace('.', '_');
        try (Connection admin = PgflowDatabaseExtension.adminConnection(); Statement st = admin.createStatement()) {
            st.execute("drop database if exists " + name + " with (force)");
            st.execute("create database " + name);
        }
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(PgflowDatabaseExtension.jdbcUrl(name));
        ds.setUser("postgres");
        ds.setPassword("postgres");
        Db db = new Db(ds);

        // 1. release 0.1.0's schema, flows defined and runs left in flight by its servers
        try (Connection c = ds.getConnection()) {
            PgflowMigrations.update(c, false, MASTER, release(RELEASE));
        }
        db.exec("select pgflow.create_flow('upgrade_chain', max_attempts => 3, timeout => 60)");
        db.exec("select pgflow.add_step('upgrade_chain', 'first')");
        db.exec("select pgflow.add_step('upgrade_chain', 'second', ARRAY['first'])");
        db.exec("select pgflow.create_flow('upgrade_map', timeout => 60)");
        db.exec("select pgflow.add_step('upgrade_map', 'items', step_type => 'map')");
        db.exec("select pgflow.add_step('upgrade_map', 'total', ARRAY['items'])");
        db.exec("select pgflow.create_flow('upgrade_fail', max_attempts => 1)");
        db.exec("select pgflow.add_step('upgrade_fail', 'only')");

        UUID started = start(db, "upgrade_chain", "{\"name\": \"bob\"}");
        UUID queued = start(db, "upgrade_chain", "{\"name\": \"ann\"}"); // nothing claimed
        UUID oldWorker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'upgrade_chain', 'release-0.1.0')", oldWorker);
        List<Map<String, Object>> claimed = db.rows("select run_id from pgflow.claim_tasks('upgrade_chain', ?, 1)", oldWorker);
        assertThat(claimed).extracting(t -> t.get("run_id")).as("the oldest run's task").containsExactly(started);

        UUID map = start(db, "upgrade_map", "[1, 2, 3]");
        UUID crashedWorker = UUID.randomUUID();
        db.exec("select pgflow.register_worker(?, 'upgrade_map', 'release-0.1.0')", crashedWorker);
        assertThat(db.rows("select task_index from pgflow.claim_tasks('upgrade_map', ?, 2)", crashedWorker)).hasSize(2);
        db.exec("select pgflow.complete_task(?, 'items', 0, '10'::jsonb)", map); // index 1 stays started, index 2 queued

        UUID failed = start(db, "upgrade_fail", "{}");
        UUID failWorker = UUID.randomUUID(); // a worker serves one flow
        db.exec("select pgflow.register_worker(?, 'upgrade_fail', 'release-0.1.0')", failWorker);
        assertThat(db.rows("select run_id from pgflow.claim_tasks('upgrade_fail', ?, 1)", failWorker)).hasSize(1);
        db.exec("select pgflow.fail_task(?, 'only', 0, 'boom before the upgrade')", failed);

        // a caller-chosen random run id with an idempotency key: above every time-ordered id
        UUID chosen = UUID.fromString("c0ffee00-1234-4abc-9def-0123456789ab");
        db.exec("select pgflow.start_flow('upgrade_chain', '{\"name\": \"cy\"}', ?, 'order-9')", chosen);

        assertThat(statuses(db, queued, started, map, failed)).containsExactly("started", "started", "started", "failed");
        assertThat(db.rows("select step_slug, task_index, status from pgflow.step_tasks where run_id = ? order by task_index", map))
                .containsExactly(Map.of("step_slug", "items", "task_index", 0, "status", "completed"),
                        Map.of("step_slug", "items", "task_index", 1, "status", "started"),
                        Map.of("step_slug", "items", "task_index", 2, "status", "queued"));

        // 2. the current changelogs on top
        try (Connection c = ds.getConnection()) {
            PgflowMigrations.apply(c);
            assertThat(db.rows("select id from public.databasechangelog group by id, author, filename having count(*) > 1"))
                    .as("no changeset recorded twice").isEmpty();
        }

        // the owner partitions the tables by run_id with the runs in flight (opt-in, docs/operations.md): they stay in the
        // old tables (now the legacy partition), the chosen id moves to the partition of chosen ids with its steps and
        // tasks, and the key still names its run
        assertThat((String) db.one("select relkind::text from pg_class where oid = 'pgflow.runs'::regclass")).isEqualTo("r");
        assertThat((String) db.one("select r->>'legacy_runs' || ' ' || (r->>'moved_runs') from pgflow.partition_run_tables() r"))
                .isEqualTo("4 1");
        for (String table : List.of("runs", "step_states", "step_tasks")) {
            assertThat(db.rows("select distinct tableoid::regclass::text as p from pgflow." + table + " where run_id <> ?", chosen))
                    .extracting(r -> r.get("p")).as(table).containsExactly("pgflow_partitions." + table + "_legacy");
            assertThat(db.rows("select distinct tableoid::regclass::text as p from pgflow." + table + " where run_id = ?", chosen))
                    .extracting(r -> r.get("p")).as(table).containsExactly("pgflow_partitions." + table + "_ids");
        }
        assertThat((UUID) db.one("select run_id from pgflow.start_flow('upgrade_chain', '{\"name\": \"cy\"}', idempotency_key => 'order-9')"))
                .isEqualTo(chosen);
        assertThat(db.error("select pgflow.send_signal_by_key('upgrade_chain', 'order-9', 'first', '{}')").getMessage())
                .as("the key found (through run_keys), its run's step refuses").contains("is a single step, not a signal step");

        // 3. the current functions finish every run: the old worker stopped (its task handed back), the crashed one's
        //    lease ran out, the failed run is retried, and a new worker runs every handler
        db.exec("select pgflow.mark_worker_stopped(?)", oldWorker);
        assertThat((Integer) db.one("select pgflow.release_tasks(?)", oldWorker)).isEqualTo(1);
        db.exec("update pgflow.step_tasks set visible_at = clock_timestamp() - interval '1 ms' where run_id = ? and status = 'started'", map);
        db.exec("select pgflow.retry_run(?)", failed);
        Map<String, UUID> workers = new TreeMap<>();
        for (String flow : List.of("upgrade_chain", "upgrade_map", "upgrade_fail")) {
            workers.put(flow, UUID.randomUUID());
            db.exec("select pgflow.register_worker(?, ?, 'current')", workers.get(flow), flow);
        }
        int handled = 0;
        for (int round = 0; round < 20 && handled < 12; round++) {
            for (String flow : workers.keySet()) {
                for (Map<String, Object> task : db.rows("select run_id, step_slug, task_index, input::text as input,"
                        + " flow_input::text as flow_input from pgflow.claim_tasks(?, ?, 10)", flow, workers.get(flow))) {
                    String step = (String) task.get("step_slug");
                    // a root step's input is {}: it reads the run's input (flow_input); a map task gets its element
                    String input = (String) task.get(step.equals("first") ? "flow_input" : "input");
                    db.exec("select pgflow.complete_task(?, ?, ?, ?::jsonb)", task.get("run_id"), step, task.get("task_index"),
                            handler(db, flow, step, input));
                    handled++;
                }
            }
        }
        assertThat(handled).as("tasks run after the upgrade: 3 + 3 chain steps, 2 map items + total, the retried one").isEqualTo(10);
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", chosen)).isEqualTo("{\"second\": \"CY!\"}");
        assertThat(statuses(db, queued, started, map, failed)).containsExactly("completed", "completed", "completed", "completed");
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", queued)).isEqualTo("{\"second\": \"ANN!\"}");
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", started)).isEqualTo("{\"second\": \"BOB!\"}");
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", map)).isEqualTo("{\"total\": 60}");
        assertThat((String) db.one("select output::text from pgflow.runs where run_id = ?", failed)).isEqualTo("{\"only\": \"ok\"}");
        assertThat((Integer) db.one("select attempts_count from pgflow.step_tasks where run_id = ? and step_slug = 'first'", started))
                .as("the attempt handed back at the old worker's stop does not count").isEqualTo(1);
        assertThat((Integer) db.one("select attempts_count from pgflow.step_tasks where run_id = ? and task_index = 1", map))
                .as("the crashed worker's attempt counts").isEqualTo(2);

        try (Connection admin = PgflowDatabaseExtension.adminConnection(); Statement st = admin.createStatement()) {
            st.execute("drop database if exists " + name + " with (force)");
        }
    }

    /** The handlers of the test's flows, in SQL over the task's input. */
    private static String handler(Db db, String flow, String step, String input) {
        String sql = switch (flow + "/" + step) {
            case "upgrade_chain/first" -> "select to_jsonb(upper(?::jsonb->>'name'))::text";
            case "upgrade_chain/second" -> "select to_jsonb((?::jsonb->>'first') || '!')::text";
            case "upgrade_map/items" -> "select to_jsonb((?::jsonb)::text::int * 10)::text";
            case "upgrade_map/total" -> "select to_jsonb(sum(e::int))::text from jsonb_array_elements_text(?::jsonb->'items') e";
            case "upgrade_fail/only" -> "select case when ? is not null then '\"ok\"' end";
            default -> throw new IllegalArgumentException(flow + "/" + step);
        };
        return db.one(sql, input);
    }

    private static UUID start(Db db, String flow, String input) {
        return db.one("select run_id from pgflow.start_flow(?, ?::jsonb)", flow, input);
    }

    private static List<String> statuses(Db db, UUID... runs) {
        List<String> statuses = new ArrayList<>();
        for (UUID run : runs) {
            statuses.add(db.one("select status from pgflow.runs where run_id = ?", run));
        }
        return statuses;
    }

    /** A release's changelogs as they shipped, at the same paths as the current ones ({@code pgflow/db/...}). */
    private static ResourceAccessor release(String version) throws URISyntaxException, java.io.FileNotFoundException {
        return new DirectoryResourceAccessor(Path.of(UpgradeFromReleaseTest.class.getResource("/releases/" + version + "/" + MASTER).toURI())
                .getParent().getParent().getParent());
    }

    /** Every changeset of the master changelog by {@code filepath::id::author}. */
    private static Map<String, ChangeSet> changeSets(ResourceAccessor changelogs) throws Exception {
        Map<String, ChangeSet> sets = new TreeMap<>();
        Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), changelogs), () -> {
            DatabaseChangeLog log = ChangeLogParserFactory.getInstance().getParser(MASTER, changelogs)
                    .parse(MASTER, new ChangeLogParameters(), changelogs);
            for (ChangeSet set : log.getChangeSets()) {
                sets.put(set.getFilePath() + "::" + set.getId() + "::" + set.getAuthor(), set);
            }
        });
        return sets;
    }
}
