package io.pgflowee.web.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.pgflowee.api.security.PasswordHashes;

import org.junit.jupiter.api.Test;

/**
 * The API users' password checks: right and wrong passwords, a success remembered, failures not,
 * and a burst of requests with the same credentials sharing one PBKDF2 check.
 */
class ConfiguredUsersTest {

    private final AtomicInteger checks = new AtomicInteger();

    private ConfiguredUsers users(String password) {
        ConfiguredUsers users = new ConfiguredUsers();
        users.configured = "ops:pgflow-operator:" + PasswordHashes.hash(password) + ",eve:pgflow-viewer:" + PasswordHashes.hash("other");
        users.parse();
        users.hashCheck = (given, hash) -> {
            checks.incrementAndGet();
            return PasswordHashes.matches(given, hash);
        };
        return users;
    }

    @Test
    void rightPasswordGivesTheRoleAndIsRememberedWrongOneIsCheckedEveryTime() {
        ConfiguredUsers users = users("s3cret");

        assertThat(users.verify("ops", "s3cret")).contains(Role.OPERATOR);
        assertThat(users.verify("ops", "s3cret")).contains(Role.OPERATOR);
        assertThat(checks).hasValue(1);

        assertThat(users.verify("ops", "wrong")).isEmpty();
        assertThat(users.verify("ops", "wrong")).isEmpty();
        assertThat(checks).hasValue(3);

        assertThat(users.verify("eve", "s3cret")).isEmpty();
        assertThat(users.verify("nobody", "s3cret")).isEmpty();
        assertThat(checks).hasValue(5); // an unknown name costs a check too: names cannot be told apart by the answer's time
        assertThat(users.verify("eve", "other")).contains(Role.VIEWER);
    }

    @Test
    void concurrentRequestsWithTheSameCredentialsShareOneCheck() throws Exception {
        ConfiguredUsers users = users("s3cret");
        CountDownLatch inCheck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        users.hashCheck = (given, hash) -> {
            checks.incrementAndGet();
            inCheck.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return PasswordHashes.matches(given, hash);
        };
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<Optional<Role>>> answers = new ArrayList<>();
            answers.add(pool.submit(() -> users.verify("ops", "s3cret")));
            assertThat(inCheck.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 19; i++) {
                answers.add(pool.submit(() -> users.verify("ops", "s3cret")));
            }
            Thread.sleep(200); // the 19 are waiting for the first check
            release.countDown();
            for (Future<Optional<Role>> answer : answers) {
                assertThat(answer.get(10, TimeUnit.SECONDS)).contains(Role.OPERATOR);
            }
            assertThat(checks).hasValue(1);

            // a wrong password shared the same way: every waiter is refused, nothing is remembered
            checks.set(0);
            List<Future<Optional<Role>>> wrong = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                wrong.add(pool.submit(() -> users.verify("ops", "guess")));
            }
            for (Future<Optional<Role>> answer : wrong) {
                assertThat(answer.get(10, TimeUnit.SECONDS)).isEmpty();
            }
            assertThat(checks.get()).isBetween(1, 10);
            assertThat(users.verify("ops", "guess")).isEmpty();
            assertThat(checks.get()).isGreaterThanOrEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
    }
}
