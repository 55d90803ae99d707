package io.pgflowee.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import javax.sql.DataSource;

import org.eclipse.persistence.descriptors.ClassDescriptor;
import org.eclipse.persistence.jpa.JpaHelper;
import org.eclipse.persistence.mappings.DatabaseMapping;
import org.eclipse.persistence.mappings.DirectToFieldMapping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.pgflowee.testing.Db;
import io.pgflowee.testing.PgflowDatabaseExtension;
import jakarta.json.JsonValue;

/**
 * The read model against the catalog: every column of every engine table is mapped exactly once,
 * by an attribute of the column's type. A column added in a changelog without a mapping (or mapped
 * with the wrong type) fails the build here, naming the table and column.
 */
@ExtendWith(PgflowDatabaseExtension.class)
class MappingCheckTest {

    private static final Set<String> ENGINE_TABLES = Set.of("flows", "steps", "deps", "runs", "step_states", "step_tasks", "workers");

    @Test
    void everyColumnOfEveryEngineTableIsMappedOnceWithItsType(DataSource ds) throws Exception {
        Map<String, String> columns = new TreeMap<>();
        for (Map<String, Object> row : new Db(ds).rows("select table_name, column_name, udt_name from information_schema.columns"
                + " where table_schema = 'pgflow' and table_name in (select table_name from information_schema.tables"
                + " where table_schema = 'pgflow' and table_type = 'BASE TABLE')")) {
            columns.put(row.get("table_name") + "." + row.get("column_name"), (String) row.get("udt_name"));
        }
        assertThat(columns.keySet().stream().map(c -> c.substring(0, c.indexOf('.'))).distinct().sorted().toList())
                .as("the engine's tables (a new table needs an entity and an entry here)")
                .containsExactlyElementsOf(new TreeSet<>(ENGINE_TABLES));

        Map<String, Class<?>> mapped = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (ClassDescriptor descriptor : JpaHelper.getServerSession(ReadModel.factory(ds)).getDescriptors().values()) {
            String table = descriptor.getTableName();
            for (DatabaseMapping mapping : descriptor.getMappings()) {
                if (mapping instanceof DirectToFieldMapping direct) {
                    String column = table + "." + direct.getField().getName();
                    Field field = descriptor.getJavaClass().getDeclaredField(mapping.getAttributeName());
                    if (mapped.put(column, field.getType()) != null) {
                        problems.add(column + " is mapped twice");
                    }
                    String problem = typeProblem(columns.get(column), field.getType(), direct.getConverter() != null);
                    if (problem != null) {
                        problems.add(column + " (" + columns.get(column) + ") is mapped by " + descriptor.getJavaClass().getSimpleName()
                                + "." + field.getName() + " of type " + field.getType().getSimpleName() + ": " + problem);
                    }
                }
            }
        }
        for (String column : columns.keySet()) {
            if (!mapped.containsKey(column)) {
                problems.add(column + " (" + columns.get(column) + ") is not mapped: add it to its entity in io.pgflowee.engine.model");
            }
        }
        assertThat(problems).isEmpty();
        assertThat(mapped).hasSameSizeAs(columns);
    }

    private static String typeProblem(String udt, Class<?> type, boolean converted) {
        if (udt == null) {
            return "no such column in the database";
        }
        boolean ok = switch (udt) {
            case "uuid" -> type == UUID.class;
            case "text" -> type == String.class || (type.isEnum() && converted);
            case "int4" -> type == int.class || type == Integer.class;
            case "bool" -> type == boolean.class || type == Boolean.class;
            case "timestamptz" -> type == OffsetDateTime.class;
            case "jsonb" -> type == JsonValue.class && converted;
            case "numeric" -> type == java.math.BigDecimal.class;
            default -> false;
        };
        return ok ? null : "expected " + switch (udt) {
            case "uuid" -> "UUID";
            case "text" -> "String or an enum with a converter (DbValue, or a DSL enum)";
            case "int4" -> "int or Integer";
            case "bool" -> "boolean";
            case "timestamptz" -> "OffsetDateTime";
            case "jsonb" -> "JsonValue with Converters.JsonConverter";
            case "numeric" -> "BigDecimal";
            default -> "a mapping for this column type (extend this check)";
        };
    }
}
