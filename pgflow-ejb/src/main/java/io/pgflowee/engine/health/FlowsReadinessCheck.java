package io.pgflowee.engine.health;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.flows.FlowStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Ready when every registered flow matches the database. Lists each flow with its state; a flow
 * that is missing, differs or is invalid makes readiness DOWN, with the reason and every difference.
 */
@Readiness
@ApplicationScoped
public class FlowsReadinessCheck implements HealthCheck {

    @Inject
    FlowRegistry registry;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pgflow-flows");
        boolean up = true;
        for (FlowStatus status : registry.statuses()) {
            String value = status.runnable() ? status.state().name().toLowerCase()
                    : status.state().name().toLowerCase() + ": " + status.message();
            response.withData("flow." + status.slug(), value);
            up &= status.runnable();
        }
        return response.status(up).build();
    }
}
