package io.pgflowee.engine.jobs;

import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import io.pgflowee.engine.jobs.JobService.JobRefusal;

/**
 * The parameter check of one job, a CDI bean in the job's package: {@link JobService#start} calls it
 * before the job starts, so a wrong parameter is refused with a message that names it instead of
 * failing the execution. It may also fix parameters the job needs (a cutoff computed once, so a
 * restart acts on the same runs).
 */
public interface JobCheck {

    /** The job's name ({@code pgflow-backfill}), as in {@code META-INF/batch-jobs/}. */
    String job();

    /** Refuses wrong parameters (blank ones were removed); may add derived ones. */
    void check(Properties p) throws JobRefusal;

    /** Refuses a parameter not in {@code names}, listing them. */
    static void known(Properties p, String job, String... names) throws JobRefusal {
        Set<String> known = new TreeSet<>(Set.of(names));
        for (String name : p.stringPropertyNames()) {
            if (!known.contains(name)) {
                throw new JobRefusal("unknown parameter '" + name + "' of " + job + ": its parameters are " + known, false);
            }
        }
    }

    /** Refuses {@code flow} unless absent (null) or in the database. */
    static void existingFlow(io.pgflowee.engine.query.FlowQueries flows, String flow) throws JobRefusal {
        if (flow != null && !flows.exists(flow)) {
            throw new JobRefusal("flow '" + flow + "' does not exist", false);
        }
    }

    /** Refuses {@code name} unless absent or a whole number from {@code min} to {@code max}. */
    static void wholeNumber(Properties p, String name, int min, int max) throws JobRefusal {
        String v = p.getProperty(name);
        if (v == null) {
            return;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new JobRefusal(name + " must be a whole number from " + min + (max == Integer.MAX_VALUE ? " up" : " to " + max)
                    + ", got '" + v + "'", false);
        }
    }
}
