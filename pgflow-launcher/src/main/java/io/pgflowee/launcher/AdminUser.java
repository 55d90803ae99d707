package io.pgflowee.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import io.pgflowee.api.security.PasswordHashes;

/**
 * The API user {@code admin} (role {@code pgflow-admin}) of a launcher-run server. Its password is
 * {@code PGFLOW_ADMIN_PASSWORD} when set; otherwise it is generated on the first start, printed
 * once, and kept in {@code $PGFLOW_HOME/admin-password} (readable by its owner only). The server
 * gets only a PBKDF2 hash of it, through {@code PGFLOW_USERS}.
 */
final class AdminUser {

    static final String NAME = "admin";
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where the password came from. */
    enum Source { GENERATED_NOW, KEPT_FILE, ENVIRONMENT }

    record Admin(String password, Source source, Path file) {

        /** The {@code pgflow.users} entry for the server: name, role and a hash of the password. */
        String usersEntry() {
            return NAME + ":pgflow-admin:" + PasswordHashes.hash(password);
        }

        /** The sign-in line of the ready message; the password itself only when it was generated now. */
        String describe() {
            return switch (source) {
                case GENERATED_NOW -> NAME + " / " + password + "   (shown once; kept in " + file + ")";
                case KEPT_FILE -> NAME + "   (password in " + file + ")";
                case ENVIRONMENT -> NAME + "   (password from PGFLOW_ADMIN_PASSWORD)";
            };
        }
    }

    private AdminUser() {
    }

    static Admin resolve(Path home, String fromEnvironment) throws IOException {
        Path file = home.resolve("admin-password");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return new Admin(fromEnvironment, Source.ENVIRONMENT, file);
        }
        if (Files.exists(file)) {
            String kept = Files.readString(file).strip();
            if (!kept.isEmpty()) {
                return new Admin(kept, Source.KEPT_FILE, file);
            }
        }
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, password + System.lineSeparator());
        return new Admin(password.toString(), Source.GENERATED_NOW, file);
    }
}
