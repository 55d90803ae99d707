package io.pgflowee.web.rest;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import io.pgflowee.engine.control.EngineOperations;
import io.pgflowee.engine.flows.FlowRegistry;
import io.pgflowee.engine.model.ReadModel;
import io.pgflowee.engine.query.FlowQueries;
import io.pgflowee.engine.query.RunQueries;
import io.pgflowee.engine.query.WorkerQueries;
import io.pgflowee.testing.Db;

import jakarta.persistence.EntityManager;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;

/**
 * The REST resources outside the container, on a real PostgreSQL: the engine's own beans made by
 * hand (the read model through {@link ReadModel}, the SQL functions through {@link EngineOperations})
 * and the request's URIs as Jersey would give them. No flow is registered on this "server", so every
 * flow's status is "not registered".
 */
final class ApiFixture implements AutoCloseable {

    static final URI BASE = URI.create("http://localhost:8080/api/");

    final Db db;
    final EngineOperations engine;
    FlowRegistry registry = new FlowRegistry();
    private final DataSource ds;
    private final List<EntityManager> opened = new ArrayList<>();
    private EntityManager em;
    RunQueries runQueries;
    FlowQueries flowQueries;
    WorkerQueries workerQueries;

    ApiFixture(DataSource ds) {
        this.ds = ds;
        db = new Db(ds);
        engine = new EngineOperations(ds);
        request();
    }

    /**
     * A new request: the read model's queries on a new entity manager, as the container gives every
     * request (transaction-scoped): nothing read by an earlier request is seen stale.
     */
    private void request() {
        em = ReadModel.factory(ds).createEntityManager();
        opened.add(em);
        runQueries = new RunQueries(em);
        flowQueries = new FlowQueries(em);
        workerQueries = new WorkerQueries(em);
    }

    /** A request for {@code path} (relative to /api/): its base and request URIs. */
    static UriInfo uri(String path) {
        URI request = BASE.resolve(path);
        return (UriInfo) Proxy.newProxyInstance(ApiFixture.class.getClassLoader(), new Class<?>[] {UriInfo.class}, (proxy, method, args) ->
                switch (method.getName()) {
                    case "getBaseUri" -> BASE;
                    case "getBaseUriBuilder" -> UriBuilder.fromUri(BASE);
                    case "getRequestUri", "getAbsolutePath" -> request;
                    case "getRequestUriBuilder", "getAbsolutePathBuilder" -> UriBuilder.fromUri(request);
                    default -> throw new UnsupportedOperationException("UriInfo." + method.getName() + " in a test");
                });
    }

    RunsResource runs(String path) {
        request();
        RunsResource r = new RunsResource();
        r.runs = runQueries;
        r.workers = workerQueries;
        r.engine = engine;
        r.signals = new io.pgflowee.engine.control.Signals(ds, registry);
        r.uri = uri(path);
        return r;
    }

    FlowsResource flows(String path) {
        request();
        FlowsResource r = new FlowsResource();
        r.flowQueries = flowQueries;
        r.runQueries = runQueries;
        r.engine = engine;
        r.registry = registry;
        r.signals = new io.pgflowee.engine.control.Signals(ds, registry);
        r.workerQueries = workerQueries;
        r.uri = uri(path);
        r.maxBatchRuns = 3;
        return r;
    }

    SchedulesResource schedules() {
        request();
        SchedulesResource r = new SchedulesResource();
        r.queries = new io.pgflowee.engine.query.ScheduleQueries(em);
        r.engine = engine;
        r.uri = uri("schedules");
        return r;
    }

    WorkersResource workers() {
        request();
        WorkersResource r = new WorkersResource();
        r.workers = workerQueries;
        return r;
    }

    /** A flow {@code slug} with a root step {@code a} and a step {@code b} after it. */
    void twoStepFlow(String slug) {
        db.exec("select pgflow.create_flow(?, max_attempts => 2)", slug);
        db.exec("select pgflow.add_step(?, 'a')", slug);
        db.exec("select pgflow.add_step(?, 'b', ARRAY['a'], timeout => 30)", slug);
    }

    @Override
    public void close() {
        opened.forEach(EntityManager::close);
    }
}
