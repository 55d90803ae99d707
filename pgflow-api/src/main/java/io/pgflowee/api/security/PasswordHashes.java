package io.pgflowee.api.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashes of the API's users, as {@code pgflow.users} holds them:
 * {@code pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>} (PBKDF2 with HMAC-SHA256, a 16-byte
 * random salt, a 32-byte hash). Only hashes are configured; passwords are never stored or logged.
 *
 * <pre>{@code
 * java -cp pgflow-api.jar io.pgflowee.api.security.PasswordHashes   # reads the password from standard input
 * }</pre>
 */
public final class PasswordHashes {

    /** Iterations of new hashes (verification reads them from the hash). */
    public static final int ITERATIONS = 100_000;
    private static final String PREFIX = "pbkdf2-sha256";
    private static final SecureRandom RANDOM = new SecureRandom();

    private PasswordHashes() {
    }

    /** A new hash of {@code password} with a random salt. */
    public static String hash(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return PREFIX + "$" + ITERATIONS + "$" + Base64.getEncoder().encodeToString(salt) + "$"
                + Base64.getEncoder().encodeToString(derive(password, salt, ITERATIONS));
    }

    /**
     * Whether {@code password} matches {@code hash} (compared in constant time).
     *
     * @throws IllegalArgumentException when {@code hash} is not a hash of this format (the message does not repeat it)
     */
    public static boolean matches(String password, String hash) {
        String[] parts = hash == null ? new String[0] : hash.split("\\$");
        if (parts.length != 4 || !parts[0].equals(PREFIX)) {
            throw new IllegalArgumentException("not a password hash of the form " + PREFIX + "$<iterations>$<salt>$<hash>");
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] expected = Base64.getDecoder().decode(parts[3]);
            if (iterations < 1 || salt.length == 0 || expected.length == 0) {
                throw new IllegalArgumentException("bad iterations, salt or hash");
            }
            return MessageDigest.isEqual(expected, derive(password, salt, iterations));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a password hash of the form " + PREFIX + "$<iterations>$<salt>$<hash>: "
                    + e.getMessage());
        }
    }

    private static byte[] derive(String password, byte[] salt, int iterations) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JVM", e);
        }
    }

    /** Prints the hash of the password given on standard input (or as the only argument). */
    public static void main(String[] args) throws Exception {
        String password = args.length > 0 ? args[0] : new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip();
        if (password.isEmpty()) {
            System.err.println("usage: PasswordHashes < password-file (or the password as the only argument)");
            System.exit(2);
        }
        System.out.println(hash(password));
    }
}
