package io.pgflowee.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The worker's claim loop (back-pressure) and completion batching, without a database. */
class ClaimLoopAndReportBatcherTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    private static Task task(int i) {
        return new Task(new UUID(0, i), "s", i, "{}", "{}", 1, 60);
    }

    /** A queue of tasks that claims take from, recording what each claim asked for. */
    private static final class FakeQueue implements ClaimLoop.Claims {
        final Deque<Task> queued = new ArrayDeque<>();
        final List<Integer> asked = Collections.synchronizedList(new ArrayList<>());

        FakeQueue(int tasks) {
            for (int i = 0; i < tasks; i++) {
                queued.add(task(i));
            }
        }

        @Override
        public synchronized List<Task> claim(int max) {
            asked.add(max);
            List<Task> out = new ArrayList<>();
            while (out.size() < max && !queued.isEmpty()) {
                out.add(queued.poll());
            }
            return out;
        }
    }

    @Test
    void aFreedSlotClaimsAtOnceWhileTheQueueHasTasksAndNotWithoutSlotsOrAfterStop() {
        Semaphore slots = new Semaphore(3);
        FakeQueue queue = new FakeQueue(5);
        List<Task> started = new ArrayList<>();
        AtomicBoolean stopping = new AtomicBoolean();
        ClaimLoop loop = new ClaimLoop(slots, 10, queue, started::add, Runnable::run, stopping::get, e -> { });

        loop.poll();
        assertThat(queue.asked).as("as many as slots are free, in one call").containsExactly(3);
        assertThat(started).hasSize(3);
        assertThat(slots.availablePermits()).isZero();
        assertThat(loop.lastClaimFull()).isTrue();

        loop.poll();
        assertThat(queue.asked).as("no slot free: no claim").containsExactly(3);

        slots.release(2); // two handlers ended
        loop.slotFreed();
        assertThat(queue.asked).as("the last claim was full: claim again at once, for both free slots").containsExactly(3, 2);
        assertThat(started).hasSize(5);

        slots.release(1);
        loop.slotFreed();
        assertThat(queue.asked).containsExactly(3, 2, 1);
        assertThat(loop.lastClaimFull()).as("the queue ran dry").isFalse();
        slots.release(1);
        loop.slotFreed();
        assertThat(queue.asked).as("the last claim was not full: the poll interval or a wake-up claims next").containsExactly(3, 2, 1);

        queue.queued.add(task(9));
        stopping.set(true);
        loop.poll();
        loop.slotFreed();
        assertThat(queue.asked).as("stopping: no claim").containsExactly(3, 2, 1);
    }

    @Test
    void triggersWhileAPollWaitsOrRunsQueueNoMorePollsAndNoneIsLost() throws Exception {
        Semaphore slots = new Semaphore(100);
        FakeQueue queue = new FakeQueue(0);
        List<Runnable> handedToExecutor = new ArrayList<>();
        ClaimLoop loop = new ClaimLoop(slots, 10, queue, t -> { }, handedToExecutor::add, () -> false, e -> { });

        for (int i = 0; i < 1000; i++) {
            loop.trigger(); // a thousand handlers ended, or wake-ups arrived, while the executor was busy
        }
        assertThat(handedToExecutor).as("one poll waits in the executor, not a thousand").hasSize(1);
        assertThat(queue.asked).isEmpty();

        handedToExecutor.get(0).run();
        assertThat(queue.asked).as("the waiting poll claimed once").containsExactly(10);
        loop.trigger();
        assertThat(handedToExecutor).as("after it began, the next trigger hands a new poll over").hasSize(2);

        // a trigger while a claim runs: no new poll, the running one goes round again (nothing lost)
        CountDownLatch inClaim = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> asked = Collections.synchronizedList(new ArrayList<>());
        ClaimLoop blocking = new ClaimLoop(slots, 10, max -> {
            asked.add(max);
            if (asked.size() == 1) {
                inClaim.countDown();
                release.await();
            }
            return List.of();
        }, t -> { }, handedToExecutor::add, () -> false, e -> { });
        Thread poller = new Thread(blocking::poll);
        poller.start();
        assertThat(inClaim.await(5, TimeUnit.SECONDS)).isTrue();
        int handedBefore = handedToExecutor.size();
        blocking.trigger();
        blocking.trigger();
        assertThat(handedToExecutor).as("a claim runs: nothing handed over").hasSize(handedBefore);
        release.countDown();
        poller.join(5000);
        assertThat(asked).as("the running poll went round once more for the triggers").containsExactly(10, 10);
    }

    @Test
    void aHandlerPastItsDeadlineIsTimedOutAndInterruptedOnceAndNotBefore() throws Exception {
        RunningHandler due = new RunningHandler(0);
        RunningHandler later = new RunningHandler(TimeUnit.HOURS.toNanos(1));
        long now = System.nanoTime();

        assertThat(later.timeOutIfDue(now)).isFalse();
        assertThat(later.timedOut()).isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();

        assertThat(due.timeOutIfDue(now)).isTrue();
        assertThat(due.timedOut()).isTrue();
        assertThat(Thread.interrupted()).as("its thread (this one) was interrupted").isTrue();
        assertThat(due.timeOutIfDue(now)).as("once").isFalse();
        assertThat(Thread.interrupted()).isFalse();

        due.finish();
        RunningHandler finished = new RunningHandler(0);
        finished.finish();
        assertThat(finished.timeOutIfDue(System.nanoTime())).as("marked, but a finished handler's thread is not interrupted").isTrue();
        assertThat(Thread.interrupted()).isFalse();
    }

    @Test
    void claimsAskForAtMostTheBatchSizeAndAFailedClaimFallsBackToPolling() {
        Semaphore slots = new Semaphore(8);
        FakeQueue queue = new FakeQueue(20);
        List<Exception> problems = new ArrayList<>();
        ClaimLoop loop = new ClaimLoop(slots, 3, queue, t -> { }, Runnable::run, () -> false, problems::add);

        loop.poll();
        assertThat(queue.asked).as("3 + 3 + 2 slots, in batches of at most 3").containsExactly(3, 3, 2);

        ClaimLoop failing = new ClaimLoop(new Semaphore(2), 3, max -> {
            throw new SQLException("connection refused");
        }, t -> { }, Runnable::run, () -> false, problems::add);
        failing.poll();
        assertThat(problems).extracting(Exception::getMessage).containsExactly("connection refused");
        assertThat(failing.lastClaimFull()).isFalse();
    }

    /** Records the calls a batcher makes; batch calls fail when told to. */
    private static final class FakeReports implements ReportBatcher.Reports {
        final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
        final List<List<String>> failureBatches = Collections.synchronizedList(new ArrayList<>());
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> singles = Collections.synchronizedList(new ArrayList<>());
        volatile boolean batchFails;
        volatile int badTask = -1;

        /** What the calls' claims take from (complete_tasks_and_claim), and what each asked for. */
        final Deque<Task> claimable = new ArrayDeque<>();
        final List<Integer> claimsAsked = Collections.synchronizedList(new ArrayList<>());
        /** Runs inside the next completion call (a wake-up arriving meanwhile). */
        volatile Runnable during;

        @Override
        public List<Task> completeAll(List<ReportBatcher.Report> batch, int claim) throws SQLException {
            claimsAsked.add(claim);
            if (during != null) {
                during.run();
            }
            if (batchFails) {
                calls.add("complete_tasks");
                throw new SQLException("one of the batch is bad");
            }
            assertThat(batch).noneMatch(ReportBatcher.Report::failure);
            batches.add(batch.stream().map(c -> c.task().taskIndex()).toList());
            List<Task> claimed = new ArrayList<>();
            synchronized (claimable) {
                while (claimed.size() < claim && !claimable.isEmpty()) {
                    claimed.add(claimable.poll());
                }
            }
            calls.add("complete_tasks"); // last: a test that waits for the call sees what it recorded
            return claimed;
        }

        @Override
        public void failAll(List<ReportBatcher.Report> batch) throws SQLException {
            if (batchFails) {
                calls.add("fail_tasks");
                throw new SQLException("one of the batch is bad");
            }
            failureBatches.add(batch.stream().map(c -> c.task().taskIndex() + ": " + c.error()).toList());
            calls.add("fail_tasks");
        }

        @Override
        public void reportOne(ReportBatcher.Report c) throws SQLException {
            calls.add(c.failure() ? "fail_task" : "complete_task");
            if (c.task().taskIndex() == badTask) {
                throw new SQLException("task " + badTask + " is bad");
            }
            singles.add(c.task().taskIndex());
        }
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(condition.getAsBoolean()).isTrue();
    }

    @Test
    void completionsWithinTheLingerGoInOneCallAndAFullBatchGoesAtOnce() throws Exception {
        FakeReports reports = new FakeReports();
        List<String> lost = new ArrayList<>();
        ReportBatcher batcher = new ReportBatcher(reports, scheduler, Duration.ofMillis(200), 4, (c, e) -> lost.add(e.getMessage()));

        batcher.complete(task(1), "1");
        batcher.complete(task(2), "2");
        batcher.complete(task(3), "3");
        assertThat(reports.batches).as("lingering").isEmpty();
        assertThat(batcher.pending()).isEqualTo(3);
        batcher.complete(task(4), "4");
        await(() -> reports.batches.size() == 1);
        assertThat(reports.batches).as("the fourth filled the batch").containsExactly(List.of(1, 2, 3, 4));

        batcher.complete(task(5), "5");
        await(() -> reports.batches.size() == 2);
        assertThat(reports.batches.get(1)).as("after the linger, alone").containsExactly(5);
        assertThat(reports.singles).isEmpty();
        assertThat(lost).isEmpty();
    }

    @Test
    void aFailedBatchIsReportedOneByOneSoOneBadTaskHoldsNoOtherBack() {
        FakeReports reports = new FakeReports();
        reports.batchFails = true;
        reports.badTask = 2;
        List<String> lost = new ArrayList<>();
        ReportBatcher batcher = new ReportBatcher(reports, scheduler, Duration.ofSeconds(60), 50,
                (c, e) -> lost.add(c.task().taskIndex() + ": " + e.getMessage()));
        for (int i = 1; i <= 4; i++) {
            batcher.complete(task(i), String.valueOf(i));
        }

        batcher.fail(task(5), "boom 5");
        batcher.fail(task(6), "boom 6");

        batcher.flush(); // as at shutdown: on the calling thread, before the linger

        assertThat(reports.batches).isEmpty();
        assertThat(reports.failureBatches).isEmpty();
        assertThat(reports.singles).containsExactly(1, 3, 4, 5, 6);
        assertThat(reports.calls).containsExactly("complete_tasks", "complete_task", "complete_task", "complete_task", "complete_task",
                "fail_tasks", "fail_task", "fail_task");
        assertThat(lost).containsExactly("2: task 2 is bad");
        assertThat(batcher.pending()).isZero();
    }

    @Test
    void failuresWithinTheLingerGoInOneFailTasksCallBesideTheCompletions() throws Exception {
        FakeReports reports = new FakeReports();
        List<String> lost = new ArrayList<>();
        ReportBatcher batcher = new ReportBatcher(reports, scheduler, Duration.ofMillis(200), 50, (c, e) -> lost.add(e.getMessage()));

        batcher.fail(task(1), "boom 1");
        batcher.complete(task(2), "2");
        batcher.fail(task(3), "boom 3");
        batcher.complete(task(4), "4");
        assertThat(reports.calls).as("lingering").isEmpty();
        assertThat(batcher.pending()).isEqualTo(4);
        await(() -> reports.calls.size() == 2);

        assertThat(reports.calls).as("completions first, then failures, one call each").containsExactly("complete_tasks", "fail_tasks");
        assertThat(reports.batches).containsExactly(List.of(2, 4));
        assertThat(reports.failureBatches).containsExactly(List.of("1: boom 1", "3: boom 3"));
        assertThat(reports.singles).isEmpty();
        assertThat(lost).isEmpty();

        batcher.fail(task(5), "boom 5");
        await(() -> reports.calls.size() == 3);
        assertThat(reports.calls.get(2)).as("a failure alone: no completion call").isEqualTo("fail_tasks");
        assertThat(reports.failureBatches.get(1)).containsExactly("5: boom 5");
        assertThatThrownBy(() -> batcher.fail(task(6), null)).isInstanceOf(NullPointerException.class).hasMessage("error");
    }

    @Test
    void completionsClaimIntoTheFreeSlotsAndGiveTheUnusedBackAlsoWhenTheCallFailsAndNotWhileStopping() {
        Semaphore slots = new Semaphore(5);
        List<Task> started = new ArrayList<>();
        List<Runnable> handedToExecutor = new ArrayList<>();
        AtomicBoolean stopping = new AtomicBoolean();
        ClaimLoop loop = new ClaimLoop(slots, 4, new FakeQueue(0), started::add, handedToExecutor::add, stopping::get, e -> { });
        FakeReports reports = new FakeReports();
        reports.claimable.add(task(10));
        reports.claimable.add(task(11));
        List<String> lost = new ArrayList<>();
        ReportBatcher batcher = new ReportBatcher(reports, loop, scheduler, Duration.ofSeconds(60), 50, (c, e) -> lost.add(e.getMessage()));

        batcher.complete(task(1), "1");
        batcher.flush();
        assertThat(reports.claimsAsked).as("the free slots, at most the batch size").containsExactly(4);
        assertThat(started).extracting(Task::taskIndex).containsExactly(10, 11);
        assertThat(slots.availablePermits()).as("two slots hold the claimed tasks, the other two came back").isEqualTo(3);
        assertThat(loop.lastClaimFull()).isFalse();
        assertThat(handedToExecutor).as("not full: no claim after it").isEmpty();

        for (int i = 12; i < 20; i++) {
            reports.claimable.add(task(i));
        }
        batcher.complete(task(2), "2");
        batcher.flush();
        assertThat(reports.claimsAsked).containsExactly(4, 3);
        assertThat(started).extracting(Task::taskIndex).containsExactly(10, 11, 12, 13, 14);
        assertThat(slots.availablePermits()).isZero();
        assertThat(loop.lastClaimFull()).as("got all it asked for: tasks may be left").isTrue();
        assertThat(handedToExecutor).as("so the loop claims again (it finds no free slot, a freed one claims)").hasSize(1);

        slots.release(2); // two handlers ended
        batcher.complete(task(3), "3");
        batcher.flush();
        assertThat(reports.claimsAsked).as("tasks wait: the claim loop claims as handlers end, the report only completes")
                .containsExactly(4, 3, 0);
        loop.poll(); // the claim loop finds the queue empty
        assertThat(loop.lastClaimFull()).isFalse();
        assertThat(slots.availablePermits()).isEqualTo(2);

        reports.batchFails = true;
        batcher.complete(task(3), "3");
        batcher.complete(task(4), "4");
        batcher.flush();
        assertThat(reports.claimsAsked).containsExactly(4, 3, 0, 2);
        assertThat(reports.singles).as("the failed batch, one by one").containsExactly(3, 4);
        assertThat(slots.availablePermits()).as("the reserved slots came back").isEqualTo(2);
        assertThat(started).hasSize(5);

        reports.batchFails = false;
        stopping.set(true);
        batcher.complete(task(5), "5");
        batcher.flush();
        assertThat(reports.claimsAsked).as("stopping: completes only").containsExactly(4, 3, 0, 2, 0);
        assertThat(slots.availablePermits()).isEqualTo(2);
        assertThat(lost).isEmpty();
    }

    @Test
    void aClaimThatFoundTheSlotsReservedByAReportRunsAgainWhenTheyComeBack() {
        Semaphore slots = new Semaphore(3);
        FakeQueue queue = new FakeQueue(5);
        List<Task> started = new ArrayList<>();
        List<Runnable> handedToExecutor = new ArrayList<>();
        ClaimLoop loop = new ClaimLoop(slots, 10, queue, started::add, handedToExecutor::add, () -> false, e -> { });
        FakeReports reports = new FakeReports();
        reports.during = loop::poll; // a wake-up while the report's call holds every free slot
        ReportBatcher batcher = new ReportBatcher(reports, loop, scheduler, Duration.ofSeconds(60), 50, (c, e) -> { });

        batcher.complete(task(1), "1");
        batcher.flush();

        assertThat(reports.claimsAsked).containsExactly(3);
        assertThat(queue.asked).as("the wake-up found no free slot").isEmpty();
        assertThat(slots.availablePermits()).as("the report claimed nothing: its slots came back").isEqualTo(3);
        assertThat(handedToExecutor).as("and the missed claim was handed over").hasSize(1);
        handedToExecutor.get(0).run();
        assertThat(queue.asked).containsExactly(3);
        assertThat(started).hasSize(3);
    }

    @Test
    void aClaimHoldsItsSlotsWhileItRunsSoAReportsClaimCannotTakeThemTooAndTheTasksNeverOutnumberTheSlots() {
        Semaphore slots = new Semaphore(4);
        List<Integer> reservedDuringTheClaim = new ArrayList<>();
        ClaimLoop[] loop = new ClaimLoop[1];
        FakeQueue queue = new FakeQueue(3);
        List<Task> started = new ArrayList<>();
        loop[0] = new ClaimLoop(slots, 10, max -> {
            reservedDuringTheClaim.add(loop[0].reserve()); // a report's claim at the same moment
            return queue.claim(max);
        }, started::add, Runnable::run, () -> false, e -> { });

        loop[0].poll();

        assertThat(reservedDuringTheClaim).as("no slot left for the report's claim").containsExactly(0);
        assertThat(started).hasSize(3);
        assertThat(slots.availablePermits()).as("3 running, the fourth slot given back").isEqualTo(1);
    }
}
