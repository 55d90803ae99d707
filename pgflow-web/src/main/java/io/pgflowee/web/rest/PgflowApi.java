package io.pgflowee.web.rest;

import org.eclipse.microprofile.openapi.annotations.Components;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.pgflowee.web.rest.json.Problem;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST API root: every resource lives under {@code /api}; its OpenAPI document is at {@code /openapi}. */
@ApplicationPath("/api")
@OpenAPIDefinition(info = @Info(title = "pgflow for Jakarta EE", version = "0.1",
        description = "Start runs of flows, list and read runs, flows and workers. JSON field names are camelCase; errors are"
                + " application/problem+json."),
        // error answers refer to it (ProblemResponses), so it is declared here rather than on each
        // every endpoint needs a sign-in: HTTP Basic with a user of pgflow.security.users (or the console's session)
        security = @SecurityRequirement(name = PgflowApi.BASIC_AUTH),
        components = @Components(schemas = @Schema(name = "Problem", implementation = Problem.class),
                securitySchemes = @SecurityScheme(securitySchemeName = PgflowApi.BASIC_AUTH, type = SecuritySchemeType.HTTP,
                        scheme = "basic", description = "A pgflow user (pgflow.security.users); viewer reads, operator acts on runs and"
                        + " flows, admin runs jobs and schedules")))
public class PgflowApi extends Application {

    /** The security scheme every operation requires. */
    public static final String BASIC_AUTH = "basicAuth";

    /** No WADL: the API is described by /openapi, and an endpoint nobody uses is one less to guard. */
    @Override
    public java.util.Map<String, Object> getProperties() {
        return java.util.Map.of("jersey.config.server.wadl.disableWadl", true);
    }
}
