package io.pgflowee.web.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ServiceConfigurationError;

import org.junit.jupiter.api.Test;

/** A refused database privilege is told as such, however deep the container wrapped it. */
class ApiErrorsTest {

    @Test
    void aRefusedPrivilegeIsFoundInTheCauseChainWithPostgresFirstLine() {
        // what Payara's batch runtime threw when the server's role could not create its repository tables
        Throwable batch = new ServiceConfigurationError("jakarta.batch.operations.JobOperator: Provider could not be instantiated",
                new RuntimeException("BatchContainerServiceException",
                        new SQLException("ERROR: permission denied for schema public\n  Position: 14", "42501")));
        assertThat(ApiErrors.UnexpectedMapper.privilegeDenied(batch)).isEqualTo("ERROR: permission denied for schema public");
        assertThat(ApiErrors.UnexpectedMapper.privilegeDenied(new RuntimeException(new SQLException("ERROR: deadlock", "40P01"))))
                .isNull();
        assertThat(ApiErrors.UnexpectedMapper.privilegeDenied(new IllegalStateException("no SQL at all"))).isNull();
    }
}
