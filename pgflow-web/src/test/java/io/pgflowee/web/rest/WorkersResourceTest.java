package io.pgflowee.web.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.PgflowDatabaseExtension;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

/** {@link WorkersResource} in-JVM on a real PostgreSQL: live workers first, stopped ones after, in the API's shape. */
@ExtendWith(PgflowDatabaseExtension.class)
class WorkersResourceTest {

    private ApiFixture api;

    @BeforeEach
    void setUp(DataSource ds) {
        PgflowDatabaseExtension.resetRuntimeData(ds);
        api = new ApiFixture(ds);
        api.twoStepFlow("wq");
    }

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void workersListLiveOnesFirstWithTheirServerAndHeartbeatAge() {
        UUID live = UUID.fromString("00000000-0000-4000-8000-00000000000a");
        UUID stopped = UUID.fromString("00000000-0000-4000-8000-00000000000b");
        api.db.exec("select pgflow.register_worker(?, 'wq', 'host-1/42')", stopped);
        api.db.exec("update pgflow.workers set stopped_at = now() where worker_id = ?", stopped);
        api.db.exec("select pgflow.register_worker(?, 'wq', 'host-2/7')", live);

        JsonArray workers = Json.createReader(new StringReader(api.workers().list())).readArray();

        assertThat(workers.getValuesAs(JsonObject.class)).extracting(w -> w.getString("workerId") + " " + w.getString("server") + " "
                + w.getBoolean("live") + " " + w.isNull("stoppedAt")).containsExactly(live + " host-2/7 true true", stopped + " host-1/42 false false");
        assertThat(workers.getJsonObject(0).keySet()).containsExactly("workerId", "flowSlug", "server", "live", "heartbeatAgeMs", "startedAt",
                "lastHeartbeat", "stoppedAt", "deprecatedAt");
        assertThat(workers.getJsonObject(0).getJsonNumber("heartbeatAgeMs").longValue()).isBetween(0L, 60_000L);
    }
}
