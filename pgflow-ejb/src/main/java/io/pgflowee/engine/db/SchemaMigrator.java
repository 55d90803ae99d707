package io.pgflowee.engine.db;

import java.sql.Connection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.migrations.PgflowMigrations;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import jakarta.inject.Inject;

/**
 * Applies the pgflow changelogs at deployment, before any other bean touches the database
 * ({@code pgflow.migrate=true}, the default). When the database cannot be reached the deployment
 * still succeeds, readiness stays DOWN with the reason, and the migration is retried every
 * ten seconds until it succeeds. The same timer checks flows that do not run again (and migrates
 * again when one is missing from the database, so a flow deleted with {@code delete_flow_and_data}
 * is created anew from its changelog): fixing the database is enough, no restart.
 */
@Startup
@Singleton
@TransactionManagement(TransactionManagementType.BEAN)
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class SchemaMigrator {

    private static final Logger LOG = Logger.getLogger(SchemaMigrator.class.getName());

    /** Where the schema stands, as readiness reports it. */
    public enum State { PENDING, APPLIED, DISABLED, FAILED }

    /** A state with the message that explains it. */
    public record Status(State state, String message) {
    }

    @Resource(lookup = PgflowDataSource.JNDI_NAME)
    DataSource dataSource;

    @Inject
    jakarta.enterprise.event.Event<SchemaReady> schemaReady;

    @Inject
    @ConfigProperty(name = "pgflow.migrate", defaultValue = "true")
    boolean migrate;

    @Inject
    DatabaseSettings database;

    /** Liquibase runs on a thread of its own: see {@link #onThreadOfItsOwn}. */
    @Resource
    jakarta.enterprise.concurrent.ManagedThreadFactory threads;

    private final AtomicReference<Status> status =
            new AtomicReference<>(new Status(State.PENDING, "migrations not attempted yet"));

    @PostConstruct
    void migrateAtStartup() {
        if (!migrate) {
            status.set(new Status(State.DISABLED, "pgflow.migrate=false: the schema is managed outside the application"));
            LOG.info("PGFLOW-010 migrations skipped (pgflow.migrate=false)");
            schemaReady.fire(new SchemaReady(State.DISABLED));
            return;
        }
        attempt();
    }

    @Schedule(second = "*/10", minute = "*", hour = "*", persistent = false)
    void retryUntilApplied() {
        if (status.get().state() == State.FAILED) {
            attempt();
        }
    }

    /**
     * Applies the changelogs again when this server migrates and they were applied: for a flow that
     * went missing from the database ({@code delete_flow_and_data} in another session), whose
     * compiled changelog then creates it again ({@code FlowRecheck} in the flows package asks).
     * Returns whether it ran.
     */
    public boolean migrateAgain() {
        if (status.get().state() != State.APPLIED) {
            return false;
        }
        attempt();
        return true;
    }

    /**
     * Runs Liquibase on a short-lived thread: Liquibase keeps its scope in an inheritable thread-local
     * that it never removes, so run on the deploying thread (or an EJB timer thread) the value stayed
     * on Payara's long-lived threads and every thread they started, and each undeploy of a reload
     * logged eight "created a ThreadLocal ... but failed to remove it" SEVERE lines, and kept the old
     * application's classes reachable.
     */
    private <T> T onThreadOfItsOwn(java.util.concurrent.Callable<T> work) throws Exception {
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(work);
        Thread thread = threads.newThread(task);
        thread.setName("pgflow-migrate");
        thread.start();
        try {
            return task.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The current state of the schema. */
    public Status status() {
        return status.get();
    }

    private void attempt() {
        long start = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            // a retry reports its outcome itself (PGFLOW-001 when the reason changes): Liquibase stays quiet.
            // Each flow on its own: a flow whose changelog cannot be applied stays that flow's problem
            // (reported here once, and by the flow checks: it does not run), every other flow migrates and runs
            boolean quiet = status.get().state() != State.PENDING;
            List<PgflowMigrations.FlowProblem> problems = onThreadOfItsOwn(() -> PgflowMigrations.applyEachFlowOnItsOwn(c, quiet));
            status.set(new Status(State.APPLIED, problems.isEmpty() ? "migrations applied"
                    : "migrations applied, except " + problems.size() + " flow(s): " + problems.stream()
                            .map(p -> flowOf(p.changelog())).collect(java.util.stream.Collectors.joining(", "))));
            reportFlowProblems(problems);
            LOG.info(() -> String.format("PGFLOW-011 pgflow schema up to date at %s (%d ms)",
                    DatabaseProblems.where(database.url()), (System.nanoTime() - start) / 1_000_000));
        } catch (Exception e) {
            fail(e);
            return;
        }
        schemaReady.fire(new SchemaReady(State.APPLIED));
    }

    /** Each flow that was not migrated, once per new reason, in one line: what is wrong and the fix (the database's hint). */
    private void reportFlowProblems(List<PgflowMigrations.FlowProblem> problems) {
        String now = problems.toString();
        if (now.equals(reportedFlowProblems)) {
            return;
        }
        reportedFlowProblems = now;
        for (PgflowMigrations.FlowProblem p : problems) {
            LOG.warning("PGFLOW-012 flow " + flowOf(p.changelog()) + " was not migrated (" + p.changelog() + "); it does not run here,"
                    + " every other flow does: " + oneLine(p.message()));
        }
    }

    private String reportedFlowProblems = "[]";

    /** "greet_user" of "pgflow/db/flows/greet_user.sql". */
    static String flowOf(String changelog) {
        String file = changelog.substring(changelog.lastIndexOf('/') + 1);
        return file.endsWith(".sql") ? file.substring(0, file.length() - 4) : file;
    }

    /** The database's message in one line: "ERROR: " and the "Where:" context dropped, the hint as "Fix: ...". */
    static String oneLine(String message) {
        StringBuilder line = new StringBuilder();
        for (String part : message.split("\\R")) {
            String p = part.strip();
            if (p.startsWith("Where:") || p.isEmpty()) {
                continue;
            }
            if (p.startsWith("Hint:")) {
                p = "Fix: " + p.substring(5).strip();
            } else if (p.startsWith("ERROR:")) {
                p = p.substring(6).strip();
            }
            line.append(line.length() == 0 ? "" : " ").append(p);
        }
        return line.toString();
    }

    private void fail(Exception e) {
        String message = e instanceof PgflowMigrations.MigrationException
                ? e.getMessage()
                : DatabaseProblems.describe(database.url(), e);
        Status previous = status.getAndSet(new Status(State.FAILED, message));
        if (previous.state() != State.FAILED || !previous.message().equals(message)) {
            LOG.log(Level.SEVERE, message + " (retrying every 10 s)");
        }
    }
}
