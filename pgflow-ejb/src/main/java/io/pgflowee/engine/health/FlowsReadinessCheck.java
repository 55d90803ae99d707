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
 * Lists each registered flow with its state ({@code "flow.greet_user": "verified"}); a flow that is
 * missing, differs from the database or is invalid is listed with the reason and its fix, and named
 * under {@code "notRunning"}. Such a flow does not make readiness DOWN: every other flow runs here,
 * and the API and the console serve all of them, so a load balancer or the launcher must keep
 * sending traffic; the one flow's problem is that flow's (its runs wait, its page says why). DOWN is
 * left to what stops the whole server: the database and the schema ({@link DatabaseReadinessCheck}).
 */
@Readiness
@ApplicationScoped
public class FlowsReadinessCheck implements HealthCheck {

    @Inject
    FlowRegistry registry;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pgflow-flows");
        java.util.List<String> notRunning = new java.util.ArrayList<>();
        for (FlowStatus status : registry.statuses()) {
            String value = status.runnable() ? status.state().name().toLowerCase()
                    : status.state().name().toLowerCase() + ": " + status.message();
            response.withData("flow." + status.slug(), value);
            if (!status.runnable()) {
                notRunning.add(status.slug());
            }
        }
        if (!notRunning.isEmpty()) {
            response.withData("notRunning", String.join(", ", notRunning));
        }
        return response.up().build();
    }
}
