package io.pgflowee.web.rest;

import java.util.Map;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Every error answer of the OpenAPI document is a {@code Problem} in {@code application/problem+json},
 * declared here once instead of on each {@code @APIResponse}: a resource method states only the
 * status and what it means ({@code @APIResponse(responseCode = "404", description = "No such run")}).
 * Every operation also gets 401 (not signed in) and 403 (the role may not), since every endpoint
 * needs a sign-in and a role (deny by default). Registered as {@code mp.openapi.filter}
 * ({@code META-INF/microprofile-config.properties}).
 */
public class ProblemResponses implements OASFilter {

    @Override
    public Operation filterOperation(Operation operation) {
        if (operation.getSecurity() == null || operation.getSecurity().isEmpty()) {
            // declared on each operation too: some generators read only the operation's own requirement
            operation.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme(PgflowApi.BASIC_AUTH));
        }
        APIResponses responses = operation.getResponses();
        if (responses == null) {
            return operation;
        }
        if (!responses.hasAPIResponse("401")) {
            responses.addAPIResponse("401", OASFactory.createAPIResponse().description("Not signed in (HTTP Basic or a console session)"));
        }
        if (!responses.hasAPIResponse("403")) {
            responses.addAPIResponse("403", OASFactory.createAPIResponse().description("Signed in, but the role may not do this"));
        }
        for (Map.Entry<String, APIResponse> e : responses.getAPIResponses().entrySet()) {
            APIResponse response = e.getValue();
            if (e.getKey().startsWith("4") || e.getKey().startsWith("5")) {
                if (response.getContent() == null || response.getContent().getMediaTypes() == null
                        || response.getContent().getMediaTypes().isEmpty()) {
                    response.setContent(OASFactory.createContent().addMediaType(Problems.MEDIA_TYPE,
                            OASFactory.createMediaType().schema(OASFactory.createSchema().ref("Problem"))));
                }
            }
        }
        return operation;
    }

    /**
     * Payara writes the schema of a {@code @Schema(implementation = X.class)} request or response
     * body inline, a copy of the component X, and for a list of X an array that also carries X's
     * properties (a schema generators reject). Here each such body refers to its component instead
     * ({@code $ref}), and a list to an array of it, so a generated client has one class per
     * record ({@code RunDetail}, not {@code StartRun200Response}).
     */
    @Override
    public void filterOpenAPI(org.eclipse.microprofile.openapi.models.OpenAPI openAPI) {
        if (openAPI.getComponents() == null || openAPI.getComponents().getSchemas() == null || openAPI.getPaths() == null) {
            return;
        }
        Map<java.util.Set<String>, String> byProperties = new java.util.HashMap<>();
        java.util.Set<java.util.Set<String>> ambiguous = new java.util.HashSet<>();
        openAPI.getComponents().getSchemas().forEach((name, schema) -> {
            if (schema.getProperties() != null && !schema.getProperties().isEmpty()
                    && byProperties.put(schema.getProperties().keySet(), name) != null) {
                ambiguous.add(schema.getProperties().keySet());
            }
        });
        ambiguous.forEach(byProperties::remove);
        for (org.eclipse.microprofile.openapi.models.PathItem item : openAPI.getPaths().getPathItems().values()) {
            for (Operation operation : item.getOperations().values()) {
                if (operation.getRequestBody() != null) {
                    toReferences(operation.getRequestBody().getContent(), byProperties);
                }
                if (operation.getResponses() != null) {
                    for (APIResponse response : operation.getResponses().getAPIResponses().values()) {
                        toReferences(response.getContent(), byProperties);
                    }
                }
            }
        }
    }

    private static void toReferences(org.eclipse.microprofile.openapi.models.media.Content content,
                                     Map<java.util.Set<String>, String> byProperties) {
        if (content == null || content.getMediaTypes() == null) {
            return;
        }
        for (org.eclipse.microprofile.openapi.models.media.MediaType media : content.getMediaTypes().values()) {
            org.eclipse.microprofile.openapi.models.media.Schema schema = media.getSchema();
            if (schema == null || schema.getRef() != null || schema.getProperties() == null) {
                continue;
            }
            String component = byProperties.get(schema.getProperties().keySet());
            if (component == null) {
                continue;
            }
            org.eclipse.microprofile.openapi.models.media.Schema ref = OASFactory.createSchema().ref(component);
            media.setSchema(schema.getType() == org.eclipse.microprofile.openapi.models.media.Schema.SchemaType.ARRAY
                    ? OASFactory.createSchema().type(org.eclipse.microprofile.openapi.models.media.Schema.SchemaType.ARRAY).items(ref)
                    : ref);
        }
    }

    /**
     * Drops the constraints Payara writes with their annotation defaults into every schema made from
     * a {@code @Schema} annotation ({@code maxProperties: 0} on an object with properties says that
     * no object is valid; {@code minLength: 0}, {@code nullable: false} and the like say nothing):
     * a constraint stays only when an annotation gave it a meaning.
     */
    @Override
    public org.eclipse.microprofile.openapi.models.media.Schema filterSchema(org.eclipse.microprofile.openapi.models.media.Schema schema) {
        if (Integer.valueOf(0).equals(schema.getMaxProperties())) {
            schema.setMaxProperties(null);
        }
        if (Integer.valueOf(0).equals(schema.getMinProperties())) {
            schema.setMinProperties(null);
        }
        if (Integer.valueOf(0).equals(schema.getMinLength())) {
            schema.setMinLength(null);
        }
        if (Integer.valueOf(0).equals(schema.getMinItems())) {
            schema.setMinItems(null);
        }
        if (Boolean.FALSE.equals(schema.getExclusiveMaximum())) {
            schema.setExclusiveMaximum(null);
        }
        if (Boolean.FALSE.equals(schema.getExclusiveMinimum())) {
            schema.setExclusiveMinimum(null);
        }
        if (Boolean.FALSE.equals(schema.getUniqueItems())) {
            schema.setUniqueItems(null);
        }
        if (Boolean.FALSE.equals(schema.getNullable())) {
            schema.setNullable(null);
        }
        if (Boolean.FALSE.equals(schema.getReadOnly())) {
            schema.setReadOnly(null);
        }
        if (Boolean.FALSE.equals(schema.getWriteOnly())) {
            schema.setWriteOnly(null);
        }
        if (Boolean.FALSE.equals(schema.getDeprecated())) {
            schema.setDeprecated(null);
        }
        return schema;
    }
}
