package io.pgflowee.engine.jobs.prune;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.zaxxer.hikari.HikariDataSource;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import io.pgflowee.testing.RunPartitionFixtures;

/**
 * pgflow-prune's last step on partitioned run tables (a database of its own): it drops an empty
 * past range and says so; a range whose tables stay busy through every try is left, and its exit
 * status names it for the next prune.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class DropEmptyPartitionsTest {

    private static HikariDataSource ds;
    private static Db db;

    @BeforeAll
    static void partitioned() {
        ds = PgflowDatabaseExtension.privateDatabase("pgflow_prune_drop_test");
        db = new Db(ds);
        db.exec("select pgflow.partition_run_tables()");
    }

    @AfterAll
    static void close() {
        ds.close();
    }

    @Test
    void anEmptyPastRangeIsDroppedAndOneWhoseTablesStayBusyIsNamedForTheNextPrune() throws Exception {
        DropEmptyPartitions step = new DropEmptyPartitions();
        step.database = new PruneDatabase();
        step.database.dataSource = ds;
        assertThat(step.process()).isEqualTo("no partition dropped");

        RunPartitionFixtures.pastRange(db, "w_busy", 50, 43);
        try (Connection reader = ds.getConnection(); Statement st = reader.createStatement()) {
            reader.setAutoCommit(false);
            st.execute("select count(*) from pgflow.runs"); // a long report: every try waits for it
            assertThat(step.process()).isEqualTo("no partition dropped; left for the next prune (tables busy): w_busy");
            reader.rollback();
        }
        assertThat(db.<Object>one("select to_regclass('pgflow_partitions.runs_w_busy')")).isNotNull();

        RunPartitionFixtures.pastRange(db, "w_free", 43, 36);
        assertThat(step.process()).isEqualTo("partitions dropped: w_busy, w_free");
        assertThat(db.<Object>one("select to_regclass('pgflow_partitions.runs_w_busy')")).isNull();
        assertThat(db.<Long>one("select count(*) from pgflow_internal.run_partitions where suffix like 'w\\_%'")).isZero();
    }
}
