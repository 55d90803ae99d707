package io.pgflowee.engine.db;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a flow that could not be migrated is told: one line, the database's message and its fix, no context lines. */
class FlowMigrationProblemsTest {

    @Test
    void theDatabasesMessageBecomesOneLineWithItsHintAsTheFix() {
        String message = "ERROR: Flow 'greet_user' changed after it was applied: Step count differs: 2 vs 1\n"
                + "  Hint: Flows are immutable once applied. Give the changed flow a new slug.\n"
                + "  Where: PL/pgSQL function pgflow.verify_compiled_flow(text,jsonb) line 12 at RAISE";
        assertThat(SchemaMigrator.oneLine(message)).isEqualTo("Flow 'greet_user' changed after it was applied: Step count differs: 2 vs 1"
                + " Fix: Flows are immutable once applied. Give the changed flow a new slug.");
        assertThat(SchemaMigrator.flowOf("pgflow/db/flows/greet_user.sql")).isEqualTo("greet_user");
    }
}
