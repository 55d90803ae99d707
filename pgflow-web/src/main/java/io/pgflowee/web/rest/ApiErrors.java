package io.pgflowee.web.rest;


import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.util.Locale;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * Every error of the API as {@code application/problem+json}: the container's own refusals (no
 * such path, method, media type) get a detail that says what to send instead; request bodies over
 * {@code pgflow.api.maxBodyBytes} (1 MiB) get 413 before anything is done; a database that cannot be
 * reached gets 503; anything unexpected gets 500 with an {@code errorId} that the log also has,
 * with the stack trace, which the response never carries.
 */
public final class ApiErrors {

    static final Logger LOG = Logger.getLogger(ApiErrors.class.getName());

    private ApiErrors() {
    }

    /** Problem details for exceptions that carry a status (thrown by JAX-RS itself or by our resources). */
    @Provider
    public static class StatusMapper implements ExceptionMapper<WebApplicationException> {

        @Context
        UriInfo uri;

        @Context
        HttpHeaders headers;

        @Override
        public Response toResponse(WebApplicationException e) {
            Response r = e.getResponse();
            if (r.hasEntity()) {
                return r;
            }
            int status = r.getStatus();
            String path = "/api/" + uri.getPath().replaceFirst("^/", "");
            String title = r.getStatusInfo().getReasonPhrase();
            String detail = switch (status) {
                case 404 -> "there is no resource at " + path + " (the API's endpoints are listed at /openapi)";
                case 405 -> "this method is not allowed on " + path + "; allowed: " + String.join(", ", r.getAllowedMethods());
                case 415 -> "Content-Type '" + (headers.getMediaType() == null ? "" : headers.getMediaType())
                        + "' is not accepted by " + path + ": send application/json";
                case 406 -> "this endpoint cannot answer in " + headers.getHeaderString(HttpHeaders.ACCEPT)
                        + "; accept application/json (or text/event-stream for /events)";
                default -> e.getMessage() == null ? title : e.getMessage();
            };
            Response.ResponseBuilder answer = Response.status(status).type(Problems.MEDIA_TYPE)
                    .entity(Problems.json(status, title, detail, path, null));
            if (status == 405) {
                answer.allow(r.getAllowedMethods());
            }
            return answer.build();
        }
    }

    /**
     * The engine's refusals of every endpoint, in one place: the status by the refusal's kind (404,
     * 409, 422), the title from the resource method's {@link Refusals}, the engine's message as the
     * detail and its hint. Nothing was changed: the refused call's transaction rolled back.
     */
    @Provider
    public static class RefusalMapper implements ExceptionMapper<io.pgflowee.engine.control.EngineRefusal> {

        static final String IDEMPOTENCY_KEY_INDEX = "idx_runs_idempotency_key";

        @Context
        UriInfo uri;

        @Context
        jakarta.ws.rs.container.ResourceInfo resource;

        @Override
        public Response toResponse(io.pgflowee.engine.control.EngineRefusal e) {
            String path = "/api/" + uri.getPath().replaceFirst("^/", "");
            Refusals titles = resource == null || resource.getResourceMethod() == null ? null
                    : resource.getResourceMethod().getAnnotation(Refusals.class);
            return switch (e.kind()) {
                case NOT_FOUND -> Problems.problem(404, titles == null ? "Not found" : titles.notFound(), e.getMessage(), path, e.hint());
                case CONFLICT -> Problems.problem(409, IDEMPOTENCY_KEY_INDEX.equals(e.constraint()) ? "Idempotency key reused"
                        : titles == null ? "Conflict" : titles.conflict(), e.getMessage(), path, e.hint());
                case INVALID -> Problems.problem(422, titles == null ? "Refused" : titles.invalid(), e.getMessage(), path, e.hint());
            };
        }
    }

    /** Anything else: 503 when the database cannot be reached, otherwise 500 with an error id that is also logged. */
    @Provider
    public static class UnexpectedMapper implements ExceptionMapper<Throwable> {

        @Context
        UriInfo uri;

        @Override
        public Response toResponse(Throwable e) {
            String errorId = UUID.randomUUID().toString();
            String path = "/api/" + uri.getPath().replaceFirst("^/", "");
            if (databaseUnreachable(e)) {
                LOG.warning("PGFLOW-080 error " + errorId + ": " + path + " could not reach the database: " + e.getMessage());
                return problem(503, "Database unavailable", "the database cannot be reached; nothing was changed; retry later"
                        + " (error id " + errorId + ")", path, errorId);
            }
            String denied = io.pgflowee.engine.db.DatabaseProblems.privilegeDenied(e);
            if (denied != null) {
                // the server's configuration, not a bug: say what to grant, not "failed unexpectedly"
                LOG.warning("PGFLOW-097 error " + errorId + ": " + path + ": the server's database role lacks a privilege: " + denied);
                return problem(500, "Database privilege missing", "the server's database role (PGFLOW_DB_USER) may not do this: "
                        + denied + ". Grant it pgflow_operator and pgflow_worker (docs/operations.md, \"Database roles\");"
                        + " the batch jobs' repository also needs CREATE on schema public the first time (error id " + errorId + ")",
                        path, errorId);
            }
            LOG.log(Level.SEVERE, "PGFLOW-081 error " + errorId + " answering " + path, e);
            return problem(500, "Internal error", "the server failed unexpectedly; its log has the details under error id "
                    + errorId, path, errorId);
        }

        private static boolean databaseUnreachable(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                // 08: connection exceptions; 57P01-57P03: the server is shutting down, crashed, or
                // starting up (a restart of PostgreSQL ends every session with one of these)
                if (t instanceof SQLException sql && sql.getSQLState() != null
                        && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P0"))) {
                    return true;
                }
                String name = t.getClass().getName().toLowerCase(Locale.ROOT);
                if (name.contains("resourceexception") || name.contains("poolingexception")) {
                    return true; // the container's pool could not get a connection
                }
            }
            return false;
        }

        private static Response problem(int status, String title, String detail, String path, String errorId) {
            return Problems.response(io.pgflowee.web.rest.json.Problem.of(status, title, detail, path, null).withErrorId(errorId));
        }
    }

    /** Refuses request bodies over {@code pgflow.api.maxBodyBytes} with 413, by Content-Length or while reading. */
    @Provider
    @PreMatching
    public static class BodyLimit implements ContainerRequestFilter {

        @Inject
        @ConfigProperty(name = "pgflow.api.maxBodyBytes", defaultValue = "1048576")
        long maxBodyBytes;

        @Override
        public void filter(ContainerRequestContext request) {
            if (request.getLength() > maxBodyBytes) {
                request.abortWith(tooLarge(request.getUriInfo().getPath(), request.getLength()));
                return;
            }
            if (request.hasEntity()) {
                String path = request.getUriInfo().getPath();
                request.setEntityStream(new Limited(request.getEntityStream(), maxBodyBytes, path));
            }
        }

        private Response tooLarge(String path, long length) {
            String p = "/api/" + path.replaceFirst("^/", "");
            return Response.status(413).type(Problems.MEDIA_TYPE).entity(Problems.json(413, "Request too large",
                    "the body has " + (length < 0 ? "more than " + maxBodyBytes : length) + " bytes; at most " + maxBodyBytes
                            + " are accepted (pgflow.api.maxBodyBytes)", p, null)).build();
        }

        private final class Limited extends FilterInputStream {
            private long left;
            private final String path;

            Limited(InputStream in, long max, String path) {
                super(in);
                this.left = max;
                this.path = path;
            }

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0 && --left < 0) {
                    throw new WebApplicationException(tooLarge(path, -1));
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int off, int len) throws IOException {
                int n = super.read(buffer, off, len);
                if (n > 0) {
                    left -= n;
                    if (left < 0) {
                        throw new WebApplicationException(tooLarge(path, -1));
                    }
                }
                return n;
            }
        }
    }
}
