package io.pgflowee.api.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PasswordHashesTest {

    @Test
    void aHashMatchesItsPasswordOnlyAndEveryHashHasItsOwnSalt() {
        String hash = PasswordHashes.hash("correct horse");

        assertThat(hash).matches("pbkdf2-sha256\\$100000\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}");
        assertThat(PasswordHashes.matches("correct horse", hash)).isTrue();
        assertThat(PasswordHashes.matches("correct horse ", hash)).isFalse();
        assertThat(PasswordHashes.matches("", hash)).isFalse();
        assertThat(PasswordHashes.hash("correct horse")).isNotEqualTo(hash);
    }

    @Test
    void somethingThatIsNotAHashIsAnErrorThatDoesNotRepeatIt() {
        assertThatThrownBy(() -> PasswordHashes.matches("x", "plain-text-password"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a password hash of the form pbkdf2-sha256$<iterations>$<salt>$<hash>");
        assertThatThrownBy(() -> PasswordHashes.matches("x", "pbkdf2-sha256$many$AAAA$AAAA"))
                .hasMessageStartingWith("not a password hash of the form pbkdf2-sha256$<iterations>$<salt>$<hash>: ");
    }
}
