package io.pgflowee.api.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.StepDataException;
import io.pgflowee.api.flow.TestContext;
import io.pgflowee.api.flow.TypeRef;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

class JsonCodecTest {

    public record Point(int x, int y) {
    }

    public static class Pojo {
        private String name;
        private List<Integer> scores;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public List<Integer> getScores() {
            return scores;
        }

        public void setScores(List<Integer> scores) {
            this.scores = scores;
        }
    }

    /** Not serialisable: JSON-B cannot write a getter that throws. */
    public static class Broken {
        public String getValue() {
            throw new IllegalStateException("no value yet");
        }
    }

    private final JsonCodec codec = JsonCodec.create();

    @Test
    void nullZeroFalseAndEmptyStringAreStoredAsWhatTheyAre() {
        assertThat(codec.encode(null)).isEqualTo("null");
        assertThat(codec.encode(0)).isEqualTo("0");
        assertThat(codec.encode(false)).isEqualTo("false");
        assertThat(codec.encode("")).isEqualTo("\"\"");
        assertThat(codec.decode(JsonValue.NULL, String.class)).isNull();
        assertThat(codec.decode(null, Integer.class)).isNull();
        assertThat(codec.decode(JsonCodec.parse("0"), Integer.class)).isEqualTo(0);
        assertThat(codec.decode(JsonValue.FALSE, Boolean.class)).isEqualTo(false);
        assertThat(codec.decode(JsonCodec.parse("\"\""), String.class)).isEqualTo("");
        assertThat(codec.decode(JsonValue.NULL, JsonValue.class)).isEqualTo(JsonValue.NULL);
    }

    @Test
    void recordsPojosListsNumbersAndJsonValuesRoundTrip() {
        assertThat(codec.encode(new Point(1, 2))).isEqualTo("{\"x\":1,\"y\":2}");
        assertThat(codec.decode(JsonCodec.parse("{\"x\": 3, \"y\": 4}"), Point.class)).isEqualTo(new Point(3, 4));
        Pojo pojo = (Pojo) codec.decode(JsonCodec.parse("{\"name\": \"n\", \"scores\": [1, 2]}"), Pojo.class);
        assertThat(pojo.getName()).isEqualTo("n");
        assertThat(pojo.getScores()).containsExactly(1, 2);
        assertThat(codec.encode(pojo)).isEqualTo("{\"name\":\"n\",\"scores\":[1,2]}");
        assertThat(codec.decode(JsonCodec.parse("[{\"x\": 1, \"y\": 1}]"), new TypeRef<List<Point>>() { }.type()))
                .isEqualTo(List.of(new Point(1, 1)));
        assertThat(codec.encode(List.of("a", "b"))).isEqualTo("[\"a\",\"b\"]");
        assertThat(codec.decode(JsonCodec.parse("12.50"), BigDecimal.class)).isEqualTo(new BigDecimal("12.50"));
        assertThat(codec.encode(new BigDecimal("12.50"))).isEqualTo("12.50");
        assertThat(codec.decode(JsonCodec.parse("true"), boolean.class)).isEqualTo(true);
        assertThat(codec.encode(Map.of("k", 1))).isEqualTo("{\"k\":1}");
        JsonObject object = Json.createObjectBuilder().add("a", JsonValue.NULL).build();
        assertThat(codec.decode(object, JsonObject.class)).isSameAs(object);
        assertThat(codec.decode(object, JsonValue.class)).isSameAs(object);
        assertThat(codec.encode(object)).isEqualTo("{\"a\":null}");
        assertThat(codec.decode(JsonCodec.parse("\"s\""), Object.class)).isEqualTo(Json.createValue("s"));
    }

    @Test
    void aJsonValueOfTheWrongKindIsNamed() {
        assertThatThrownBy(() -> codec.decode(JsonCodec.parse("[1]"), JsonObject.class))
                .hasMessage("expected JsonObject but the JSON is a array");
    }

    @Test
    void malformedJsonNamesWhereItBroke() {
        assertThatThrownBy(() -> JsonCodec.parse("{\"a\": 1,, \"b\": 2}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid JSON at line 1, column 9 (offset 8): ");
    }

    @Test
    void anOutputThatCannotBeSerialisedFailsTheTaskNamingTheStepAndType() {
        Flow<JsonValue> flow = Flow.define("f", JsonValue.class);
        flow.step("s", Broken.class).run(in -> new Broken());
        assertThatThrownBy(() -> flow.stepNamed("s").execute(JsonValue.EMPTY_JSON_OBJECT,
                TestContext.of("f", "s", 0, "{}"), codec))
                .isInstanceOf(StepDataException.class)
                .hasMessageStartingWith("Step \"s\" of flow \"f\" returned a value of type "
                        + "io.pgflowee.api.json.JsonCodecTest$Broken that cannot be serialised to JSON: ")
                .hasMessageContaining("no value yet");
    }

    @Test
    void anInputThatDoesNotFitTheHandlerTypeIsNamed() {
        Flow<Point> flow = Flow.define("f", Point.class);
        flow.step("s", Integer.class).run(p -> p.x());
        assertThatThrownBy(() -> flow.stepNamed("s").execute(JsonValue.EMPTY_JSON_OBJECT,
                TestContext.of("f", "s", 0, "{\"x\": \"one\"}"), codec))
                .isInstanceOf(StepDataException.class)
                .hasMessageStartingWith("Step \"s\" of flow \"f\" cannot read the flow input as io.pgflowee.api.json.JsonCodecTest$Point: ");
    }

    @Test
    void jsonbTextMatchesPostgresOutput() {
        JsonValue v = JsonCodec.parse("{\"bb\": [1, 2.50, 1e3], \"a\": {\"zz\": null, \"y\": \"q\\\"\\n\"}, \"ccc\": true}");
        assertThat(JsonbText.of(v)).isEqualTo("{\"a\": {\"y\": \"q\\\"\\n\", \"zz\": null}, \"bb\": [1, 2.50, 1000], \"ccc\": true}");
    }

    @Test
    void parseRefusesTrailingContentEmptyInputAndNestingDeeperThanAThousandLevels() {
        assertThat(JsonCodec.parse(" {\"a\": [1, 2]} \n").toString()).isEqualTo("{\"a\":[1,2]}");
        assertThatThrownBy(() -> JsonCodec.parse("{} x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid JSON");
        assertThatThrownBy(() -> JsonCodec.parse("{\"a\": 1}}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid JSON");
        assertThatThrownBy(() -> JsonCodec.parse("  ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid JSON");
        assertThatThrownBy(() -> JsonCodec.parse("[".repeat(5000) + "]".repeat(5000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid JSON").hasMessageContaining("nested");
        assertThat(JsonCodec.parse("[".repeat(500) + "]".repeat(500)).getValueType()).isEqualTo(JsonValue.ValueType.ARRAY);
    }
}
