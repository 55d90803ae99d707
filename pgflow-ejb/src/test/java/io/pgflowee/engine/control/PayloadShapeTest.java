package io.pgflowee.engine.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.pgflowee.api.flow.TypeRef;
import io.pgflowee.api.json.JsonCodec;
import jakarta.json.bind.annotation.JsonbProperty;

/** A signal payload's shape against its Java type, strictly where JSON-B is lenient. */
class PayloadShapeTest {

    public enum Verdict { ACCEPT, DECLINE }

    public record Approval(boolean approved, String by, @JsonbProperty("limit_eur") BigDecimal limit, Verdict verdict, List<Integer> codes) {
    }

    private static Optional<String> check(String json, java.lang.reflect.Type type) {
        return PayloadShape.mismatch(JsonCodec.parse(json), type);
    }

    @Test
    void whatFitsPassesAndEachMismatchIsNamedByItsPath() {
        assertThat(check("{\"approved\": true, \"by\": \"ann\", \"limit_eur\": 10.5, \"verdict\": \"ACCEPT\", \"codes\": [1, 2]}",
                Approval.class)).isEmpty();
        assertThat(check("{\"approved\": false}", Approval.class)).as("nullable members may be missing").isEmpty();
        assertThat(check("{\"approved\": \"maybe\"}", Approval.class)).contains("$.approved must be true or false, got \"maybe\"");
        assertThat(check("{\"by\": \"ann\"}", Approval.class)).contains("$.approved is missing but must be a boolean");
        assertThat(check("{\"approved\": true, \"by\": 7}", Approval.class)).contains("$.by must be a string, got 7");
        assertThat(check("{\"approved\": true, \"limit_eur\": \"10\"}", Approval.class)).contains("$.limit_eur must be a number, got \"10\"");
        assertThat(check("{\"approved\": true, \"verdict\": \"MAYBE\"}", Approval.class))
                .contains("$.verdict must be one of [ACCEPT, DECLINE], got \"MAYBE\"");
        assertThat(check("{\"approved\": true, \"codes\": [1, \"2\"]}", Approval.class)).contains("$.codes[1] must be a number, got \"2\"");
        assertThat(check("[1]", Approval.class)).contains("$ must be an object, got [1]");
        assertThat(check("\"yes\"", Boolean.class)).contains("$ must be true or false, got \"yes\"");
        assertThat(check("[\"a\", 1]", new TypeRef<List<String>>() { }.type())).contains("$[1] must be a string, got 1");
        assertThat(check("{\"anything\": [1]}", jakarta.json.JsonValue.class)).as("JSON types are left to JSON-B").isEmpty();
    }
}
