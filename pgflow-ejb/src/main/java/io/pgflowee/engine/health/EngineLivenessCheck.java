package io.pgflowee.engine.health;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Alive while the application is deployed and its JVM has head room. Deliberately independent of
 * the database: an unreachable database makes the server not ready, never "dead" (restarting it
 * would not help).
 */
@Liveness
@ApplicationScoped
public class EngineLivenessCheck implements HealthCheck {

    /** Below this share of free heap after a full collection the JVM is considered wedged. */
    static final double MIN_FREE_HEAP = 0.02;

    @Override
    public HealthCheckResponse call() {
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        double free = 1.0 - (double) used / rt.maxMemory();
        return HealthCheckResponse.named("pgflow-engine")
                .withData("heapUsedMiB", used / (1024 * 1024))
                .withData("heapMaxMiB", rt.maxMemory() / (1024 * 1024))
                .status(free >= MIN_FREE_HEAP)
                .build();
    }
}
