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
        var response = HealthCheckResponse.named("pgflow-engine")
                .withData("heapUsedMiB", used / (1024 * 1024))
                .withData("heapMaxMiB", rt.maxMemory() / (1024 * 1024));
        long afterGc = heapAfterLastGc();
        if (afterGc >= 0) {
            response.withData("heapAfterGcMiB", afterGc / (1024 * 1024));
        }
        return response.status(free >= MIN_FREE_HEAP).build();
    }

    /**
     * The heap in use right after the most recent collection (what survives: the figure to watch
     * for growth, unlike the used heap that saw-tooths between collections), or -1 before the first
     * collection or on a JVM that does not say.
     */
    static long heapAfterLastGc() {
        java.util.Set<String> heapPools = new java.util.HashSet<>();
        for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        com.sun.management.GcInfo last = null;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof com.sun.management.GarbageCollectorMXBean sun) {
                com.sun.management.GcInfo info = sun.getLastGcInfo();
                if (info != null && (last == null || info.getEndTime() > last.getEndTime())) {
                    last = info;
                }
            }
        }
        if (last == null) {
            return -1;
        }
        return last.getMemoryUsageAfterGc().entrySet().stream().filter(e -> heapPools.contains(e.getKey()))
                .mapToLong(e -> e.getValue().getUsed()).sum();
    }
}
