package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** "pgflow is ready (...)" counts what the user waited for: the build that ./pgflow ran first too. */
class ReadyLineTest {

    @Test
    void theBuildBeforeTheLauncherIsCountedWhenThereWasOne() {
        long launcher = 1_000_000_000_000L;
        assertThat(Launcher.readyAfter(23, launcher, Long.toString(launcher - 288_000))).isEqualTo("23 s; 311 s with the build");
        assertThat(Launcher.readyAfter(23, launcher, Long.toString(launcher - 400))).as("no build: the same second").isEqualTo("23 s");
        assertThat(Launcher.readyAfter(23, launcher, null)).as("the launcher jar started directly").isEqualTo("23 s");
        assertThat(Launcher.readyAfter(23, launcher, "soon")).isEqualTo("23 s");
    }
}
