package io.pgflowee.web.security;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.ConfigProvider;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Slows down password guessing, for the console's form and the API's Basic sign-in alike. Failed
 * sign-ins are counted per user name and per client address. From the {@code freeFailures + 1}th
 * failure in a row, the next attempt is allowed only after a delay that doubles with each failure
 * (from {@code baseDelayMs}, at most {@code maxDelayMs}); after {@code lockAfter} failures the name
 * (or address) is locked for {@code lockMinutes}. An attempt that comes too early is refused at once
 * with the same answer as a wrong password, without checking the password: no request thread ever
 * waits, and the right password during a lock does not get in. A success clears the name's count;
 * counts of names and addresses with no failure for {@code lockMinutes} are forgotten. Addresses get
 * their own, higher limits (many people may share one address). Other names are never affected by a
 * name's lock.
 *
 * <p>Settings ({@code pgflow.security.throttle.*}): {@code freeFailures} (4), {@code baseDelayMs}
 * (1000), {@code maxDelayMs} (60000), {@code lockAfter} (20), {@code lockMinutes} (15), and for
 * addresses {@code addressFreeFailures} (20) and {@code addressLockAfter} (100).
 */
@ApplicationScoped
public class SignInThrottle {

    private static final Logger LOG = Logger.getLogger(SignInThrottle.class.getName());
    /** At most this many names and addresses are remembered; beyond, the quiet ones are forgotten first. */
    static final int MAX_ENTRIES = 100_000;

    /** Limits for one kind of key (names or addresses). */
    record Limits(int freeFailures, long baseDelayMs, long maxDelayMs, int lockAfter, long lockMs) {

        /** How long after the {@code failures}th failure in a row the next attempt must wait (0: at once). */
        long delayAfter(int failures) {
            if (failures >= lockAfter) {
                return lockMs;
            }
            if (failures <= freeFailures) {
                return 0;
            }
            int doublings = Math.min(failures - freeFailures - 1, 40);
            return Math.min(maxDelayMs, baseDelayMs << doublings);
        }
    }

    /** Failures in a row of one key and when the next attempt may come. */
    private record Count(int failures, long lastFailureMs, long notBeforeMs) {
    }

    /** Why an attempt was refused before its password was looked at. */
    public record Refusal(String key, int failures, long waitMs, boolean locked) {
    }

    private final Map<String, Count> counts = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Limits names;
    private final Limits addresses;

    public SignInThrottle() {
        this(Clock.systemUTC(), name -> ConfigProvider.getConfig().getOptionalValue(name, Integer.class));
    }

    /** With a clock and settings of its own ({@code pgflow.security.throttle.<name>} to its value), for tests. */
    SignInThrottle(Clock clock, java.util.function.Function<String, java.util.Optional<Integer>> config) {
        this.clock = clock;
        long lockMs = setting(config, "lockMinutes", 15) * 60_000L;
        long base = setting(config, "baseDelayMs", 1000);
        long max = setting(config, "maxDelayMs", 60_000);
        this.names = new Limits(setting(config, "freeFailures", 4), base, max, setting(config, "lockAfter", 20), lockMs);
        this.addresses = new Limits(setting(config, "addressFreeFailures", 20), base, max, setting(config, "addressLockAfter", 100), lockMs);
    }

    private static int setting(java.util.function.Function<String, java.util.Optional<Integer>> config, String name, int fallback) {
        int value = config.apply("pgflow.security.throttle." + name).orElse(fallback);
        if (value < 0) {
            throw new IllegalArgumentException("pgflow.security.throttle." + name + " must be 0 or more, not " + value);
        }
        return value;
    }

    /** Empty when the attempt may check its password now; else why not (the caller answers as for a wrong password). */
    public java.util.Optional<Refusal> check(String name, String address) {
        long now = clock.millis();
        for (String key : new String[] {nameKey(name), addressKey(address)}) {
            Count c = counts.get(key);
            if (c != null && now < c.notBeforeMs()) {
                Limits limits = key.startsWith("name:") ? names : addresses;
                return java.util.Optional.of(new Refusal(key, c.failures(), c.notBeforeMs() - now, c.failures() >= limits.lockAfter()));
            }
        }
        return java.util.Optional.empty();
    }

    /** A wrong password (or unknown name): counts it for the name and the address; logs a lock when one starts. */
    public void failed(String name, String address) {
        count(nameKey(name), names);
        count(addressKey(address), addresses);
    }

    /** The right password: the name's count starts again (the address's keeps decaying by itself). */
    public void succeeded(String name) {
        counts.remove(nameKey(name));
    }

    private void count(String key, Limits limits) {
        long now = clock.millis();
        Count after = counts.compute(key, (k, c) -> {
            int failures = c == null || now - c.lastFailureMs() >= limits.lockMs() ? 1 : c.failures() + 1;
            return new Count(failures, now, now + limits.delayAfter(failures));
        });
        if (after.failures() == limits.lockAfter()) {
            LOG.warning("PGFLOW-054 sign-in locked for " + limits.lockMs() / 60_000 + " min after " + after.failures()
                    + " failed attempts: " + key);
        }
        if (counts.size() > MAX_ENTRIES) {
            forgetQuiet(now);
        }
    }

    private void forgetQuiet(long now) {
        counts.entrySet().removeIf(e -> now - e.getValue().lastFailureMs() > names.lockMs() && now >= e.getValue().notBeforeMs());
        if (counts.size() > MAX_ENTRIES) { // a flood of names: keep the ones still waiting or locked
            counts.entrySet().removeIf(e -> now >= e.getValue().notBeforeMs());
        }
    }

    /** The remembered count of a name, for tests. */
    int failuresOf(String name) {
        Count c = counts.get(nameKey(name));
        return c == null ? 0 : c.failures();
    }

    private static String nameKey(String name) {
        return "name:" + (name == null ? "" : name.strip().toLowerCase(java.util.Locale.ROOT));
    }

    private static String addressKey(String address) {
        return "address:" + (address == null ? "" : address);
    }
}
