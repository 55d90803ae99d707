package io.pgflowee.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.zaxxer.hikari.HikariDataSource;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.RunPartitionFixtures;

/**
 * The run tables partitioned by range of run_id (112-time-partitions.sql): the layout, the ranges
 * made ahead, where runs land, pruning by dropping whole partitions (and by rows where a partition
 * still has open runs or a family reaches outside it), the prune job's empty-only drop, a drop that
 * waits for a busy table (short tries, again and again, then left), the setting of that wait, and a
 * range the default partition already holds. On a database of its
 * own, partitioned by {@code partition_run_tables()} (opt-in): it makes and drops partitions the other
 * classes would see. Past ranges are made by hand, as the weeks of a running installation.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class RunPartitionsTest {

    private static final List<String> TABLES = List.of("runs", "step_states", "step_tasks", "task_attempts", "run_retries",
            "run_traces", "task_traces");

    private static HikariDataSource ds;
    private static Db db;

    @BeforeAll
    static void ownDatabase() {
        ds = PgflowDatabaseExtension.privateDatabase("pgflow_partitions_test");
        db = new Db(ds);
        // not partitioned until the owner asks: nothing made ahead, nothing listed
        assertThat(db.<String>one("select relkind::text from pg_class where oid = 'pgflow.runs'::regclass")).isEqualTo("r");
        assertThat(db.<Integer>one("select pgflow.create_run_partitions()")).isZero();
        assertThat(db.rows("select * from pgflow.run_partitions()")).isEmpty();
        Map<String, Object> made = db.row("select (r->>'legacy_runs')::int as legacy, (r->>'moved_runs')::int as moved,"
                + " jsonb_array_length(r->'partitions') as partitions from pgflow.partition_run_tables() r");
        assertThat(made).containsEntry("legacy", 0).containsEntry("moved", 0);
        assertThat((Integer) made.get("partitions")).as("this week and the next two, ids, other").isGreaterThanOrEqualTo(4);
    }

    @AfterAll
    static void close() {
        ds.close();
    }

    @BeforeEach
    void clean() {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        // the past ranges an earlier test made, empty now
        db.rows("select * from pgflow.drop_run_partitions(now() - interval '1 day', only_empty => true)");
        db.exec("select pgflow.create_flow('p', max_attempts => 1)");
        db.exec("select pgflow.add_step('p', 'a')");
        db.exec("select pgflow.register_worker('00000000-0000-4000-8000-000000000001', 'p', 'test')");
    }

    /** A past week [now - from, now - to) made by hand, as create_run_partitions made it then; returns its suffix. */
    private static String pastRange(String suffix, int fromDaysAgo, int toDaysAgo) {
        return RunPartitionFixtures.pastRange(db, suffix, fromDaysAgo, toDaysAgo);
    }

    /** Starts a run of 'p' as if it had started {@code daysAgo} (its run_id of that time, its started_at). */
    private static UUID startAt(double daysAgo, String key) {
        UUID id = db.one("select (substr(replace(pgflow._run_id_floor(now() - make_interval(secs => ? * 86400))::text, '-', ''), 1, 12)"
                + " || '7' || substr(md5(random()::text), 1, 19))::uuid", daysAgo);
        db.exec("select pgflow.start_flow('p', '{}', run_id => ?, idempotency_key => ?)", id, key);
        db.exec("update pgflow.runs set started_at = now() - make_interval(secs => ? * 86400) where run_id = ?", daysAgo, id);
        return id;
    }

    /** Completes (or fails) the run's one task and dates its end {@code daysAgo}. */
    private static void finish(UUID run, double daysAgo, boolean ok) {
        db.exec("update pgflow.step_tasks set visible_at = now() - interval '1 ms' where run_id = ?", run);
        db.rows("select 1 from pgflow.claim_tasks('p', '00000000-0000-4000-8000-000000000001', 100)");
        if (ok) {
            db.exec("select 1 from pgflow.complete_task(?, 'a', 0, '1')", run);
        } else {
            db.exec("select 1 from pgflow.fail_task(?, 'a', 0, 'boom')", run);
        }
        db.exec("update pgflow.runs set completed_at = completed_at - make_interval(secs => ? * 86400),"
                + " failed_at = failed_at - make_interval(secs => ? * 86400) where run_id = ?", daysAgo, daysAgo, run);
    }

    private static String partitionOf(UUID run) {
        return db.one("select tableoid::regclass::text from pgflow.runs where run_id = ?", run);
    }

    /** One of {@link #TABLES} with its schema (the attempt, retry and trace tables are pgflow_internal's). */
    private static String qualified(String table) {
        return (table.startsWith("run_") || table.startsWith("task_") ? "pgflow_internal." : "pgflow.") + table;
    }

    private static boolean exists(String table) {
        return db.<Object>one("select to_regclass(?)", "pgflow_partitions." + table) != null;
    }

    @Test
    void partitioningWaitsForAWorkerHoldingItsRowAndWaitingForTheTasksInsteadOfDeadlocking() throws Exception {
        // a database of its own, plain: a worker's transaction has updated its heartbeat (pgflow.workers) and reads
        // step_tasks after the conversion began; the conversion takes workers with the run tables up front
        try (HikariDataSource live = PgflowDatabaseExtension.privateDatabase("pgflow_partitions_live");
             Connection worker = live.getConnection(); Statement st = worker.createStatement()) {
            Db other = new Db(live);
            other.exec("select pgflow.create_flow('p')");
            other.exec("select pgflow.add_step('p', 'a')");
            other.exec("select pgflow.register_worker('00000000-0000-4000-8000-000000000001', 'p', 'test')");
            other.exec("select pgflow.start_flow('p', '{}')");
            worker.setAutoCommit(false);
            st.execute("update pgflow.workers set last_heartbeat = now()");
            java.util.concurrent.CompletableFuture<String> converted = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> other.<String>one("select pgflow.partition_run_tables()->>'legacy_runs'"));
            Thread.sleep(300);
            try (var rs = st.executeQuery("select count(*) from pgflow.step_tasks")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
            worker.commit();
            assertThat(converted.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("1");
            assertThat(other.<String>one("select relkind::text from pg_class where oid = 'pgflow.step_tasks'::regclass")).isEqualTo("p");
        }
    }

    @Test
    void withoutTheIdsPartitionChosenIdsLandInOtherAndTheNextRangeIsStillAttached() {
        // the lean layout (docs/operations.md): a week per range, an hour ahead, no 'ids': this week's range
        // and 'other' (the next week's too in the week's last hour)
        try (HikariDataSource lean = PgflowDatabaseExtension.privateDatabase("pgflow_partitions_lean")) {
            Db l = new Db(lean);
            l.exec("select pgflow.create_flow('p')");
            l.exec("select pgflow.add_step('p', 'a')");
            UUID chosenBefore = UUID.fromString("7a0c2d4e-2222-4abc-8def-123456789abc");
            l.exec("select pgflow.start_flow('p', '{}', run_id => ?)", chosenBefore);
            assertThat(l.error("select pgflow.partition_run_tables(ids_partition => null)").getMessage())
                    .contains("partition_run_tables: ids_partition must be true or false, not null");
            l.exec("select pgflow.set_run_partitioning(interval '7 days', interval '1 hour')");
            Map<String, Object> made = l.row("select (r->>'legacy_runs')::int as legacy, (r->>'moved_runs')::int as moved,"
                    + " r->'partitions' ?? 'ids' as has_ids, r->'partitions' ?? 'other' as has_other"
                    + " from pgflow.partition_run_tables(ids_partition => false) r");
            assertThat(made).containsEntry("legacy", 0).containsEntry("moved", 1).containsEntry("has_ids", false)
                    .containsEntry("has_other", true);
            List<String> parts = l.rows("select partition from pgflow.run_partitions()").stream()
                    .map(r -> (String) r.get("partition")).toList();
            assertThat(parts).doesNotContain("ids", "legacy").endsWith("other").hasSizeBetween(2, 3);
            for (String table : TABLES) {
                assertThat(l.<Long>one("select count(*) from pg_inherits where inhparent = ?::regclass", qualified(table)))
                        .as(table).isEqualTo((long) parts.size());
            }
            // the run with the chosen id moved to 'other' with its step state and task; a new chosen id goes there too
            assertThat(l.<String>one("select tableoid::regclass::text from pgflow.runs where run_id = ?", chosenBefore))
                    .isEqualTo("pgflow_partitions.runs_other");
            assertThat(l.<String>one("select tableoid::regclass::text from pgflow.step_tasks where run_id = ?", chosenBefore))
                    .isEqualTo("pgflow_partitions.step_tasks_other");
            UUID chosen = UUID.fromString("9f0c2d4e-1111-4abc-8def-123456789abc");
            l.exec("select pgflow.start_flow('p', '{}', run_id => ?)", chosen);
            assertThat(l.<String>one("select tableoid::regclass::text from pgflow.runs where run_id = ?", chosen))
                    .isEqualTo("pgflow_partitions.runs_other");
            UUID generated = l.one("select run_id from pgflow.start_flow('p', '{}')");
            assertThat(l.<String>one("select tableoid::regclass::text from pgflow.runs where run_id = ?", generated))
                    .startsWith("pgflow_partitions.runs_2");
            // the next ranges attach although 'other' holds runs (of ids no range takes)
            Map<String, Object> ahead = l.row("select (r->>'created')::int as created from"
                    + " pgflow.set_run_partitioning(interval '7 days', interval '15 days') r");
            assertThat((Integer) ahead.get("created")).isBetween(1, 3);
            assertThat(l.<Long>one("select count(*) from pgflow_internal.run_partitions where status = 'skipped'")).isZero();
            assertThat(l.<Long>one("select count(*) from pgflow.runs where tableoid = 'pgflow_partitions.runs_other'::regclass"))
                    .isEqualTo(2L);
            assertThat(l.rows("select partition from pgflow.run_partitions()")).extracting(r -> r.get("partition"))
                    .doesNotContain("ids").endsWith("other");
        }
    }

    @Test
    void partitioningTwiceIsRefusedByName() {
        SQLException e = db.error("select pgflow.partition_run_tables()");
        assertThat(e.getSQLState()).isEqualTo("55000");
        assertThat(e.getMessage()).contains("partition_run_tables: pgflow.runs is partitioned already");
    }

    @Test
    void everyRunTableIsPartitionedAlikeWithRangesAheadAndRunsLandByTheirIds() {
        List<Map<String, Object>> parts = db.rows("select partition, status, ends_at > now() + interval '14 days' as ahead"
                + " from pgflow.run_partitions()");
        assertThat(parts).extracting(r -> r.get("partition")).endsWith("ids", "other");
        assertThat(parts.get(parts.size() - 3)).containsEntry("ahead", true);
        for (String table : TABLES) {
            assertThat(db.<String>one("select string_agg(replace(c.relname, ?, ''), ',' order by c.relname) from pg_inherits i"
                    + " join pg_class c on c.oid = i.inhrelid where i.inhparent = ?::regclass", table + "_", qualified(table)))
                    .as(table).isEqualTo(db.<String>one("select string_agg(suffix, ',' order by suffix) from (select suffix from"
                            + " pgflow_internal.run_partitions where status = 'attached' union all values ('ids'), ('other')) s"));
        }
        assertThat(db.<Integer>one("select pgflow.create_run_partitions()")).isZero();

        UUID now = db.one("select run_id from pgflow.start_flow('p', '{}')");
        String current = db.one("select suffix from pgflow_internal.run_partitions where now() >= starts_at and now() < ends_at");
        assertThat(partitionOf(now)).isEqualTo("pgflow_partitions.runs_" + current);
        assertThat(db.<String>one("select tableoid::regclass::text from pgflow.step_tasks where run_id = ?", now))
                .isEqualTo("pgflow_partitions.step_tasks_" + current);
        UUID random = UUID.fromString("9f0c2d4e-1111-4abc-8def-123456789abc");
        db.exec("select pgflow.start_flow('p', '{}', run_id => ?)", random);
        assertThat(partitionOf(random)).isEqualTo("pgflow_partitions.runs_ids");
        UUID low = UUID.fromString("01000000-1111-4abc-8def-123456789abc");
        db.exec("select pgflow.start_flow('p', '{}', run_id => ?)", low);
        assertThat(partitionOf(low)).isEqualTo("pgflow_partitions.runs_other");
        assertThat(db.<Long>one("select count(*) from pgflow.step_states where run_id in (?, ?, ?)", now, random, low)).isEqualTo(3L);
    }

    @Test
    void pruningDropsAWeekWhoseRunsAllEndedAndDeletesByRowsWhereARunIsStillOpen() {
        String done = pastRange("w_done", 50, 43);
        String open = pastRange("w_open", 43, 36);
        UUID a = startAt(49, "order-1");
        UUID b = startAt(48, null);
        UUID c = startAt(47, null);
        finish(a, 46, true);
        finish(b, 46, false);
        finish(c, 45, true);
        db.exec("insert into pgflow_internal.run_retries (run_id, retry_number, retried_at, retried_by) values (?, 1, now(), 'ann')", b);
        UUID oldDone = startAt(42, null);
        UUID stillOpen = startAt(41, null);
        finish(oldDone, 40, true);
        UUID recent = db.one("select run_id from pgflow.start_flow('p', '{}')");
        assertThat(partitionOf(a)).isEqualTo("pgflow_partitions.runs_w_done");
        assertThat(partitionOf(stillOpen)).isEqualTo("pgflow_partitions.runs_w_open");

        db.exec("select pgflow.prune_data_older_than(interval '30 days')");

        assertThat(TABLES).allSatisfy(t -> assertThat(exists(t + "_" + done)).as(t).isFalse());
        assertThat(TABLES).allSatisfy(t -> assertThat(exists(t + "_" + open)).as(t).isTrue());
        assertThat(db.rows("select suffix from pgflow_internal.run_partitions where suffix like 'w_%'"))
                .extracting(r -> r.get("suffix")).containsExactly(open);
        assertThat(db.rows("select run_id from pgflow.runs order by run_id")).extracting(r -> r.get("run_id"))
                .containsExactly(stillOpen, recent);
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_keys")).isZero();
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_retries")).isZero();
        // the key is free again: a new run
        UUID again = db.one("select run_id from pgflow.start_flow('p', '{}', idempotency_key => 'order-1')");
        assertThat(again).isNotIn(a, recent);
    }

    @Test
    void aFamilyReachingOutsideThePartitionKeepsItUntilEveryRunOfTheFamilyEnded() {
        String week = pastRange("w_family", 50, 43);
        String later = pastRange("w_later", 43, 36);
        UUID root = startAt(49, null);
        finish(root, 46, true);
        UUID child = startAt(42, null);
        db.exec("update pgflow.runs set root_run_id = ?, parent_run_id = ?, parent_step_slug = 'a', parent_task_index = 0"
                + " where run_id = ?", root, root, child);

        assertThat(db.rows("select * from pgflow.drop_run_partitions(now() - interval '30 days')")).isEmpty();
        assertThat(exists("runs_" + week)).isTrue();

        finish(child, 35, true);
        assertThat(db.rows("select partition, runs from pgflow.drop_run_partitions(now() - interval '30 days')"))
                .as("every partition judged before the drops: the later week still held the child then")
                .containsExactly(Map.of("partition", week, "runs", 1L), Map.of("partition", later, "runs", 1L));
        assertThat(db.<Long>one("select count(*) from pgflow.runs where run_id in (?, ?)", root, child)).isZero();
        assertThat(TABLES).allSatisfy(t -> assertThat(exists(t + "_" + later)).as(t).isFalse());
    }

    @Test
    void thePruneJobsEmptyOnlyDropKeepsAPartitionWithRunsAndDropsAnEmptyOne() {
        String full = pastRange("w_full", 50, 43);
        String empty = pastRange("w_empty", 43, 36);
        UUID run = startAt(49, null);
        finish(run, 46, true);
        assertThat(db.rows("select partition, runs from pgflow.drop_run_partitions(now(), only_empty => true)"))
                .containsExactly(Map.of("partition", empty, "runs", 0L));
        assertThat(exists("runs_" + full)).isTrue();
        assertThat(partitionOf(run)).isEqualTo("pgflow_partitions.runs_" + full);
    }

    @Test
    void aDropThatWaitsForABusyTableTriesAgainAndIsLeftForTheNextPruneWhenItStaysBusy() throws Exception {
        String week = pastRange("w_busy", 50, 43);
        UUID run = startAt(49, null);
        finish(run, 46, true);
        // a reader holding the run tables through every try (10 tries of 50 ms, 100 ms apart): left, nothing changed
        try (Connection reader = ds.getConnection(); Statement st = reader.createStatement()) {
            reader.setAutoCommit(false);
            st.execute("select count(*) from pgflow.runs");
            try (Connection pruner = ds.getConnection(); Statement prune = pruner.createStatement();
                 var rs = prune.executeQuery("select * from pgflow.drop_run_partitions(now() - interval '30 days')")) {
                assertThat(rs.next()).isFalse();
                assertThat((Object) prune.getWarnings()).isNotNull();
                assertThat(prune.getWarnings().getMessage()).isEqualTo("run partition " + week
                        + " not dropped: its tables were busy (10 tries of 50ms); the next prune tries again");
            }
            assertThat(exists("runs_" + week)).isTrue();
            assertThat(partitionOf(run)).isEqualTo("pgflow_partitions.runs_" + week);
            reader.rollback();
        }
        // a reader that ends after 400 ms (several tries refused): a later try drops the week
        try (Connection reader = ds.getConnection(); Statement st = reader.createStatement()) {
            reader.setAutoCommit(false);
            st.execute("select count(*) from pgflow.runs");
            Thread ender = new Thread(() -> {
                try {
                    Thread.sleep(400);
                    reader.rollback();
                } catch (InterruptedException | SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            ender.start();
            assertThat(db.rows("select partition, runs from pgflow.drop_run_partitions(now() - interval '30 days')"))
                    .containsExactly(Map.of("partition", week, "runs", 1L));
            ender.join();
        }
        assertThat(exists("runs_" + week)).isFalse();
        assertThat(db.<Long>one("select count(*) from pgflow.runs where run_id = ?", run)).isZero();
    }

    @Test
    void anAttachThatCannotGetItsLocksIsTriedAgainTenSecondsLaterNotAtEveryTick() throws Exception {
        long before = db.<Long>one("select count(*) from pgflow_internal.run_partitions");
        // ranges due, as a week later (beyond what earlier tests made)
        db.exec("update pgflow_internal.run_partitioning set ahead = date_trunc('day', (select max(ends_at) from pgflow_internal.run_partitions)"
                + " - now()) + interval '14 days'");
        try (Connection reader = ds.getConnection(); Statement st = reader.createStatement()) {
            reader.setAutoCommit(false);
            st.execute("select count(*) from pgflow.runs"); // holds the default partition too
            assertThat(db.<Integer>one("select pgflow.create_run_partitions()")).isZero();
            assertThat(db.<Boolean>one("select attach_retry_at between now() + interval '9 seconds' and clock_timestamp() + interval '10 seconds'"
                    + " from pgflow_internal.run_partitioning")).isTrue();
            reader.rollback();
        }
        // the tables are free now, but the next ticks within the 10 s leave them alone
        assertThat(db.<Integer>one("select pgflow.create_run_partitions()")).isZero();
        assertThat(db.<Integer>one("select (pgflow.tick()->>'partitions_created')::int")).isZero();
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_partitions")).isEqualTo(before);
        // 10 s later (moved back here): made, and the wait cleared
        db.exec("update pgflow_internal.run_partitioning set attach_retry_at = clock_timestamp() - interval '1 second'");
        assertThat(db.<Integer>one("select pgflow.create_run_partitions()")).isPositive();
        assertThat(db.<Object>one("select attach_retry_at from pgflow_internal.run_partitioning")).isNull();
        // set_run_partitioning clears a pending wait and makes what is due at once
        db.exec("update pgflow_internal.run_partitioning set attach_retry_at = clock_timestamp() + interval '1 hour'");
        assertThat(db.<Integer>one("select (pgflow.set_run_partitioning(interval '7 days', date_trunc('day', (select max(ends_at)"
                + " from pgflow_internal.run_partitions) - now()) + interval '14 days')->>'created')::int")).isPositive();
        assertThat(db.<Object>one("select attach_retry_at from pgflow_internal.run_partitioning")).isNull();
        db.exec("select pgflow.set_run_partitioning(interval '7 days', interval '14 days')");
    }

    @Test
    void thePartitionLockWaitIsASettingCheckedByName() {
        assertThat(db.<String>one("select pgflow._partition_lock_timeout()")).isEqualTo("50ms");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set pgflow.partition_lock_timeout = '2s'");
            try (var rs = st.executeQuery("select pgflow._partition_lock_timeout()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("2000ms");
            }
            st.execute("set pgflow.partition_lock_timeout = 20");
            try (var rs = st.executeQuery("select pgflow._partition_lock_timeout()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("20ms");
            }
            for (String bad : List.of("soon", "0", "1 minute")) {
                st.execute("set pgflow.partition_lock_timeout = '" + bad + "'");
                SQLException e = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                        () -> st.executeQuery("select pgflow._partition_lock_timeout()"));
                assertThat(e.getSQLState()).isEqualTo("22023");
                assertThat(e.getMessage()).contains("pgflow.partition_lock_timeout = '" + bad
                        + "' is not a duration from 1ms to 10s (for example 50ms)");
            }
            st.execute("reset pgflow.partition_lock_timeout"); // the pooled connection goes back as it came
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aRangeTheDefaultPartitionAlreadyHoldsIsSkippedAndTheWidthIsChecked() {
        String last = db.one("select max(ends_at)::text from pgflow_internal.run_partitions");
        UUID future = db.one("select (substr(replace(pgflow._run_id_floor(max(ends_at) + interval '1 day')::text, '-', ''), 1, 12)"
                + " || '7' || substr(md5(random()::text), 1, 19))::uuid from pgflow_internal.run_partitions");
        db.exec("select pgflow.start_flow('p', '{}', run_id => ?)", future);
        assertThat(partitionOf(future)).isEqualTo("pgflow_partitions.runs_other");

        Map<String, Object> set = db.row("select r->>'width' as width, r->>'ahead' as ahead, (r->>'created')::int as created"
                + " from pgflow.set_run_partitioning(interval '7 days', interval '35 days') r");
        assertThat(set).containsEntry("width", "7 days").containsEntry("ahead", "35 days");
        assertThat((Integer) set.get("created")).isPositive();
        assertThat(db.<String>one("select status from pgflow_internal.run_partitions where starts_at = ?::timestamptz", last))
                .isEqualTo("skipped");
        assertThat(partitionOf(future)).isEqualTo("pgflow_partitions.runs_other");
        assertThat(db.<Boolean>one("select max(ends_at) >= now() + interval '35 days' from pgflow_internal.run_partitions")).isTrue();

        assertThat(db.error("select pgflow.set_run_partitioning(interval '1 month')").getMessage())
                .contains("set_run_partitioning: width 1 mon is not between 1 minute and 90 days (in days, hours, minutes; no months)");
        assertThat(db.error("select pgflow.set_run_partitioning(interval '7 days', interval '30 seconds')").getMessage())
                .contains("set_run_partitioning: ahead 00:00:30 is not between 1 minute and 366 days (in days, hours, minutes; no months)");
        assertThat(db.error("select pgflow.set_run_partitioning(interval '7 days', interval '367 days')").getMessage())
                .contains("set_run_partitioning: ahead 367 days is not between 1 minute and 366 days");

        // a horizon shorter than the width (the fewest partitions: docs/operations.md): taken as given;
        // nothing is due while the ranges made reach past now + ahead
        String end = db.one("select max(ends_at)::text from pgflow_internal.run_partitions");
        Map<String, Object> lean = db.row("select r->>'width' as width, r->>'ahead' as ahead, (r->>'created')::int as created"
                + " from pgflow.set_run_partitioning(interval '7 days', interval '1 hour') r");
        assertThat(lean).containsEntry("width", "7 days").containsEntry("ahead", "01:00:00").containsEntry("created", 0);
        assertThat(db.<String>one("select ahead::text from pgflow_internal.run_partitioning")).isEqualTo("01:00:00");
        assertThat(db.<String>one("select max(ends_at)::text from pgflow_internal.run_partitions")).isEqualTo(end);
        db.exec("select pgflow.set_run_partitioning(interval '7 days', interval '14 days')");
    }
}
