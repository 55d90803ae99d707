package io.pgflowee.web.console;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.control.EngineRefusal;
import io.pgflowee.engine.control.RunRow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The console's run actions, one engine call (one transaction) per run, so one refused run does not
 * hold the others back; the outcome counts what changed and keeps the engine's refusals.
 */
@ApplicationScoped
public class RunActions {

    /** What a (bulk) action did: runs changed, and the refusals ({@code <run id>: <engine message>}). */
    public record Outcome(int changed, List<String> refused) {
        /** {@code Retried 3 runs.} or {@code Retried 2 of 3 runs; refused: ...} (the first 5 refusals). */
        public String summary(String done) {
            int total = changed + refused.size();
            String runs = total == 1 ? " run" : " runs";
            if (refused.isEmpty()) {
                return done + " " + changed + runs + ".";
            }
            return done + " " + changed + " of " + total + runs + "; refused: "
                    + String.join("; ", refused.subList(0, Math.min(5, refused.size()))) + (refused.size() > 5 ? "; ..." : "");
        }
    }

    @FunctionalInterface
    private interface Action {
        RunRow apply(UUID runId) throws EngineRefusal, SQLException;
    }

    @Inject
    EngineOperations engine;

    /** Retries each run on behalf of {@code actor} (the run page's history says who retried it). */
    public Outcome retry(List<UUID> runs, String actor) {
        return each(runs, id -> engine.retryRun(id, actor));
    }

    public Outcome cancel(List<UUID> runs, String reason) {
        return each(runs, id -> engine.cancelRun(id, reason));
    }

    /** Restarts one run: the new run's id. */
    public UUID restart(UUID run) throws EngineRefusal, SQLException {
        return engine.restartRun(run).runId();
    }

    private static Outcome each(List<UUID> runs, Action action) {
        int changed = 0;
        List<String> refused = new ArrayList<>();
        for (UUID id : runs) {
            try {
                action.apply(id);
                changed++;
            } catch (EngineRefusal | SQLException e) {
                refused.add(id + ": " + Messages.why(e));
            }
        }
        return new Outcome(changed, List.copyOf(refused));
    }
}
