package io.pgflowee.web.console;

import java.io.Serializable;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;

import io.pgflowee.api.json.JsonCodec;
import io.pgflowee.api.json.Jsonp;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

/**
 * The one-click answers the run page offers for a waiting signal step whose payload type is a
 * simple choice: {@code Boolean} (Approve = {@code true}, Reject = {@code false}), an enum (one
 * button per constant, its name as a JSON string), or a record with exactly one {@code boolean} or
 * enum component and otherwise only {@code String} components (the choice sets that component; a
 * String component named {@code by} gets the operator's name, the others stay null). Any other
 * type: none (the JSON form remains).
 */
public final class SignalChoices {

    /** A button: its label and the payload it sends (JSON text). */
    public record Choice(String label, String payload) implements Serializable {
        public String getLabel() {
            return label;
        }

        public String getPayload() {
            return payload;
        }
    }

    private SignalChoices() {
    }

    static List<Choice> of(Type type, String operator) {
        if (type == Boolean.class || type == boolean.class) {
            return List.of(new Choice("Approve", "true"), new Choice("Reject", "false"));
        }
        if (type instanceof Class<?> c && c.isEnum()) {
            List<Choice> out = new ArrayList<>();
            for (Object constant : c.getEnumConstants()) {
                String name = ((Enum<?>) constant).name();
                out.add(new Choice(name, Jsonp.createValue(name).toString()));
            }
            return out;
        }
        if (type instanceof Class<?> c && c.isRecord()) {
            return ofRecord(c, operator);
        }
        return List.of();
    }

    private static List<Choice> ofRecord(Class<?> type, String operator) {
        RecordComponent choice = null;
        for (RecordComponent rc : type.getRecordComponents()) {
            Class<?> t = rc.getType();
            boolean chooses = t == boolean.class || t == Boolean.class || t.isEnum();
            if (chooses && choice == null) {
                choice = rc;
            } else if (chooses || t != String.class) {
                return List.of(); // a second choice, or a component the console cannot fill
            }
        }
        if (choice == null) {
            return List.of();
        }
        List<Choice> out = new ArrayList<>();
        Class<?> t = choice.getType();
        if (t.isEnum()) {
            for (Object constant : t.getEnumConstants()) {
                String name = ((Enum<?>) constant).name();
                out.add(new Choice(name, payload(type, choice, Jsonp.createValue(name), operator)));
            }
        } else {
            out.add(new Choice("Approve", payload(type, choice, JsonValue.TRUE, operator)));
            out.add(new Choice("Reject", payload(type, choice, JsonValue.FALSE, operator)));
        }
        return out;
    }

    private static String payload(Class<?> type, RecordComponent choice, JsonValue value, String operator) {
        JsonObjectBuilder b = Jsonp.createObjectBuilder().add(JsonCodec.propertyName(choice), value);
        for (RecordComponent rc : type.getRecordComponents()) {
            if (rc.getName().equals("by") && rc.getType() == String.class) {
                b.add(JsonCodec.propertyName(rc), operator);
            }
        }
        return b.build().toString();
    }
}
