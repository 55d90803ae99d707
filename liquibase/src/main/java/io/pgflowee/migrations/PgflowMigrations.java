package io.pgflowee.migrations;

import java.sql.Connection;
import java.util.Map;

import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;

/**
 * Applies the pgflow changelogs (engine core and compiled flows) to a database.
 *
 * <p>The single entry point used by the engine at deployment, by the test extension and by
 * operators' own tooling, so that every path records the same changeset file names:
 * <pre>{@code
 * try (Connection c = dataSource.getConnection()) {
 *     PgflowMigrations.apply(c);
 * }
 * }</pre>
 */
public final class PgflowMigrations {

    /** Classpath location of the master changelog (core, then flows). */
    public static final String MASTER_CHANGELOG = "pgflow/db/changelog.xml";

    private PgflowMigrations() {
    }

    /**
     * Session-level advisory lock key held while migrating ("pgflow-m" as a 64-bit number): several
     * servers starting at once against an empty database migrate one after the other. Liquibase's
     * own lock table does not cover creating its tables (liquibase/liquibase#5254): the second
     * server failed with {@code relation "databasechangelog" already exists}.
     */
    static final long MIGRATION_LOCK = 0x7067666c6f772d6dL;

    /**
     * One Liquibase update at a time in this JVM, whatever the database: an update that finishes
     * resets Liquibase's JVM-wide lock services, and a concurrent update (even of another database)
     * then skips releasing its changelog lock, so the next migration of that database waited out
     * Liquibase's 5 minutes and failed (liquibase/liquibase#7956; seen 2026-12-02 when the upgrade
     * test and another test class migrated at once).
     */
    private static final java.util.concurrent.locks.ReentrantLock IN_THIS_JVM = new java.util.concurrent.locks.ReentrantLock();

    /**
     * Brings the database up to date. Idempotent; concurrent callers (several servers starting at
     * once) wait for each other on a PostgreSQL advisory lock. Does not close the connection.
     *
     * @throws MigrationException naming the changeset that failed and the database's message
     */
    public static void apply(Connection connection) {
        apply(connection, false);
    }

    /**
     * {@link #apply(Connection)}; {@code quiet} silences Liquibase's own logging, for the caller that
     * retries a failed migration every few seconds and reports the outcome itself (the failure is
     * in the {@link MigrationException} either way). Liquibase's summary goes to its log, never to
     * standard output.
     */
    public static void apply(Connection connection, boolean quiet) {
        update(connection, quiet, MASTER_CHANGELOG);
    }

    /** The engine core's changelog (schema and SQL functions), without the flows. */
    public static final String CORE_CHANGELOG = "pgflow/db/core/changelog.xml";
    /** The compiled flows' changelog: one include per flow. */
    public static final String FLOWS_CHANGELOG = "pgflow/db/flows/changelog.xml";

    /** A compiled flow whose changelog could not be applied, and why (the database's message). */
    public record FlowProblem(String changelog, String message) {
    }

    /**
     * The core, then each compiled flow on its own: a flow whose changelog cannot be applied (it
     * changed after it was applied, or its SQL fails) is skipped and reported, and every other flow
     * is applied. A failure of the core is thrown, as from {@link #apply}. The same changeset files
     * are recorded as through the master changelog. Flows are applied quietly (the caller reports).
     *
     * @return the flows that were not applied, in changelog order (empty when all were)
     */
    public static java.util.List<FlowProblem> applyEachFlowOnItsOwn(Connection connection, boolean quiet) {
        update(connection, quiet, CORE_CHANGELOG);
        java.util.List<FlowProblem> problems = new java.util.ArrayList<>();
        for (String flow : flowChangelogs()) {
            try {
                update(connection, true, flow);
            } catch (MigrationException e) {
                problems.add(new FlowProblem(flow, rootMessage(e)));
            }
        }
        return problems;
    }

    /** The compiled flows' changelogs in the order the flows changelog includes them. */
    static java.util.List<String> flowChangelogs() {
        String text;
        try (java.io.InputStream in = PgflowMigrations.class.getClassLoader().getResourceAsStream(FLOWS_CHANGELOG)) {
            if (in == null) {
                return java.util.List.of();
            }
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new MigrationException("PGFLOW-001 cannot read " + FLOWS_CHANGELOG + ": " + e.getMessage(), e);
        }
        java.util.List<String> files = new java.util.ArrayList<>();
        java.util.regex.Matcher include = java.util.regex.Pattern.compile("<include\\s+file=\"([^\"]+)\"").matcher(text);
        while (include.find()) {
            files.add("pgflow/db/flows/" + include.group(1));
        }
        return files;
    }

    private static void update(Connection connection, boolean quiet, String changelog) {
        update(connection, quiet, changelog, new ClassLoaderResourceAccessor(PgflowMigrations.class.getClassLoader()));
    }

    /**
     * Applies {@code changelog} as read through {@code changelogs} (the classpath in production; a
     * release's changelogs as they shipped in the upgrade test), under the migration lock (one
     * update at a time in this JVM, one per database across servers).
     */
    static void update(Connection connection, boolean quiet, String changelog, liquibase.resource.ResourceAccessor changelogs) {
        IN_THIS_JVM.lock();
        try {
            updateAlone(connection, quiet, changelog, changelogs);
        } finally {
            IN_THIS_JVM.unlock();
        }
    }

    private static void updateAlone(Connection connection, boolean quiet, String changelog, liquibase.resource.ResourceAccessor changelogs) {
        Boolean autoCommit = null;
        boolean locked = false;
        boolean migrated = false;
        try {
            autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                connection.setAutoCommit(true); // the advisory lock is per session, outside Liquibase's transactions
            }
            lock(connection, "pg_advisory_lock");
            locked = true;
            Database database = DatabaseFactory.getInstance()
                    .findCorrectDatabaseImplementation(new JdbcConnection(connection));
            Map<String, Object> scope = new java.util.HashMap<>(Map.of(
                    Scope.Attr.resourceAccessor.name(), changelogs,
                    Scope.Attr.ui.name(), new liquibase.ui.LoggerUIService(),
                    "liquibase.analytics.enabled", Boolean.FALSE,
                    "liquibase.showBanner", Boolean.FALSE));
            if (quiet) {
                scope.put(Scope.Attr.logService.name(), new liquibase.logging.core.NoOpLogService());
            }
            Scope.child(scope, () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                    .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                    .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, changelog)
                    .execute());
            migrated = true;
        } catch (Exception e) {
            throw new MigrationException("PGFLOW-001 applying " + changelog + " failed: "
                    + rootMessage(e), e);
        } finally {
            if (locked) {
                try {
                    setAutoCommit(connection, true);
                    lock(connection, "pg_advisory_unlock");
                } catch (java.sql.SQLException e) {
                    // a broken connection loses its session lock with it; report only if nothing else failed
                    if (migrated) {
                        throw new MigrationException("PGFLOW-001 cannot release the migration lock: " + e.getMessage(), e);
                    }
                }
            }
            restoreAutoCommit(connection, autoCommit);
        }
    }

    private static void lock(Connection connection, String function) throws java.sql.SQLException {
        try (var ps = connection.prepareStatement("select " + function + "(?)")) {
            ps.setLong(1, MIGRATION_LOCK);
            ps.execute();
        }
    }

    /** Liquibase turns autocommit off; a pooled or reused connection must come back as it was given. */
    private static void restoreAutoCommit(Connection connection, Boolean autoCommit) {
        try {
            if (autoCommit != null && !connection.isClosed()) {
                setAutoCommit(connection, autoCommit);
            }
        } catch (java.sql.SQLException e) {
            throw new MigrationException("PGFLOW-001 cannot restore autocommit after migrating: " + e.getMessage(), e);
        }
    }

    /** Switches autocommit, ending the open transaction first: Liquibase committed its work, nothing of ours is pending. */
    private static void setAutoCommit(Connection connection, boolean autoCommit) throws java.sql.SQLException {
        if (connection.getAutoCommit() != autoCommit) {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
            connection.setAutoCommit(autoCommit);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        String message = e.getMessage();
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message;
    }

    /** A migration that could not be applied; the message names the cause. */
    public static final class MigrationException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MigrationException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
