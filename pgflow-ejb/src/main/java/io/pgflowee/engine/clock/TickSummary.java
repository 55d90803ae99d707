package io.pgflowee.engine.clock;

import jakarta.json.JsonObject;

/**
 * What one {@code pgflow.tick()} call did.
 *
 * @param waitsExpired signal steps failed or skipped because their wait passed its deadline
 * @param runsFailed of those, the runs that failed with them ({@code when_exhausted => 'fail'})
 * @param subflowsTimedOut child runs failed for running past their subflow step's timeout
 * @param deferred due waits whose run another transaction was changing: left for the next tick
 * @param more more deadlines were due than one call applies: call again
 * @param millis how long the call took in the database
 * @param schedulesFired scheduled firings whose runs this call started
 * @param scheduleErrors scheduled firings the flow refused (kept in the schedule's last_error)
 */
public record TickSummary(int waitsExpired, int runsFailed, int subflowsTimedOut, int deferred, boolean more, double millis,
                          int schedulesFired, int scheduleErrors) {

    static TickSummary of(JsonObject json) {
        return new TickSummary(json.getInt("waits_expired"), json.getInt("runs_failed"), json.getInt("subflows_timed_out", 0),
                json.getInt("deferred"), json.getBoolean("more"), json.getJsonNumber("ms").doubleValue(), json.getInt("schedules_fired", 0),
                json.getInt("schedule_errors", 0));
    }

    /** Whether the tick changed anything. */
    public boolean changedSomething() {
        return waitsExpired > 0 || subflowsTimedOut > 0;
    }
}
