package io.pgflowee.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.pgflowee.api.security.PasswordHashes;

class AdminUserTest {

    @Test
    void theFirstStartGeneratesAPasswordKeptForItsOwnerOnlyAndLaterStartsReuseIt(@TempDir Path home) throws Exception {
        AdminUser.Admin first = AdminUser.resolve(home, null);

        assertThat(first.source()).isEqualTo(AdminUser.Source.GENERATED_NOW);
        assertThat(first.password()).matches("[A-Za-z2-9]{20}");
        assertThat(Files.readString(home.resolve("admin-password")).strip()).isEqualTo(first.password());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("admin-password")))).isEqualTo("rw-------");
        assertThat(first.describe()).isEqualTo("admin / " + first.password() + "   (shown once; kept in " + home.resolve("admin-password") + ")");

        AdminUser.Admin second = AdminUser.resolve(home, null);
        assertThat(second.password()).isEqualTo(first.password());
        assertThat(second.source()).isEqualTo(AdminUser.Source.KEPT_FILE);
        assertThat(second.describe()).doesNotContain(first.password()).isEqualTo("admin   (password in " + home.resolve("admin-password") + ")");
    }

    @Test
    void pgflowAdminPasswordWinsAndTheServerGetsOnlyAHash(@TempDir Path home) throws Exception {
        AdminUser.Admin admin = AdminUser.resolve(home, "chosen-by-ops");

        assertThat(admin.source()).isEqualTo(AdminUser.Source.ENVIRONMENT);
        assertThat(Files.exists(home.resolve("admin-password"))).isFalse();
        String entry = admin.usersEntry();
        assertThat(entry).startsWith("admin:pgflow-admin:pbkdf2-sha256$").doesNotContain("chosen-by-ops");
        assertThat(PasswordHashes.matches("chosen-by-ops", entry.substring("admin:pgflow-admin:".length()))).isTrue();
        assertThat(admin.describe()).isEqualTo("admin   (password from PGFLOW_ADMIN_PASSWORD)");
    }
}
