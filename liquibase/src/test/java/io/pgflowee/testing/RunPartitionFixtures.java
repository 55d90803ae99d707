package io.pgflowee.testing;

/** Run partitions made by hand in a partitioned test database (RunPartitionsTest, the prune job's tests). */
public final class RunPartitionFixtures {

    private RunPartitionFixtures() {
    }

    /**
     * A past range [now - fromDaysAgo, now - toDaysAgo), made and registered as create_run_partitions
     * made it when it was ahead; returns its suffix.
     */
    public static String pastRange(Db db, String suffix, int fromDaysAgo, int toDaysAgo) {
        db.exec("select pgflow._create_run_partition(?, pgflow._run_id_floor(now() - make_interval(days => ?)),"
                + " pgflow._run_id_floor(now() - make_interval(days => ?)))", suffix, fromDaysAgo, toDaysAgo);
        db.exec("insert into pgflow_internal.run_partitions (suffix, starts_at, ends_at, from_id, to_id)"
                + " values (?, now() - make_interval(days => ?), now() - make_interval(days => ?),"
                + " pgflow._run_id_floor(now() - make_interval(days => ?)), pgflow._run_id_floor(now() - make_interval(days => ?)))",
                suffix, fromDaysAgo, toDaysAgo, fromDaysAgo, toDaysAgo);
        return suffix;
    }
}
