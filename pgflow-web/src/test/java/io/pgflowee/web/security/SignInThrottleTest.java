package io.pgflowee.web.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Failed sign-ins slow down per name and per address, then lock; successes and time reset them; other names are untouched. */
class SignInThrottleTest {

    /** A clock the test moves. */
    private static final class Hands extends Clock {
        long millis = 1_000_000;

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final Hands clock = new Hands();

    private SignInThrottle throttle(Map<String, Integer> settings) {
        return new SignInThrottle(clock, name -> Optional.ofNullable(settings.get(name.substring("pgflow.security.throttle.".length()))));
    }

    @Test
    void theFirstFourFailuresCostNothingThenEachWaitDoublesUpToTheCap() {
        SignInThrottle t = throttle(Map.of("maxDelayMs", 8000));
        for (int i = 1; i <= 4; i++) {
            t.failed("alice", "10.0.0.1");
            assertThat(t.check("alice", "10.0.0.1")).as("after failure %d", i).isEmpty();
        }
        long[] waits = {1000, 2000, 4000, 8000, 8000};
        for (int i = 0; i < waits.length; i++) {
            t.failed("alice", "10.0.0.1");
            SignInThrottle.Refusal r = t.check("alice", "10.0.0.1").orElseThrow();
            assertThat(r.key()).isEqualTo("name:alice");
            assertThat(r.failures()).isEqualTo(5 + i);
            assertThat(r.waitMs()).isEqualTo(waits[i]);
            assertThat(r.locked()).isFalse();
            clock.millis += waits[i] - 1;
            assertThat(t.check("alice", "10.0.0.1")).isPresent();
            clock.millis += 1;
            assertThat(t.check("alice", "10.0.0.1")).as("the wait is over").isEmpty();
        }
    }

    @Test
    void afterTwentyFailuresTheNameIsLockedForFifteenMinutesAndOtherNamesAreNot() {
        SignInThrottle t = throttle(Map.of("baseDelayMs", 0));
        for (int i = 0; i < 19; i++) {
            t.failed("Alice", "10.0.0." + i); // names compare without case; addresses differ
        }
        assertThat(t.check("alice", "10.0.0.99")).isEmpty();
        t.failed("alice", "10.0.0.99");
        SignInThrottle.Refusal lock = t.check("ALICE", "10.0.0.100").orElseThrow();
        assertThat(lock.locked()).isTrue();
        assertThat(lock.waitMs()).isEqualTo(15 * 60_000L);
        assertThat(t.check("bob", "10.0.0.99")).as("another user, same address").isEmpty();
        clock.millis += 15 * 60_000L;
        assertThat(t.check("alice", "10.0.0.99")).isEmpty();
        t.failed("alice", "10.0.0.99");
        assertThat(t.failuresOf("alice")).as("a failure after the lock's window starts counting again").isEqualTo(1);
    }

    @Test
    void aSuccessClearsTheNamesCountButNotTheAddresss() {
        SignInThrottle t = throttle(Map.of("addressFreeFailures", 2));
        for (int i = 0; i < 3; i++) {
            t.failed("alice", "10.0.0.1");
        }
        assertThat(t.check("carol", "10.0.0.1")).map(SignInThrottle.Refusal::key).contains("address:10.0.0.1");
        assertThat(t.check("carol", "10.0.0.2")).isEmpty();
        t.succeeded("alice");
        assertThat(t.failuresOf("alice")).isZero();
        assertThat(t.check("alice", "10.0.0.1")).as("the address still waits").isPresent();
    }

    @Test
    void manyNamesAreForgottenBeyondTheLimitKeepingTheLockedOnes() {
        SignInThrottle t = throttle(Map.of("freeFailures", 0, "addressFreeFailures", 1_000_000, "addressLockAfter", 1_000_000));
        t.failed("victim", "10.0.0.1");
        long locked = t.check("victim", "10.0.0.1").orElseThrow().waitMs();
        assertThat(locked).isEqualTo(1000);
        clock.millis += 2000; // the victim's wait is over, but its count stays
        for (int i = 0; i < SignInThrottle.MAX_ENTRIES + 10; i++) {
            t.failed("spray" + i, "10.0.0.2");
        }
        assertThat(t.check("spray" + (SignInThrottle.MAX_ENTRIES + 9), "10.0.0.3")).as("the newest name still waits").isPresent();
    }

    @Test
    void aNegativeSettingIsRefusedByName() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> throttle(Map.of("lockAfter", -1)))
                .hasMessage("pgflow.security.throttle.lockAfter must be 0 or more, not -1");
    }
}
