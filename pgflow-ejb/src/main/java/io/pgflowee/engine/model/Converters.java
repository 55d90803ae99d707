package io.pgflowee.engine.model;

import io.pgflowee.api.json.Jsonp;

import java.io.StringReader;

import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/** The attribute converters of the read model: statuses and modes as enums, jsonb as {@link JsonValue}. */
public final class Converters {

    private Converters() {
    }

    /** Maps an enum to its text value and back; reading an unknown value fails, naming the column. */
    abstract static class EnumConverter<E extends Enum<E> & DbValue> implements AttributeConverter<E, String> {
        private final Class<E> type;
        private final String column;

        EnumConverter(Class<E> type, String column) {
            this.type = type;
            this.column = column;
        }

        @Override
        public String convertToDatabaseColumn(E value) {
            return value == null ? null : value.dbValue();
        }

        @Override
        public E convertToEntityAttribute(String value) {
            return DbValue.parse(type, column, value);
        }
    }

    @Converter
    public static class RunStatusConverter extends EnumConverter<RunStatus> {
        public RunStatusConverter() {
            super(RunStatus.class, "pgflow.runs.status");
        }
    }

    @Converter
    public static class StepStatusConverter extends EnumConverter<StepStatus> {
        public StepStatusConverter() {
            super(StepStatus.class, "pgflow.step_states.status");
        }
    }

    @Converter
    public static class TaskStatusConverter extends EnumConverter<TaskStatus> {
        public TaskStatusConverter() {
            super(TaskStatus.class, "pgflow.step_tasks.status");
        }
    }

    /**
     * Maps an enum of the flow DSL ({@code io.pgflowee.api.flow}) to the text value the SQL functions
     * store ({@code sqlValue()}) and back: the read model speaks the DSL's own types, not copies of them.
     */
    abstract static class DslEnumConverter<E extends Enum<E>> implements AttributeConverter<E, String> {
        private final Class<E> type;
        private final String column;
        private final java.util.function.Function<E, String> sql;

        DslEnumConverter(Class<E> type, String column, java.util.function.Function<E, String> sql) {
            this.type = type;
            this.column = column;
            this.sql = sql;
        }

        @Override
        public String convertToDatabaseColumn(E value) {
            return value == null ? null : sql.apply(value);
        }

        @Override
        public E convertToEntityAttribute(String value) {
            if (value == null) {
                return null;
            }
            for (E e : type.getEnumConstants()) {
                if (sql.apply(e).equals(value)) {
                    return e;
                }
            }
            throw new IllegalStateException("pgflow: " + column + " holds '" + value + "', which this server does not know (known: "
                    + java.util.Arrays.stream(type.getEnumConstants()).map(sql).collect(java.util.stream.Collectors.joining(", "))
                    + "); is the database schema newer than this server?");
        }
    }

    @Converter
    public static class StepTypeConverter extends DslEnumConverter<io.pgflowee.api.flow.StepType> {
        public StepTypeConverter() {
            super(io.pgflowee.api.flow.StepType.class, "pgflow.steps.step_type", io.pgflowee.api.flow.StepType::sqlValue);
        }
    }

    @Converter
    public static class WhenUnmetConverter extends DslEnumConverter<io.pgflowee.api.flow.WhenUnmet> {
        public WhenUnmetConverter() {
            super(io.pgflowee.api.flow.WhenUnmet.class, "pgflow.steps.when_unmet", io.pgflowee.api.flow.WhenUnmet::sqlValue);
        }
    }

    @Converter
    public static class WhenExhaustedConverter extends DslEnumConverter<io.pgflowee.api.flow.WhenExhausted> {
        public WhenExhaustedConverter() {
            super(io.pgflowee.api.flow.WhenExhausted.class, "pgflow.steps.when_exhausted", io.pgflowee.api.flow.WhenExhausted::sqlValue);
        }
    }

    @Converter
    public static class SkipReasonConverter extends EnumConverter<SkipReason> {
        public SkipReasonConverter() {
            super(SkipReason.class, "pgflow.step_states.skip_reason");
        }
    }

    /**
     * A nullable uuid column. EclipseLink 4.0.7's own UUID conversion fails on SQL NULL
     * ({@code NullPointerException} in {@code UUIDConverter}), so nullable uuid columns use this one.
     */
    @Converter
    public static class NullableUuidConverter implements AttributeConverter<java.util.UUID, Object> {
        @Override
        public Object convertToDatabaseColumn(java.util.UUID value) {
            return value;
        }

        @Override
        public java.util.UUID convertToEntityAttribute(Object value) {
            return value == null ? null : value instanceof java.util.UUID u ? u : java.util.UUID.fromString(value.toString());
        }
    }

    /**
     * jsonb as {@link JsonValue}. The driver hands jsonb over as an object whose text is the JSON;
     * JSON {@code null} is read as {@link JsonValue#NULL} (SQL NULL as Java null).
     */
    @Converter
    public static class JsonConverter implements AttributeConverter<JsonValue, Object> {
        @Override
        public Object convertToDatabaseColumn(JsonValue value) {
            return value == null ? null : value.toString();
        }

        @Override
        public JsonValue convertToEntityAttribute(Object value) {
            if (value == null) {
                return null;
            }
            String text = value.toString();
            try (var reader = Jsonp.createReader(new StringReader(text))) {
                return reader.readValue();
            } catch (JsonParsingException e) {
                throw new IllegalStateException("pgflow: a jsonb column holds text that is not JSON: " + text, e);
            }
        }
    }
}
