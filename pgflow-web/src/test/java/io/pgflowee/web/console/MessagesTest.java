package io.pgflowee.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;

import org.junit.jupiter.api.Test;
/** The console's one wording of an action that did not happen. */
class MessagesTest {

    @Test
    void aRefusalIsShownAsTheEngineSaysItAndADatabaseFailureWithItsState() {
        // an EngineRefusal's message is the engine's own (its constructor is the engine's): any other exception stands in
        assertThat(Messages.why(new IllegalStateException("Run r is completed: only a started run can be cancelled")))
                .isEqualTo("Run r is completed: only a started run can be cancelled");
        assertThat(Messages.why(new SQLException("connection refused", "08001")))
                .isEqualTo("Database error 08001: connection refused");
    }
}
