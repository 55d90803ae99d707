package io.pgflowee.web.rest;

import org.eclipse.microprofile.openapi.annotations.Components;
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
        components = @Components(schemas = @Schema(name = "Problem", implementation = Problem.class)))
public class PgflowApi extends Application {

    /** No WADL: the API is described by /openapi, and an endpoint nobody uses is one less to guard. */
    @Override
    public java.util.Map<String, Object> getProperties() {
        return java.util.Map.of("jersey.config.server.wadl.disableWadl", true);
    }
}
