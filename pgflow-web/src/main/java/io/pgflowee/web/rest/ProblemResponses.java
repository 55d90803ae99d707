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
}
