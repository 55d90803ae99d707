package io.pgflowee.web.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.engine.control.EngineRefusal;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/**
 * The engine's refusals of every endpoint, answered in one place: the status by the refusal's kind,
 * the title the resource method declares ({@link Refusals}), the engine's message and hint, the
 * request's path as the instance; and every method that can be refused declares its titles.
 */
class RefusalMapperTest {

    @Test
    void eachKindGetsItsStatusAndTheMethodsTitle() throws Exception {
        ApiErrors.RefusalMapper mapper = mapper("flows/greet_user/runs", FlowsResource.class.getMethod("start", String.class,
                String.class, String.class, String.class, String.class, String.class, String.class));
        assertThat(answer(mapper, new SQLException("Flow \"nope\" does not exist", "P0002")))
                .isEqualTo("404 Unknown flow: Flow \"nope\" does not exist at /api/flows/greet_user/runs");
        assertThat(answer(mapper, new SQLException("run 1 exists", "23505"))).isEqualTo("409 Run exists: run 1 exists at /api/flows/greet_user/runs");
        assertThat(answer(mapper, new SQLException("Flow \"m\": the run input must be an array", "P0001")))
                .isEqualTo("422 Input rejected: Flow \"m\": the run input must be an array at /api/flows/greet_user/runs");

        ApiErrors.RefusalMapper runs = mapper("runs/1f0c/cancel", RunsResource.class.getMethod("cancel", String.class, String.class));
        assertThat(answer(runs, new SQLException("Run 1f0c does not exist", "P0002"))).isEqualTo("404 Unknown run: Run 1f0c does not exist at /api/runs/1f0c/cancel");
        assertThat(answer(runs, new SQLException("Run 1f0c is completed: only a started run can be cancelled", "55000")))
                .isEqualTo("409 Not possible in this state: Run 1f0c is completed: only a started run can be cancelled at /api/runs/1f0c/cancel");
        assertThat(answer(runs, new SQLException("reason too long", "22023"))).isEqualTo("422 Refused: reason too long at /api/runs/1f0c/cancel");
    }

    @Test
    void everyResourceMethodThatCanBeRefusedDeclaresItsTitles() {
        List<String> undeclared = new ArrayList<>();
        for (Class<?> resource : new Class<?>[] {FlowsResource.class, RunsResource.class, WorkersResource.class, SystemResource.class,
            EventsResource.class, JobsResource.class}) {
            for (Method m : resource.getDeclaredMethods()) {
                boolean refusable = java.util.Arrays.asList(m.getExceptionTypes()).contains(EngineRefusal.class);
                if (refusable && java.lang.reflect.Modifier.isPublic(m.getModifiers()) && m.getAnnotation(Refusals.class) == null) {
                    undeclared.add(resource.getSimpleName() + "." + m.getName());
                }
            }
        }
        assertThat(undeclared).as("public resource methods that throw EngineRefusal without @Refusals").isEmpty();
    }

    private static ApiErrors.RefusalMapper mapper(String path, Method method) {
        ApiErrors.RefusalMapper mapper = new ApiErrors.RefusalMapper();
        mapper.uri = (UriInfo) Proxy.newProxyInstance(UriInfo.class.getClassLoader(), new Class<?>[] {UriInfo.class},
                (proxy, m, args) -> m.getName().equals("getPath") ? path : null);
        mapper.resource = (ResourceInfo) Proxy.newProxyInstance(ResourceInfo.class.getClassLoader(), new Class<?>[] {ResourceInfo.class},
                (proxy, m, args) -> m.getName().equals("getResourceMethod") ? method : null);
        return mapper;
    }

    private static String answer(ApiErrors.RefusalMapper mapper, SQLException e) {
        Response r = mapper.toResponse(EngineRefusal.of(e).orElseThrow());
        assertThat(r.getMediaType().toString()).isEqualTo("application/problem+json");
        JsonObject body = Json.createReader(new StringReader((String) r.getEntity())).readObject();
        assertThat(body.getInt("status")).isEqualTo(r.getStatus());
        return r.getStatus() + " " + body.getString("title") + ": " + body.getString("detail") + " at " + body.getString("instance");
    }
}
