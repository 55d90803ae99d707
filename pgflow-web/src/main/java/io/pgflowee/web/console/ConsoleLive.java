package io.pgflowee.web.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import io.pgflowee.api.json.Jsonp;
import io.pgflowee.engine.events.RunEvent;
import io.pgflowee.engine.events.RunEventHub;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.servlet.AsyncContext;

/**
 * The console's live feed: while at least one console page is open, one watch of every run on the
 * server's one event listener ({@link RunEventHub#watchAll}), and one server-sent event stream per
 * open page ({@link ConsoleLiveServlet}). Events are gathered for {@value #GATHER_MS} ms and sent as
 * one message naming the runs and flows that moved, {@code {"all":false,"runs":[{"run":..,"flow":..}]}};
 * the page decides whether it shows one of them and then re-renders its live parts (one read per
 * page and change, never a poll). {@code "all":true} means "re-read whatever you show" (too many
 * runs moved to name them, or the listener reconnected and events may have been missed).
 */
@ApplicationScoped
public class ConsoleLive {

    private static final Logger LOG = Logger.getLogger(ConsoleLive.class.getName());
    static final int GATHER_MS = 400;
    private static final int MAX_NAMED = 100;
    static final int KEEP_ALIVE_SECONDS = 15;

    @Inject
    RunEventHub hub;

    @Resource
    ManagedScheduledExecutorService scheduler;

    private final List<AsyncContext> pages = new CopyOnWriteArrayList<>();
    /** The HTTP session of each open page's stream: a session that ends (sign-out, time limit) ends its streams at once. */
    private final Map<AsyncContext, String> sessions = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<UUID, String> moved = new LinkedHashMap<>();
    private boolean movedAll;
    private ScheduledFuture<?> pendingSend;
    private ScheduledFuture<?> keepAlive;
    private RunEventHub.Watch watch;

    /** A page of session {@code sessionId} opened its stream: starts watching when it is the first. */
    void open(AsyncContext page, String sessionId) throws IOException, SQLException {
        sessions.put(page, sessionId);
        synchronized (this) {
            if (watch == null) {
                watch = hub.watchAll(new RunEventHub.Watcher() {
                    @Override
                    public void event(RunEvent event) {
                        moved(event.runId(), event.flowSlug());
                    }

                    @Override
                    public void reconnected() {
                        moved(null, null);
                    }
                });
                keepAlive = scheduler.scheduleWithFixedDelay(() -> send(": keep-alive\n\n"), KEEP_ALIVE_SECONDS, KEEP_ALIVE_SECONDS,
                        TimeUnit.SECONDS);
            }
            pages.add(page);
        }
        write(page, "retry: 2000\n: live\n\n");
    }

    /** A page's stream ended (closed, timed out, failed): stops watching after the last one. */
    void close(AsyncContext page) {
        sessions.remove(page);
        RunEventHub.Watch ended = null;
        synchronized (this) {
            if (pages.remove(page) && pages.isEmpty() && watch != null) {
                ended = watch;
                watch = null;
                keepAlive.cancel(false);
                keepAlive = null;
            }
        }
        if (ended != null) {
            ended.close();
        }
    }

    /** Ends every stream of a session that ended (signed out, timed out); returns how many there were. */
    public int endSession(String sessionId) {
        int ended = 0;
        for (Map.Entry<AsyncContext, String> e : sessions.entrySet()) {
            if (e.getValue().equals(sessionId)) {
                AsyncContext page = e.getKey();
                close(page);
                try {
                    page.complete();
                } catch (IllegalStateException done) {
                    // completed already
                }
                ended++;
            }
        }
        return ended;
    }

    /** How many console pages follow the live feed now. */
    public int openPages() {
        return pages.size();
    }

    private synchronized void moved(UUID run, String flow) {
        if (run == null || moved.size() >= MAX_NAMED) {
            movedAll = true;
            moved.clear();
        } else if (!movedAll) {
            moved.put(run, flow);
        }
        if (pendingSend == null) {
            pendingSend = scheduler.schedule(this::sendMoved, GATHER_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void sendMoved() {
        String message;
        synchronized (this) {
            pendingSend = null;
            JsonArrayBuilder runs = Jsonp.createArrayBuilder();
            moved.forEach((run, flow) -> runs.add(Jsonp.createObjectBuilder().add("run", run.toString()).add("flow", flow)));
            message = Jsonp.createObjectBuilder().add("all", movedAll).add("runs", runs).build().toString();
            moved.clear();
            movedAll = false;
        }
        send("data: " + message + "\n\n");
    }

    private void send(String text) {
        for (AsyncContext page : pages) {
            write(page, text);
        }
    }

    private void write(AsyncContext page, String text) {
        try {
            var out = page.getResponse().getOutputStream();
            synchronized (page) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException | IllegalStateException e) {
            close(page); // the browser went away
            try {
                page.complete();
            } catch (IllegalStateException done) {
                // completed already
            }
        }
    }

    @PreDestroy
    void stop() {
        for (AsyncContext page : pages) {
            close(page);
            try {
                page.complete();
            } catch (IllegalStateException e) {
                LOG.fine("console stream already complete");
            }
        }
    }
}
