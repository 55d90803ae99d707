package io.pgflowee.web.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.api.security.PasswordHashes;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.credential.UsernamePasswordCredential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;

/**
 * The API's users from MicroProfile Config: {@code pgflow.users} (environment {@code PGFLOW_USERS}) is
 * a comma-separated list of {@code name:role:hash}, role one of {@code pgflow-viewer},
 * {@code pgflow-operator}, {@code pgflow-admin}, hash from {@link PasswordHashes}. A malformed entry
 * is logged (without its hash) and left out. Checking a PBKDF2 hash takes tens of milliseconds, so
 * a successful check is remembered for a minute by a digest of the name and password, and
 * concurrent requests with the same credentials share one check.
 */
@ApplicationScoped
public class ConfiguredUsers implements IdentityStore {

    private static final Logger LOG = Logger.getLogger(ConfiguredUsers.class.getName());
    private static final long REMEMBER_NANOS = 60_000_000_000L;

    record User(String name, Role role, String hash) {
    }

    @Inject
    @ConfigProperty(name = "pgflow.users", defaultValue = "")
    String configured;

    /** A hash no password matches in practice, checked for unknown names so that they take as long as known ones. */
    private static final String UNKNOWN_USER_HASH = PasswordHashes.hash(java.util.UUID.randomUUID().toString());

    private final Map<String, User> users = new LinkedHashMap<>();
    private final Map<String, Long> recentlyVerified = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Boolean>> checking = new ConcurrentHashMap<>();
    /** The hash check ({@link PasswordHashes#matches}); tests count its calls. */
    BiPredicate<String, String> hashCheck = PasswordHashes::matches;

    @PostConstruct
    void parse() {
        users.putAll(parse(configured));
        LOG.info(() -> "PGFLOW-050 API users: " + (users.isEmpty() ? "none configured (every /api request is refused: set pgflow.users)"
                : users.values().stream().map(u -> u.name() + " (" + u.role().roleName() + ")").toList()));
    }

    static Map<String, User> parse(String text) {
        Map<String, User> parsed = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return parsed;
        }
        String[] entries = text.split(",");
        for (int i = 0; i < entries.length; i++) {
            String[] parts = entries[i].trim().split(":", 3);
            Role role = parts.length == 3 ? Role.named(parts[1].trim()) : null;
            if (parts.length != 3 || parts[0].isBlank() || role == null || !parts[2].trim().startsWith("pbkdf2-sha256$")) {
                LOG.severe("PGFLOW-051 pgflow.users entry " + (i + 1) + (parts[0].isBlank() ? "" : " ('" + parts[0].trim() + "')")
                        + " is not name:role:hash with role pgflow-viewer, pgflow-operator or pgflow-admin and a pbkdf2-sha256 hash;"
                        + " it is left out");
                continue;
            }
            parsed.put(parts[0].trim(), new User(parts[0].trim(), role, parts[2].trim()));
        }
        return parsed;
    }

    boolean anyUser() {
        return !users.isEmpty();
    }

    /** The user's role when the password is right, else empty. */
    Optional<Role> verify(String name, String password) {
        User user = users.get(name);
        if (user == null) {
            hashCheck.test(password, UNKNOWN_USER_HASH); // as slow as a known name's check: no telling names apart by time
            return Optional.empty();
        }
        String key = digest(name + '\u0000' + password + '\u0000' + user.hash());
        Long until = recentlyVerified.get(key);
        if (until != null && until - System.nanoTime() > 0) {
            return Optional.of(user.role());
        }
        // one check per name and password at a time: a burst of requests with the same credentials
        // (1,000 at once in BurstBenchmark) waits for one PBKDF2 check instead of running one each
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> running = checking.putIfAbsent(key, mine);
        if (running != null) {
            return running.join() ? Optional.of(user.role()) : Optional.empty();
        }
        boolean matches = false;
        try {
            matches = hashCheck.test(password, user.hash());
            if (matches) {
                recentlyVerified.put(key, System.nanoTime() + REMEMBER_NANOS);
            }
        } finally {
            checking.remove(key);
            mine.complete(matches);
        }
        return matches ? Optional.of(user.role()) : Optional.empty();
    }

    @Override
    public CredentialValidationResult validate(jakarta.security.enterprise.credential.Credential credential) {
        if (credential instanceof UsernamePasswordCredential c) {
            return verify(c.getCaller(), c.getPasswordAsString())
                    .map(role -> new CredentialValidationResult(c.getCaller(), new HashSet<>(role.withImplied())))
                    .orElse(CredentialValidationResult.INVALID_RESULT);
        }
        return CredentialValidationResult.NOT_VALIDATED_RESULT;
    }

    @Override
    public Set<String> getCallerGroups(CredentialValidationResult result) {
        User user = users.get(result.getCallerPrincipal().getName());
        return user == null ? Set.of() : new HashSet<>(user.role().withImplied());
    }

    private static String digest(String text) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
