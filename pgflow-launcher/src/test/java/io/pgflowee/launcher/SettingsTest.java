package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** The launcher's reload settings: on by default, off by flag or environment, bad values named. */
class SettingsTest {

    @Test
    void reloadIsOnByDefaultAndTurnedOffByTheFlagOrTheEnvironment() {
        Settings defaults = Settings.from(Map.of());
        assertThat(defaults.reload()).isTrue();
        assertThat(defaults.buildArgs()).isEmpty();
        assertThat(defaults.sourceDir()).isNull();
        assertThat(Launcher.withArguments(defaults).reload()).isTrue();
        assertThat(Launcher.withArguments(defaults, "--no-reload").reload()).isFalse();
        assertThat(Settings.from(Map.of("PGFLOW_RELOAD", "false")).reload()).isFalse();
        assertThat(Settings.from(Map.of("PGFLOW_RELOAD", "off")).reload()).isFalse();
        assertThat(Settings.from(Map.of("PGFLOW_BUILD_ARGS", "-o -U", "PGFLOW_SOURCE_DIR", "/src")))
                .extracting(Settings::buildArgs, Settings::sourceDir).containsExactly("-o -U", "/src");
    }

    @Test
    void anUnknownArgumentOrReloadValueIsRefusedByName() {
        assertThatThrownBy(() -> Launcher.withArguments(Settings.from(Map.of()), "--reload-never"))
                .hasMessage("PGFLOW-006 unknown argument '--reload-never'; the launcher takes --no-reload (settings are environment"
                        + " variables: docs/reference/configuration.md)");
        assertThatThrownBy(() -> Settings.from(Map.of("PGFLOW_RELOAD", "sometimes")))
                .hasMessage("PGFLOW-006 PGFLOW_RELOAD=sometimes is neither true nor false");
    }
}
