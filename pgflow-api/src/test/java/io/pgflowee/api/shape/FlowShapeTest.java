package io.pgflowee.api.shape;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.WhenExhausted;
import io.pgflowee.api.flow.WhenUnmet;
import jakarta.json.JsonValue;

public class FlowShapeTest {

    public static Flow<JsonValue> richFlow() {
        Flow<JsonValue> flow = Flow.define("rich", JsonValue.class).maxAttempts(2).timeout(10);
        Step<List<String>> root = flow.step("root", new io.pgflowee.api.flow.TypeRef<List<String>>() { })
                .when("{\"plan\": \"pro\"}").whenUnmet(WhenUnmet.SKIP_CASCADE).run(in -> List.of());
        Step<String> other = flow.step("other", String.class).baseDelay(7).startDelay(3).run(in -> "o");
        Step<List<Integer>> each = flow.map("each", Integer.class).over(root).whenExhausted(WhenExhausted.SKIP).run(String::length);
        flow.step("join", String.class).after(other, each).unless("{\"other\": {}}").run((o, e) -> o);
        flow.schedule("rich_nightly", " 0 3 * * MON-FRI ", jakarta.json.Json.createObjectBuilder().add("note", "it's").build())
                .timeZone("Europe/Berlin").catchUp(io.pgflowee.api.flow.Schedule.CatchUp.ALL);
        flow.schedule("rich.hourly", "@hourly");
        return flow;
    }

    @Test
    void theShapeOfAJavaFlowHasTheSqlForm() {
        assertThat(FlowShape.of(richFlow()).toJson().toString()).isEqualTo("{\"steps\":["
                + "{\"slug\":\"root\",\"stepType\":\"single\",\"dependencies\":[],\"whenUnmet\":\"skip-cascade\",\"whenExhausted\":\"fail\","
                + "\"requiredInputPattern\":{\"defined\":true,\"value\":{\"plan\":\"pro\"}},\"forbiddenInputPattern\":{\"defined\":false}},"
                + "{\"slug\":\"other\",\"stepType\":\"single\",\"dependencies\":[],\"whenUnmet\":\"skip\",\"whenExhausted\":\"fail\","
                + "\"requiredInputPattern\":{\"defined\":false},\"forbiddenInputPattern\":{\"defined\":false},\"options\":{\"baseDelay\":7,\"startDelay\":3}},"
                + "{\"slug\":\"each\",\"stepType\":\"map\",\"dependencies\":[\"root\"],\"whenUnmet\":\"skip\",\"whenExhausted\":\"skip\","
                + "\"requiredInputPattern\":{\"defined\":false},\"forbiddenInputPattern\":{\"defined\":false}},"
                + "{\"slug\":\"join\",\"stepType\":\"single\",\"dependencies\":[\"each\",\"other\"],\"whenUnmet\":\"skip\",\"whenExhausted\":\"fail\","
                + "\"requiredInputPattern\":{\"defined\":false},\"forbiddenInputPattern\":{\"defined\":true,\"value\":{\"other\":{}}}}],"
                + "\"options\":{\"maxAttempts\":2,\"timeout\":10}}");
    }

    @Test
    void parsingAShapeGivesItBackAndMissingKeysTakeDefaults() {
        FlowShape shape = FlowShape.of(richFlow());
        assertThat(FlowShape.parse(shape.toJson().toString())).isEqualTo(shape);
        FlowShape minimal = FlowShape.parse("{\"steps\": [{\"slug\": \"a\"}]}");
        assertThat(minimal.steps().get(0)).isEqualTo(new FlowShape.StepShape("a", "single", List.of(), "skip", "fail", null, null, null));
        assertThat(minimal.options()).isNull();
    }

    @Test
    void equalShapesHaveNoDifferencesAndOptionsAreNeverCompared() {
        FlowShape a = FlowShape.of(richFlow());
        FlowShape b = FlowShape.parse("{\"steps\": " + a.toJson().getJsonArray("steps").toString()
                .replace("\"baseDelay\":7", "\"baseDelay\":9") + "}");
        assertThat(a.differencesFrom(b)).isEmpty();
    }

    @Test
    void aStepChangedFromAHandlerToASignalIsAShapeChange() {
        io.pgflowee.api.flow.Flow<String> before = io.pgflowee.api.flow.Flow.define("orders", String.class);
        before.step("approval", Boolean.class).run(in -> true);
        io.pgflowee.api.flow.Flow<String> after = io.pgflowee.api.flow.Flow.define("orders", String.class);
        after.signal("approval", Boolean.class).timeout(60).await();
        assertThat(FlowShape.of(after).toJson().getJsonArray("steps").getJsonObject(0).getString("stepType")).isEqualTo("signal");
        assertThat(FlowShape.of(after).differencesFrom(FlowShape.of(before)))
                .containsExactly("Step at index 0: type differs 'signal' vs 'single'");
    }

    @Test
    void differencesAreWordedAsInSql() {
        FlowShape first = FlowShape.parse("{\"steps\": ["
                + "{\"slug\": \"a\"},"
                + "{\"slug\": \"b\", \"stepType\": \"map\", \"dependencies\": [\"a\"], \"whenUnmet\": \"fail\", \"whenExhausted\": \"skip\","
                + " \"requiredInputPattern\": {\"defined\": true, \"value\": {\"x\": 1, \"aa\": [true]}}},"
                + "{\"slug\": \"c\"}]}");
        FlowShape second = FlowShape.parse("{\"steps\": ["
                + "{\"slug\": \"a\"},"
                + "{\"slug\": \"bb\", \"dependencies\": [\"a\", \"z\"], \"forbiddenInputPattern\": {\"defined\": true, \"value\": {\"k\": null}}}]}");
        assertThat(first.differencesFrom(second)).containsExactly(
                "Step count differs: 3 vs 2",
                "Step at index 1: slug differs 'b' vs 'bb'",
                "Step at index 1: type differs 'map' vs 'single'",
                "Step at index 1: dependencies differ [a] vs [a, z]",
                "Step at index 1: whenUnmet differs 'fail' vs 'skip'",
                "Step at index 1: whenExhausted differs 'skip' vs 'fail'",
                "Step at index 1: requiredInputPattern differs {\"x\": 1, \"aa\": [true]} vs not defined",
                "Step at index 1: forbiddenInputPattern differs not defined vs {\"k\": null}",
                "Step at index 2: missing in second shape (first has 'c')");
        assertThat(second.differencesFrom(first)).contains("Step at index 2: missing in first shape (second has 'c')");
    }
}
