package io.pgflowee.web.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The members Payara 6 adds outside the OpenAPI specification go; everything else stays as written. */
class OpenApiDocumentTest {

    @Test
    void theTopLevelEndpointsBlockLeavesTheYamlAndNothingElseDoes() {
        String yaml = "openapi: 3.0.0\ninfo:\n  title: pgflow\npaths:\n  /api/runs:\n    get:\n      summary: List runs\n"
                + "endpoints:\n  /:\n  - /api/runs\n  - /api/flows\ncomponents:\n  schemas:\n    endpoints:\n      type: object\n";

        assertThat(OpenApiDocument.yamlWithoutEndpoints(yaml)).isEqualTo("openapi: 3.0.0\ninfo:\n  title: pgflow\npaths:\n  /api/runs:\n"
                + "    get:\n      summary: List runs\ncomponents:\n  schemas:\n    endpoints:\n      type: object\n");
        assertThat(OpenApiDocument.yamlWithoutEndpoints("openapi: 3.0.0\npaths: {}\n")).isEqualTo("openapi: 3.0.0\npaths: {}\n");
    }

    @Test
    void theTopLevelEndpointsMemberLeavesTheJson() {
        String json = "{\"openapi\": \"3.0.0\", \"paths\": {\"/api/runs\": {}}, \"endpoints\": {\"/\": [\"/api/runs\"]},"
                + " \"components\": {\"schemas\": {\"endpoints\": {\"type\": \"object\"}}}}";

        assertThat(io.pgflowee.api.json.JsonCodec.parse(OpenApiDocument.withoutEndpoints(json)))
                .isEqualTo(io.pgflowee.api.json.JsonCodec.parse("{\"openapi\": \"3.0.0\", \"paths\": {\"/api/runs\": {}},"
                        + " \"components\": {\"schemas\": {\"endpoints\": {\"type\": \"object\"}}}}"));
        assertThat(OpenApiDocument.withoutEndpoints("{\"openapi\": \"3.0.0\"}")).isEqualTo("{\"openapi\": \"3.0.0\"}");
    }
}
