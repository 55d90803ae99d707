package io.pgflowee.web.rest;

import io.pgflowee.api.json.Jsonp;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.pgflowee.engine.events.RunEvent;
import io.pgflowee.engine.events.RunEventHub;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

/**
 * Server-sent event streams of one run or of one flow's runs, fed by {@link RunEventHub} (one
 * LISTEN connection per server; a stream holds no connection).
 *
 * <p>Delivery guarantee. Every event has a stable id ({@code <micros>/<rank>/<run id>/<step>}, the
 * transition's time as recorded in the tables). A stream sends each id at most once. A reconnect
 * with {@code Last-Event-ID} first replays, from the tables, every transition recorded at or after
 * that event's time minus {@code pgflow.events.replayMarginSeconds} (10 s; transactions can commit
 * in another order than their times), then goes on live: no transition is missed, and an event
 * the client got before the disconnect can come again with the same id, so a client drops ids it
 * has seen. The same re-read happens after this server's listener lost its database connection,
 * and once a second after a stream opens (a transition whose transaction checked for subscribers
 * just before the stream subscribed commits without an event). A retried step shows its current
 * attempt only: the tables keep no history of earlier attempts' step events.
 */
@ApplicationScoped
public class EventStreams {

    private static final Logger LOG = Logger.getLogger(EventStreams.class.getName());
    /** A flow replay longer than this sends a {@code reset} event instead. */
    static final int MAX_REPLAY = 10_000;

    @Inject
    RunEventHub hub;

    @Resource
    ManagedScheduledExecutorService scheduler;

    @Resource
    jakarta.enterprise.concurrent.ManagedThreadFactory threads;

    /**
     * Writes the streams' events, each stream by one task at a time. Its own threads, not the
     * managed executor the workers run handlers on: a write to a client that stopped reading blocks
     * until the listener's write timeout, and must not hold up a handler.
     */
    private java.util.concurrent.ExecutorService executor;

    /**
     * Threads writing to streams. A thread per stream was measured slower (hundreds of runnable
     * threads on 2 cores); a few threads keep a client that stopped reading from holding up the
     * others for longer than one write timeout each.
     */
    @Inject
    @ConfigProperty(name = "pgflow.events.writerThreads", defaultValue = "4")
    int writerThreads;

    /** A stream this many events behind its client is closed. */
    static final int MAX_BEHIND = 10_000;

    @Inject
    @ConfigProperty(name = "pgflow.events.replayMarginSeconds", defaultValue = "10")
    int replayMarginSeconds;

    /** An idle stream gets a comment after this many seconds (proxies close silent connections). */
    @Inject
    @ConfigProperty(name = "pgflow.events.keepAliveSeconds", defaultValue = "15")
    int keepAliveSeconds;

    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private ScheduledFuture<?> keepAlive;

    /** Opens a stream of one run: its history (or what followed {@code lastEventId}), then live events until its end. */
    void openRun(UUID runId, String lastEventId, SseEventSink sink, Sse sse, String instance) {
        Long since = since(lastEventId, instance);
        Stream stream = new Stream(sink, sse, runId, null);
        open(stream, instance, () -> hub.runHistory(runId, since == null ? Long.MIN_VALUE : since), lastEventId);
    }

    /** Opens a stream of a flow's runs: live events (after a replay of what followed {@code lastEventId}). */
    void openFlow(String flowSlug, String lastEventId, SseEventSink sink, Sse sse, String instance) {
        Long since = since(lastEventId, instance);
        Stream stream = new Stream(sink, sse, null, flowSlug);
        open(stream, instance, () -> since == null ? Optional.of(List.of())
                : Optional.of(hub.flowHistory(flowSlug, since, MAX_REPLAY)), lastEventId);
    }

    /** How many streams are open on this server. */
    public int openStreams() {
        return streams.size();
    }

    private Long since(String lastEventId, String instance) {
        if (lastEventId == null || lastEventId.isBlank()) {
            return null;
        }
        try {
            return RunEvent.timeOf(lastEventId.trim()) - replayMarginSeconds * 1_000_000L;
        } catch (IllegalArgumentException e) {
            throw new WebApplicationException(Problems.problem(400, "Invalid Last-Event-ID", e.getMessage(), instance, null));
        }
    }

    private interface History {
        Optional<List<RunEvent>> read() throws SQLException;
    }

    private void open(Stream stream, String instance, History history, String lastEventId) {
        if (lastEventId != null && !lastEventId.isBlank()) {
            stream.sent.put(lastEventId.trim(), Boolean.TRUE);
        }
        Optional<List<RunEvent>> replay;
        try {
            stream.watch = stream.runId != null ? hub.watch(stream.runId, null, stream) : hub.watch(null, stream.flowSlug, stream);
            replay = history.read();
        } catch (SQLException e) {
            stream.closeWatch();
            throw new WebApplicationException(Problems.problem(503, "Events unavailable",
                    "the database cannot be reached for live events: " + e.getMessage(), instance, "retry in a few seconds"));
        }
        if (replay.isEmpty()) {
            stream.closeWatch();
            throw new WebApplicationException(Problems.problem(404, "Unknown run", "Run " + stream.runId + " does not exist",
                    instance, null));
        }
        streams.add(stream);
        startKeepAlive();
        stream.begin(replay.get());
        if (!stream.closed) {
            // catches a transition that committed without an event while the subscription was being written
            long from = replay.get().isEmpty() ? Long.MIN_VALUE : replay.get().get(0).atMicros();
            schedule(() -> stream.catchUp(stream.runId != null ? Long.MIN_VALUE : from), 1, TimeUnit.SECONDS);
        }
    }

    private void schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            scheduler.schedule(task, delay, unit);
        } catch (RuntimeException e) {
            // shutting down
        }
    }

    private synchronized void startKeepAlive() {
        if (executor == null) {
            executor = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, writerThreads), threads);
        }
        if (keepAlive == null) {
            keepAlive = scheduler.scheduleWithFixedDelay(() -> {
                long now = System.currentTimeMillis();
                for (Stream s : streams) {
                    if (s.sink.isClosed()) {
                        s.close();
                    } else if (now - s.lastWrite >= keepAliveSeconds * 1000L) {
                        s.write(s.sse.newEventBuilder().comment("keep-alive").build());
                    }
                }
            }, 1, 1, TimeUnit.SECONDS);
        }
    }

    @PreDestroy
    void closeAll() {
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        streams.forEach(Stream::close);
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /** Recently built events: every stream that gets an event sends the same (immutable) object. */
    private final Map<String, OutboundSseEvent> built = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, OutboundSseEvent> eldest) {
            return size() > 1024;
        }
    };

    private OutboundSseEvent outbound(RunEvent e, Sse sse) {
        synchronized (built) {
            return built.computeIfAbsent(e.id(), id -> sse.newEventBuilder().id(id).name(e.type())
                    .mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, json(e)).build());
        }
    }

    /** The event's JSON (camelCase, like the rest of the API). */
    static String json(RunEvent e) {
        return io.pgflowee.web.rest.json.ApiJson.write(io.pgflowee.web.rest.json.RunEvent.of(e));
    }

    /** One client's stream. */
    private final class Stream implements RunEventHub.Watcher {
        final SseEventSink sink;
        final Sse sse;
        final UUID runId;
        final String flowSlug;
        /** Ids sent (bounded: a flow stream forgets the oldest). */
        final Map<String, Boolean> sent = new LinkedHashMap<>(64, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > 2 * MAX_REPLAY;
            }
        };
        final List<RunEvent> pending = new ArrayList<>();
        private final java.util.ArrayDeque<OutboundSseEvent> queue = new java.util.ArrayDeque<>();
        private boolean draining;
        private volatile boolean finishing;
        volatile RunEventHub.Watch watch;
        volatile long lastWrite = System.currentTimeMillis();
        volatile boolean closed;
        private boolean live;
        private long lastSentMicros = Long.MIN_VALUE;
        /** Whether the tables were read again after the stream opened (the opening catch-up, or one since). */
        private boolean caughtUp;
        /** A run's terminal event that came before that re-read: sent by it, after what it finds before. */
        private RunEvent deferredTerminal;

        Stream(SseEventSink sink, Sse sse, UUID runId, String flowSlug) {
            this.sink = sink;
            this.sse = sse;
            this.runId = runId;
            this.flowSlug = flowSlug;
        }

        synchronized void begin(List<RunEvent> replay) {
            // sends the headers now: a client that has them knows every later transition reaches it
            write(sse.newEventBuilder().comment("subscribed").build());
            if (flowSlug != null && replay.size() > MAX_REPLAY) {
                write(sse.newEventBuilder().name("reset").mediaType(MediaType.APPLICATION_JSON_TYPE)
                        .data(String.class, Jsonp.createObjectBuilder().add("detail", "more than " + MAX_REPLAY
                                + " events since Last-Event-ID: read the flow's runs with GET /api/runs?flow=" + flowSlug
                                + "; live events follow").build().toString()).build());
            } else {
                replay.forEach(this::send);
            }
            pending.forEach(this::send);
            pending.clear();
            live = true;
        }

        @Override
        public synchronized void event(RunEvent event) {
            if (closed) {
                return;
            }
            if (live) {
                send(event);
            } else {
                pending.add(event);
            }
        }

        @Override
        public void reconnected() {
            long from = lastSentMicros == Long.MIN_VALUE ? Long.MIN_VALUE : lastSentMicros - replayMarginSeconds * 1_000_000L;
            schedule(() -> catchUp(from), 0, TimeUnit.SECONDS);
        }

        /** Sends what the tables hold since {@code fromMicros} and this stream has not sent. */
        void catchUp(long fromMicros) {
            if (closed) {
                return;
            }
            try {
                List<RunEvent> events = runId != null ? hub.runHistory(runId, fromMicros).orElse(List.of())
                        : fromMicros == Long.MIN_VALUE ? List.of() : hub.flowHistory(flowSlug, fromMicros, MAX_REPLAY);
                synchronized (this) {
                    caughtUp = true;
                    events.forEach(this::send);
                    sendDeferredTerminal();
                }
            } catch (SQLException | RuntimeException e) {
                LOG.warning("PGFLOW-066 an event stream could not re-read the tables (" + e.getMessage()
                        + "); it goes on with live events");
                synchronized (this) {
                    caughtUp = true;
                    sendDeferredTerminal();
                }
            }
        }

        private void sendDeferredTerminal() {
            RunEvent terminal = deferredTerminal;
            deferredTerminal = null;
            if (terminal != null) {
                send(terminal);
            }
        }

        /**
         * Sends an event once; a run stream ends after its run's terminal event. A terminal event that
         * comes before the stream re-read the tables waits for that re-read, which runs at once: a run
         * that ends within a second of the stream opening could otherwise end the stream before the
         * re-read sends a transition that committed without an event while the stream subscribed.
         */
        private void send(RunEvent e) {
            if (closed || sent.containsKey(e.id())) {
                return;
            }
            if (runId != null && e.terminal() && !caughtUp) {
                if (deferredTerminal == null) {
                    deferredTerminal = e;
                    schedule(() -> catchUp(Long.MIN_VALUE), 0, TimeUnit.SECONDS);
                }
                return;
            }
            sent.put(e.id(), Boolean.TRUE);
            lastSentMicros = Math.max(lastSentMicros, e.atMicros());
            write(outbound(e, sse));
            if (runId != null && e.terminal()) {
                finish();
            }
        }

        /**
         * Queues an event for this stream's writer: writes happen on the managed executor, one
         * stream at a time each, so a client that reads slowly (or not at all) holds up only its own
         * stream, never the listener or the other streams. A stream more than
         * {@link #MAX_BEHIND} events behind is closed; its client can resume with Last-Event-ID.
         */
        void write(OutboundSseEvent event) {
            boolean start;
            boolean overflow = false;
            synchronized (queue) {
                if (closed || finishing) {
                    return;
                }
                if (queue.size() >= MAX_BEHIND) {
                    LOG.warning("PGFLOW-067 an event stream fell " + MAX_BEHIND + " events behind (its client reads too slowly);"
                            + " it is closed, and its client can resume with Last-Event-ID");
                    start = false;
                    overflow = true;
                } else {
                    queue.add(event);
                    lastWrite = System.currentTimeMillis();
                    start = !draining;
                    draining |= start;
                }
            }
            if (overflow) {
                close();
                return;
            }
            if (start) {
                drainLater();
            }
        }

        /** Ends the stream once everything queued is written. */
        void finish() {
            boolean start;
            synchronized (queue) {
                finishing = true;
                start = !draining;
                draining |= start;
            }
            if (start) {
                drainLater();
            }
        }

        private void drainLater() {
            try {
                executor.execute(this::drain);
            } catch (RuntimeException e) {
                close(); // shutting down
            }
        }

        private void drain() {
            while (true) {
                OutboundSseEvent next;
                synchronized (queue) {
                    next = queue.poll();
                    if (next == null) {
                        draining = false;
                        if (finishing) {
                            break;
                        }
                        return;
                    }
                }
                try {
                    sink.send(next).toCompletableFuture().join();
                } catch (RuntimeException e) {
                    close();
                    return;
                }
            }
            close();
        }

        void closeWatch() {
            RunEventHub.Watch w = watch;
            if (w != null) {
                w.close();
            }
        }

        void close() {
            closed = true;
            streams.remove(this);
            closeWatch();
            try {
                sink.close();
            } catch (RuntimeException e) {
                // already closed by the client
            }
        }
    }
}
