package io.pgflowee.web.rest.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** The API's records: declared member order, nulls, and the request bodies' exact errors. */
class ApiJsonTest {

    /** Every record of the package, nested ones included, read from the compiled classes. */
    private static List<Class<?>> records() throws IOException, URISyntaxException, ClassNotFoundException {
        Path dir = Path.of(ApiJson.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(ApiJson.class.getPackageName().replace('.', '/'));
        List<Class<?>> records = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String name = f.getFileName().toString();
                Class<?> type = Class.forName(ApiJson.class.getPackageName() + "." + name.substring(0, name.length() - 6));
                if (type.isRecord()) {
                    records.add(type);
                }
            }
        }
        return records;
    }

    @Test
    void everyRecordDeclaresItsMembersInTheOrderOfItsComponents() throws Exception {
        List<Class<?>> records = records();
        assertThat(records).extracting(c -> c.getName().substring(ApiJson.class.getPackageName().length() + 1)).contains("Run", "RunDetail", "RunDetail$StepState", "RunDetail$Task",
                "RunDetail$Attempt", "RunPage", "StatusTotals", "StartedRuns", "StartedRuns$Item", "Flow", "Flow$Step", "Worker", "RunEvent",
                "Problem", "JobExecution", "JobExecution$Step", "CancelRequest", "ConcurrencyRequest");
        for (Class<?> type : records) {
            List<String> components = Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
            JsonbPropertyOrder order = type.getAnnotation(JsonbPropertyOrder.class);
            if (components.size() > 1) {
                assertThat(order).as(type.getName() + " has no @JsonbPropertyOrder").isNotNull();
                assertThat(order.value()).as(type.getName()).containsExactlyElementsOf(components);
            }
        }
    }

    @Test
    void problemsLeaveOutWhatIsNotKnownAndRunsWriteNulls() {
        assertThat(ApiJson.write(Problem.of(404, "Unknown run", "Run x does not exist", "/api/runs/x", null)))
                .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Unknown run\",\"status\":404,\"detail\":\"Run x does not exist\","
                        + "\"instance\":\"/api/runs/x\"}");
        assertThat(ApiJson.write(Problem.of(500, "Internal error", "see the log", null, null).withErrorId("e1")))
                .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Internal error\",\"status\":500,\"detail\":\"see the log\",\"errorId\":\"e1\"}");
        assertThat(ApiJson.write(new Run("r", "f", "started", jakarta.json.JsonValue.EMPTY_JSON_OBJECT, jakarta.json.JsonValue.NULL, 2,
                "2026-12-02T10:00Z", null, null, null, null, 0, null, null, null, null, null, null, "r", "customer-7", 5)))
                .isEqualTo("{\"runId\":\"r\",\"flowSlug\":\"f\",\"status\":\"started\",\"input\":{},\"output\":null,\"remainingSteps\":2,"
                        + "\"startedAt\":\"2026-12-02T10:00Z\",\"completedAt\":null,\"failedAt\":null,\"cancelledAt\":null,"
                        + "\"cancelReason\":null,\"retryCount\":0,\"lastRetriedAt\":null,\"restartOfRunId\":null,\"idempotencyKey\":null,"
                        + "\"parentRunId\":null,\"parentStepSlug\":null,\"parentTaskIndex\":null,\"rootRunId\":\"r\",\"concurrencyKey\":\"customer-7\","
                        + "\"priority\":5}");
        assertThat(ApiJson.write(new RunDetail(new Run("r", "f", "started", jakarta.json.JsonValue.EMPTY_JSON_OBJECT,
                jakarta.json.JsonValue.NULL, 1, "t", null, null, null, null, 0, null, null, null, null, null, null, "r", null, 0), null, null)))
                .as("a minimal answer: the run only").startsWith("{\"run\":{\"runId\":\"r\"").endsWith("\"concurrencyKey\":null,\"priority\":0}}");
    }

    @Test
    void aCancelBodyIsEmptyOrAReasonAndAnythingElseIsNamed() {
        assertThat(CancelRequest.parse(null).reason()).isNull();
        assertThat(CancelRequest.parse("  ").reason()).isNull();
        assertThat(CancelRequest.parse("{\"reason\": null}").reason()).isNull();
        assertThat(CancelRequest.parse("{\"reason\": \"customer withdrew\"}").reason()).isEqualTo("customer withdrew");
        assertThatThrownBy(() -> CancelRequest.parse("{\"why\": \"x\"}")).hasMessage("unknown field \"why\": the body must be empty or"
                + " {\"reason\": \"...\"}");
        assertThatThrownBy(() -> CancelRequest.parse("[1]")).hasMessage("the body must be empty or {\"reason\": \"...\"}");
        assertThatThrownBy(() -> CancelRequest.parse("{\"reason\": 5}")).hasMessage("the body must be empty or {\"reason\": \"...\"}");
        assertThatThrownBy(() -> CancelRequest.parse("{\"reason\": \"" + "x".repeat(1001) + "\"}"))
                .hasMessage("the reason has 1001 characters; at most 1000");
    }

    @Test
    void aConcurrencyBodyIsAWholeNumberOrNullAndAnythingElseIsNamed() {
        String shape = "the body must be {\"maxRunning\": <a whole number, 1 or more>} or {\"maxRunning\": null}";
        assertThat(ConcurrencyRequest.parse("{\"maxRunning\": 5}").maxRunning()).isEqualTo(5);
        assertThat(ConcurrencyRequest.parse("{\"maxRunning\": null}").maxRunning()).isNull();
        assertThatThrownBy(() -> ConcurrencyRequest.parse("{\"limit\": 5}")).hasMessage(shape + "; got the fields [limit]");
        assertThatThrownBy(() -> ConcurrencyRequest.parse("{\"maxRunning\": 1.5}")).hasMessage(shape + "; got maxRunning 1.5");
        assertThatThrownBy(() -> ConcurrencyRequest.parse("{\"maxRunning\": 99999999999}")).hasMessage(shape);
        assertThatThrownBy(() -> ConcurrencyRequest.parse("")).hasMessage(shape);
        assertThatThrownBy(() -> ConcurrencyRequest.parse("[]")).hasMessage(shape);
        // below 1 is the engine's to refuse (422), not a malformed body
        assertThat(ConcurrencyRequest.parse("{\"maxRunning\": 0}").maxRunning()).isZero();
    }
}
