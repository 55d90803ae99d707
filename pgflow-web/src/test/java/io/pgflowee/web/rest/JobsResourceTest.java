package io.pgflowee.web.rest;

import static io.pgflowee.web.rest.RunsResourceTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgflowee.engine.jobs.JobDatabase;
import io.pgflowee.engine.jobs.JobService;
import io.pgflowee.web.rest.json.ApiJson;
import io.pgflowee.web.rest.json.JobExecution;

import jakarta.ws.rs.WebApplicationException;

/**
 * {@link JobsResource}: an execution's JSON and the answers to bad ids and limits. (Running jobs needs
 * the server's batch runtime: JobsIT; their SQL: JobDatabaseTest.)
 */
class JobsResourceTest {

    @Test
    void anExecutionIsWrittenWithItsStepsPartitionsAndSkippedItems() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("flow", "greet_user");
        params.put("path", "/data/users.csv");
        Map<String, Long> metrics = new LinkedHashMap<>();
        metrics.put("READ_COUNT", 10L);
        metrics.put("WRITE_COUNT", 9L);
        JobService.ExecutionView view = new JobService.ExecutionView(7, 3, "pgflow-backfill", "COMPLETED", "COMPLETED",
                new Date(1_764_670_000_000L), new Date(1_764_670_001_000L), new Date(1_764_670_004_000L), params,
                List.of(new JobService.StepView("start-runs", "COMPLETED", metrics, null)),
                List.<String[]>of(new String[] {"line 4", "not JSON"}), null, "host-1/42", false,
                List.of(new JobDatabase.Partition("greet_user", 9, true, 1.5)));

        assertThat(ApiJson.write(JobExecution.of(view))).isEqualTo("{\"executionId\":7,\"instanceId\":3,\"job\":\"pgflow-backfill\","
                + "\"status\":\"COMPLETED\",\"exitStatus\":\"COMPLETED\",\"createdAt\":\"2025-12-02T10:06:40Z\","
                + "\"startedAt\":\"2025-12-02T10:06:41Z\",\"endedAt\":\"2025-12-02T10:06:44Z\",\"failure\":null,\"server\":\"host-1/42\","
                + "\"serverLost\":false,\"elapsedSeconds\":3,\"parameters\":{\"flow\":\"greet_user\",\"path\":\"/data/users.csv\"},"
                + "\"steps\":[{\"step\":\"start-runs\",\"status\":\"COMPLETED\",\"metrics\":{\"READ_COUNT\":10,\"WRITE_COUNT\":9}}],"
                + "\"partitions\":[{\"partition\":\"greet_user\",\"items\":9,\"done\":true}],"
                + "\"skipped\":[{\"item\":\"line 4\",\"reason\":\"not JSON\"}]}");
    }

    @Test
    void anExecutionNotYetStartedHasNoElapsedTime() {
        JobService.ExecutionView view = new JobService.ExecutionView(8, 4, "pgflow-prune", "STARTING", null, new Date(0), null, null,
                Map.of(), List.of(), List.of(), null, null, false, List.of());

        assertThat(ApiJson.write(JobExecution.of(view))).doesNotContain("elapsedSeconds").contains("\"startedAt\":null,\"endedAt\":null");
    }

    @Test
    void badIdsAndLimitsAnswer400BeforeAnythingRuns() {
        JobsResource jobs = new JobsResource();
        assertThatThrownBy(() -> jobs.get("seven")).isInstanceOfSatisfying(WebApplicationException.class, e -> assertProblem(e.getResponse(),
                400, "Invalid execution id", "'seven' is not a job execution id (a whole number)"));
        assertThatThrownBy(() -> jobs.stop("-")).isInstanceOfSatisfying(WebApplicationException.class, e -> assertProblem(e.getResponse(),
                400, "Invalid execution id", "'-' is not a job execution id (a whole number)"));
        assertThatThrownBy(() -> jobs.list(201)).isInstanceOfSatisfying(WebApplicationException.class, e -> assertProblem(e.getResponse(),
                400, "Invalid limit", "limit must be between 1 and 200, got 201"));
        assertThatThrownBy(() -> jobs.start("pgflow-backfill", "[1]")).isInstanceOfSatisfying(WebApplicationException.class,
                e -> assertProblem(e.getResponse(), 400, "Invalid parameters", "the body must be a JSON object of parameters"));
    }
}
