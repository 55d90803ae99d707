package io.pgflowee.web.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.lang.reflect.Proxy;
import java.sql.SQLException;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.persistence.PersistenceException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.junit.jupiter.api.Test;

/**
 * What the API answers for an exception no other mapper took: 503 when the database is away
 * (connection errors, and the states a restart of PostgreSQL ends sessions with), 500 otherwise.
 */
class UnexpectedMapperTest {

    private final ApiErrors.UnexpectedMapper mapper = new ApiErrors.UnexpectedMapper();

    UnexpectedMapperTest() {
        mapper.uri = (UriInfo) Proxy.newProxyInstance(UriInfo.class.getClassLoader(), new Class<?>[] {UriInfo.class},
                (proxy, method, args) -> method.getName().equals("getPath") ? "flows/greet_user/runs" : null);
    }

    @Test
    void theDatabaseBeingAwayOrRestartingIs503() {
        for (String state : new String[] {"08006", "08001", "57P01", "57P02", "57P03"}) {
            Response r = mapper.toResponse(new PersistenceException(new SQLException("from the driver", state)));
            JsonObject body = body(r);
            assertThat(r.getStatus()).as(state).isEqualTo(503);
            assertThat(body.getString("title")).isEqualTo("Database unavailable");
            assertThat(body.getString("instance")).isEqualTo("/api/flows/greet_user/runs");
            assertThat(body.getString("detail")).isEqualTo("the database cannot be reached; nothing was changed; retry later (error id "
                    + body.getString("errorId") + ")");
        }
    }

    @Test
    void otherFailuresAre500WithAnErrorId() {
        for (Throwable e : new Throwable[] {new SQLException("division by zero", "22012"), new IllegalStateException("bug"),
                new SQLException("canceling statement due to user request", "57014")}) {
            Response r = mapper.toResponse(e);
            JsonObject body = body(r);
            assertThat(r.getStatus()).as(e.toString()).isEqualTo(500);
            assertThat(body.getString("title")).isEqualTo("Internal error");
            assertThat(body.getString("detail")).isEqualTo("the server failed unexpectedly; its log has the details under error id "
                    + body.getString("errorId"));
        }
    }

    private static JsonObject body(Response r) {
        assertThat(r.getMediaType().toString()).isEqualTo("application/problem+json");
        return Json.createReader(new StringReader((String) r.getEntity())).readObject();
    }
}
