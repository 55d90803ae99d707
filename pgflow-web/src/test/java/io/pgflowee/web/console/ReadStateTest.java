package io.pgflowee.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.pgflowee.engine.db.ReadReplicas;

/**
 * The console's note about where its pages read: nothing without a replica or with one close
 * behind; the lag, to a tenth of a second, past one second; the reason while reads are on the primary.
 */
class ReadStateTest {

    private static ReadState with(boolean configured, ReadReplicas.Status status) {
        ReadState state = new ReadState();
        state.replicas = new ReadReplicas() {
            @Override
            public boolean configured() {
                return configured;
            }

            @Override
            public Status status() {
                return status;
            }
        };
        return state;
    }

    @Test
    void theNoteSaysHowFarBehindThePagesAreOrWhyTheyReadThePrimary() {
        Instant now = Instant.now();
        assertThat(with(false, new ReadReplicas.Status(ReadReplicas.State.OFF, 0, 0, now, null)).isShown()).isFalse();
        assertThat(with(true, new ReadReplicas.Status(ReadReplicas.State.UP, 1_000, 10, now, null)).isShown())
                .as("a second behind is not noticed").isFalse();

        ReadState behind = with(true, new ReadReplicas.Status(ReadReplicas.State.UP, 2_345, 10_000, now, null));
        assertThat(behind.isShown()).isTrue();
        assertThat(behind.getText()).isEqualTo("Pages read a replica 2.3 s behind the primary: the last changes may be missing.");

        ReadState down = with(true, new ReadReplicas.Status(ReadReplicas.State.DOWN, -1, -1, now,
                "the replica cannot be read: Connection refused"));
        assertThat(down.getText()).isEqualTo("Pages read the primary: the replica cannot be read: Connection refused.");
        ReadState lagging = with(true, new ReadReplicas.Status(ReadReplicas.State.LAGGING, 7_000, 99, now,
                "the replica is 7000 ms behind the primary, over pgflow.db.readMaxLagMillis=5000"));
        assertThat(lagging.getText())
                .isEqualTo("Pages read the primary: the replica is 7000 ms behind the primary, over pgflow.db.readMaxLagMillis=5000.");
    }
}
