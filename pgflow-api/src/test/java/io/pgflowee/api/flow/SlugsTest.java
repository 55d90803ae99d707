package io.pgflowee.api.flow;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SlugsTest {

    @Test
    void acceptsLettersDigitsAndUnderscoresNotStartingWithADigit() {
        assertThat(Slugs.isValid("greet_user")).isTrue();
        assertThat(Slugs.isValid("_x9")).isTrue();
        assertThat(Slugs.isValid("a".repeat(128))).isTrue();
    }

    @Test
    void namesWhatIsWrongWithAnInvalidSlug() {
        assertThat(Slugs.problem(null)).hasValue("Slug cannot be empty");
        assertThat(Slugs.problem("")).hasValue("Slug cannot be empty");
        assertThat(Slugs.problem("a".repeat(129)))
                .hasValue("Slug '" + "a".repeat(129) + "' cannot be longer than 128 characters");
        assertThat(Slugs.problem("run")).hasValue("Slug 'run' is reserved and cannot be used");
        assertThat(Slugs.problem("1st")).hasValue("Slug '1st' cannot start with a number");
        assertThat(Slugs.problem("my-flow")).hasValue("Slug 'my-flow' can only contain letters, numbers, and underscores");
        assertThat(Slugs.problem("Run")).isEmpty();
    }
}
