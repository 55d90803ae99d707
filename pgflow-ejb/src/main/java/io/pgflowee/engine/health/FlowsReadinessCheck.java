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
 *
 * <p>{@code "build"}: the id the launcher wrote into the deployment it redeploys in place
 * ({@code pgflow-build.id} at the root of the classpath), so that it knows the answer comes from the
 * new deployment and not the old; absent in a WAR or EAR built by Maven.
 */
@Readiness
@ApplicationScoped
public class FlowsReadinessCheck implements HealthCheck {

    /** The launcher's id of this deployment ({@code ExplodedWar} in the launcher writes it). */
    static final String BUILD_ID_RESOURCE = "pgflow-build.id";

    @Inject
    FlowRegistry registry;

    private String build;

    @jakarta.annotation.PostConstruct
    void readBuildId() {
        build = buildId(FlowsReadinessCheck.class.getClassLoader());
    }

    /** The first line of {@link #BUILD_ID_RESOURCE}, or null when there is none. */
    static String buildId(ClassLoader loader) {
        try (java.io.InputStream in = loader.getResourceAsStream(BUILD_ID_RESOURCE)) {
            if (in == null) {
                return null;
            }
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            int eol = text.indexOf('\n');
            return eol < 0 ? text : text.substring(0, eol).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pgflow-flows");
        if (build != null) {
            response.withData("build", build);
        }
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
