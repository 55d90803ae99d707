package io.pgflowee.engine.jobs;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import jakarta.batch.api.chunk.AbstractItemReader;

/**
 * Reads runs in keyset order, {@value #PAGE} per query, and checkpoints the last run read
 * ({@link RunRef#checkpoint()}), so a restart continues after it whatever changed meanwhile. A
 * subclass says which runs come next ({@link #next}) and may end early ({@link #nothingToRead}).
 */
public abstract class RunKeysetReader extends AbstractItemReader {

    static final int PAGE = 500;

    private final Deque<RunRef> page = new ArrayDeque<>();
    private RunRef last;
    private boolean done;
    private boolean exhausted;
    private boolean firstOpen;

    /** The next at most {@code limit} runs after {@code after} (null: from the first). */
    protected abstract List<RunRef> next(RunRef after, int limit) throws Exception;

    /** Prepares the reader (job parameters, a cutoff); called by {@link #open} before anything is read. */
    protected void prepare() {
    }

    /** Called by {@link #open} after {@link #prepare}: the reader is about to read. */
    protected void started() throws Exception {
    }

    /** Called by {@link #close} when every run was read (not when the step stopped or failed first). */
    protected void finished() throws Exception {
    }

    /** This open starts the reading (no checkpoint): the time to count what will be read ({@code JobDatabase.total}). */
    protected final boolean isFirstOpen() {
        return firstOpen;
    }

    /** Reads nothing at all (for example a partition without a flow). */
    protected final void nothingToRead() {
        done = true;
    }

    @Override
    public final void open(Serializable checkpoint) throws Exception {
        firstOpen = checkpoint == null;
        prepare();
        if (checkpoint != null) {
            last = RunRef.fromCheckpoint(checkpoint.toString());
        }
        started();
    }

    @Override
    public final Object readItem() throws Exception {
        if (page.isEmpty() && !done) {
            List<RunRef> runs = next(last, PAGE);
            page.addAll(runs);
            done = runs.size() < PAGE;
        }
        RunRef next = page.poll();
        if (next != null) {
            last = next;
        } else {
            exhausted = true;
        }
        return next;
    }

    @Override
    public final void close() throws Exception {
        if (exhausted) {
            finished();
        }
    }

    @Override
    public final Serializable checkpointInfo() {
        return last == null ? null : last.checkpoint();
    }
}
