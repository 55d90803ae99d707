package io.pgflowee.engine.worker;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.flow.TaskContext;
import io.pgflowee.api.flow.TaskSnoozed;
import io.pgflowee.api.json.JsonCodec;
import jakarta.json.JsonValue;

/**
 * Runs claimed tasks' handlers for one flow's worker: the timeout (a sweep every 100 ms interrupts
 * the handlers past their deadline, then a timed-out failure), the {@link TaskContext} a handler sees, the registry of running handlers
 * that cancellation and shutdown interrupt, and what becomes of each outcome: a result or a
 * failure to report, or nothing when the run was cancelled or the shutdown cancelled the handler.
 */
final class TaskExecution {

    private static final Logger LOG = Logger.getLogger(TaskExecution.class.getName());
    private static final int STACK_FRAMES = 8;

    /** Where outcomes go: completions to the batcher, failures to fail_task, snoozes to snooze_task. */
    interface Outcomes {
        void completed(Task task, String output);

        void failed(Task task, String error);

        /** The handler snoozed ({@link TaskContext#snoozeUntil(Instant)}): hand the task back until {@code wakeAt}. */
        void snoozed(Task task, Instant wakeAt);
    }

    private final Flow<?> flow;
    private final JsonCodec codec;
    private final Map<Task, RunningHandler> running;
    private final AtomicBoolean graceOver;
    private final Outcomes outcomes;
    private final io.pgflowee.engine.metrics.PgflowMetrics metrics;

    TaskExecution(Flow<?> flow, JsonCodec codec, Map<Task, RunningHandler> running,
                  AtomicBoolean graceOver, Outcomes outcomes, io.pgflowee.engine.metrics.PgflowMetrics metrics, int maxOutputBytes) {
        this.maxOutputBytes = maxOutputBytes;
        this.flow = flow;
        this.codec = codec;
        this.running = running;
        this.graceOver = graceOver;
        this.outcomes = outcomes;
        this.metrics = metrics;
        this.subflowSteps = flow.steps().stream().filter(s -> s.subflowSlug() != null).map(Step::slug)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** The flow's steps whose tasks start a child run (their spans are recorded for the child's). */
    private final java.util.Set<String> subflowSteps;

    private final int maxOutputBytes;
    private volatile TaskSpans spans = TaskSpans.OFF;
    private volatile java.util.UUID workerId;

    /** Each attempt runs in a span of {@code taskSpans} ({@link TaskSpans#OFF}: none). */
    void tracing(TaskSpans taskSpans, java.util.UUID worker) {
        this.spans = taskSpans;
        this.workerId = worker;
    }

    /** Runs the task's handler on the calling thread and hands its outcome on; the caller frees its slot after. */

    void run(Task task) {
        Instant deadline = Instant.now().plusSeconds(task.timeoutSeconds());
        // the timeout is enforced by the worker's sweep (timeOutOverdue), not by a timer per task: a
        // cancelled timer stays in the scheduler's queue until it would have fired, 120,000 of them
        // (150 MiB of heap) at 2,000 tasks/s with a 60 s timeout
        RunningHandler handler = new RunningHandler(TimeUnit.SECONDS.toNanos(task.timeoutSeconds()));
        AtomicBoolean timedOut = handler.timedOut();
        running.put(task, handler);
        TaskSpans.Active span = spans.start(flow.slug(), task.runId(), task.stepSlug(), task.taskIndex(), task.attempt(), workerId,
                subflowSteps.contains(task.stepSlug()));
        Thread thread = Thread.currentThread();
        String threadName = thread.getName();
        // the log lines the handler writes name its task: Payara's formats (and most others) print the thread's name
        thread.setName(threadName(task, span.traceId()));
        try {
            Step<?> step = flow.stepNamed(task.stepSlug());
            TaskContext context = new Context(task, deadline, timedOut, handler.runCancelled());
            String output;
            long t0 = System.nanoTime();
            try {
                output = step.execute(JsonCodec.parse(task.input()), context, codec);
            } catch (Throwable e) {
                measure(task, timedOut.get() ? "timed_out" : "failed", t0);
                if (handler.runCancelled().get()) {
                    span.outcome("cancelled", e);
                    ignoreCancelled(task, "threw " + e);
                    return;
                }
                if (graceOver.get() && !timedOut.get()) {
                    span.outcome("shutdown", e);
                    // cancelled by the shutdown, not failed by its handler: not reported; the stopping
                    // worker hands the task back (release_tasks), the attempt not counted
                    LOG.info(() -> "PGFLOW-039 task " + describe(task) + " was cancelled by the shutdown (" + e
                            + "); it is handed back to the queue");
                    return;
                }
                TaskSnoozed snooze = snoozeIn(e);
                span.outcome(timedOut.get() ? "timed_out" : snooze != null ? "snoozed" : "failed", snooze != null ? null : e);
                if (timedOut.get()) {
                    outcomes.failed(task, "Task timed out: the handler was still running after its "
                            + task.timeoutSeconds() + " s timeout and was interrupted (attempt " + task.attempt() + ")");
                } else if (snooze != null) {
                    outcomes.snoozed(task, snooze.wakeAt());
                } else {
                    outcomes.failed(task, errorMessage(e));
                }
                return;
            }
            measure(task, timedOut.get() ? "timed_out" : "completed", t0);
            span.outcome(handler.runCancelled().get() ? "cancelled" : timedOut.get() ? "timed_out" : "completed", null);
            if (handler.runCancelled().get()) {
                ignoreCancelled(task, "returned");
            } else if (timedOut.get()) {
                outcomes.failed(task, "Task timed out: the handler returned after its "
                        + task.timeoutSeconds() + " s timeout (attempt " + task.attempt() + ")");
            } else if (output != null && (long) output.length() * 3 > maxOutputBytes
                    && utf8Length(output, maxOutputBytes) > maxOutputBytes) { // 3 bytes a char at most: usually no count
                outcomes.failed(task, outputTooLarge(flow.slug(), task.stepSlug(), output.length(), maxOutputBytes));
            } else {
                outcomes.completed(task, output);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "PGFLOW-046 task " + describe(task) + " could not run; its lease will return it", e);
        } finally {
            thread.setName(threadName);
            span.close();
            running.remove(task);
            handler.finish(); // before the thread returns to the pool: no later interrupt reaches the next task
        }
    }

    /** The snooze a handler threw, also when a library wrapped it (a few causes deep); null when it did not snooze. */
    static TaskSnoozed snoozeIn(Throwable e) {
        Throwable t = e;
        for (int depth = 0; t != null && depth < 5; depth++, t = t.getCause()) {
            if (t instanceof TaskSnoozed snoozed) {
                return snoozed;
            }
        }
        return null;
    }

    /** Times out every running handler whose deadline has passed (the worker calls this every {@link #SWEEP_MILLIS}). */
    void timeOutOverdue() {
        long now = System.nanoTime();
        running.forEach((task, handler) -> {
            if (handler.timeOutIfDue(now)) {
                LOG.info(() -> "PGFLOW-044 task " + describe(task) + " passed its " + task.timeoutSeconds()
                        + " s timeout: its handler is interrupted");
            }
        });
    }

    /** How often running handlers are checked against their deadlines: a timeout fires at most this late. */
    static final long SWEEP_MILLIS = 100;

    private void ignoreCancelled(Task task, String outcome) {
        LOG.info(() -> "PGFLOW-043 task " + describe(task) + " " + outcome + " after its run was cancelled: not reported");
    }

    private void measure(Task task, String outcome, long startNanos) {
        if (metrics != null) {
            metrics.taskFinished(flow.slug(), task.stepSlug(), outcome, System.nanoTime() - startNanos);
        }
    }

    /** The UTF-8 length of {@code s}, counted up to just past {@code limit} (no copy of a large output is made). */
    static long utf8Length(String s, long limit) {
        long bytes = 0;
        for (int i = 0; i < s.length() && bytes <= limit; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** Why an output over {@code pgflow.worker.maxOutputBytes} is not reported. */
    static String outputTooLarge(String flowSlug, String stepSlug, int characters, int limit) {
        return String.format(java.util.Locale.ROOT, "Output of step '%s' is more than %,d bytes of JSON (%,d characters), over"
                + " the limit (pgflow.worker.maxOutputBytes, or pgflow.worker.%s.maxOutputBytes for this flow): keep large data"
                + " outside the run (a file, an object store, a table) and return a reference to it", stepSlug, limit, characters,
                flowSlug);
    }

    static String errorMessage(Throwable e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        String[] lines = trace.toString().split("\\R");
        StringBuilder message = new StringBuilder(e.getClass().getName()).append(": ").append(e.getMessage());
        for (int i = 1; i < lines.length && i <= STACK_FRAMES; i++) {
            message.append('\n').append(lines[i]);
        }
        if (lines.length > STACK_FRAMES + 1) {
            message.append("\n\t...");
        }
        return message.toString();
    }

    /** A task in log lines: flow, step, task, run and attempt, and the trace when tracing is on (the current span's). */
    String describe(Task task) {
        String base = flow.slug() + "/" + task.stepSlug() + "[" + task.taskIndex() + "] of run " + task.runId() + " (attempt " + task.attempt();
        if (spans != TaskSpans.OFF) {
            io.opentelemetry.api.trace.SpanContext current = io.opentelemetry.api.trace.Span.current().getSpanContext();
            if (current.isValid()) {
                return base + ", trace " + current.getTraceId() + ")";
            }
        }
        return base + ")";
    }

    /** The handler thread's name while it runs {@code task}: {@code pgflow <flow>/<step>[<index>] run <id> attempt <n>[ trace <id>]}. */
    String threadName(Task task, String traceId) {
        return "pgflow " + flow.slug() + "/" + task.stepSlug() + "[" + task.taskIndex() + "] run " + task.runId() + " attempt " + task.attempt()
                + (traceId == null ? "" : " trace " + traceId);
    }

    /** What a handler sees of its task. */
    private final class Context implements TaskContext {
        private final Task task;
        /** Parsed when a handler first asks: a map task's handler rarely does, and its run's input can be the whole array. */
        private JsonValue flowInput;
        private final Instant deadline;
        private final AtomicBoolean timedOut;
        private final AtomicBoolean runCancelled;

        Context(Task task, Instant deadline, AtomicBoolean timedOut, AtomicBoolean runCancelled) {
            this.task = task;
            this.deadline = deadline;
            this.timedOut = timedOut;
            this.runCancelled = runCancelled;
        }

        @Override
        public String flowSlug() {
            return flow.slug();
        }

        @Override
        public UUID runId() {
            return task.runId();
        }

        @Override
        public String stepSlug() {
            return task.stepSlug();
        }

        @Override
        public int taskIndex() {
            return task.taskIndex();
        }

        @Override
        public int attempt() {
            return task.attempt();
        }

        @Override
        public JsonValue flowInput() {
            if (flowInput == null) {
                flowInput = JsonCodec.parse(task.flowInput() == null ? "null" : task.flowInput());
            }
            return flowInput;
        }

        @Override
        public <T> T flowInput(Class<T> type) {
            return type.cast(codec.decode(flowInput(), type));
        }

        @Override
        public Instant deadline() {
            return deadline;
        }

        @Override
        public boolean isCancelled() {
            return timedOut.get() || runCancelled.get() || graceOver.get() || Thread.currentThread().isInterrupted();
        }
    }
}
