package io.pgflowee.web.rest;

import io.pgflowee.api.json.Jsonp;

import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.core.Response;

/** RFC 9457 problem details ({@code application/problem+json}) for every API error. */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    static Response problem(int status, String title, String detail, String instance, String hint) {
        return Response.status(status).type(MEDIA_TYPE).entity(json(status, title, detail, instance, hint)).build();
    }

    /** The problem document as JSON text. */
    public static String json(int status, String title, String detail, String instance, String hint) {
        return builder(status, title, detail, instance, hint).build().toString();
    }

    /** The problem document, to add members to (for example an {@code errorId}). */
    static JsonObjectBuilder builder(int status, String title, String detail, String instance, String hint) {
        JsonObjectBuilder body = Jsonp.createObjectBuilder()
                .add("type", "about:blank")
                .add("title", title)
                .add("status", status)
                .add("detail", detail);
        if (instance != null) {
            body.add("instance", instance);
        }
        if (hint != null) {
            body.add("hint", hint);
        }
        return body;
    }
}
