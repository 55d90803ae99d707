package io.pgflowee.web.rest.json;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;

/**
 * Writes the API's records as JSON, the one way every resource, the event streams and the error
 * mappers do: JSON-B, members in each record's declared order ({@code @JsonbPropertyOrder}, checked
 * by {@code ApiJsonTest}), nulls written where a record says {@code @JsonbNillable}, times as
 * ISO-8601 text.
 */
public final class ApiJson {

    private static final Jsonb JSONB = JsonbBuilder.create(new JsonbConfig());

    private ApiJson() {
    }

    /** {@code value} (a record of this package, or a list of them) as JSON text. */
    public static String write(Object value) {
        return JSONB.toJson(value);
    }

    /** A time as the API writes it ({@link OffsetDateTime#toString()}), or null. */
    public static String time(OffsetDateTime t) {
        return t == null ? null : t.toString();
    }

    /** An id as text, or null. */
    static String id(UUID id) {
        return id == null ? null : id.toString();
    }
}
