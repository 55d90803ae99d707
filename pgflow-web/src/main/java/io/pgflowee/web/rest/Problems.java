package io.pgflowee.web.rest;

import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.Problem;

import jakarta.ws.rs.core.Response;

/** RFC 9457 problem details ({@code application/problem+json}) for every API error ({@link Problem}). */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    static Response problem(int status, String title, String detail, String instance, String hint) {
        return response(Problem.of(status, title, detail, instance, hint));
    }

    /** The problem as a response with its status and media type. */
    static Response response(Problem problem) {
        return Response.status(problem.status()).type(MEDIA_TYPE).entity(ApiJson.write(problem)).build();
    }

    /** The problem document as JSON text. */
    public static String json(int status, String title, String detail, String instance, String hint) {
        return ApiJson.write(Problem.of(status, title, detail, instance, hint));
    }
}
