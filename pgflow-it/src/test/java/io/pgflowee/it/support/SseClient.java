package io.pgflowee.it.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

/** A server-sent-events client (signed in as it-viewer) that collects a stream's events on its own thread. */
public final class SseClient implements AutoCloseable {
    /** {event name, id, data} in arrival order. */
    public final List<String[]> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    public final java.util.concurrent.atomic.AtomicInteger comments = new java.util.concurrent.atomic.AtomicInteger();
    public final java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
    public final java.util.concurrent.CompletableFuture<Integer> connected = new java.util.concurrent.CompletableFuture<>();
    private volatile java.util.stream.Stream<String> lines;
    private volatile boolean closed;

    public SseClient(URI uri, String lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream")
                .header("Authorization", OnSharedServer.basic("it-viewer", "it-viewer-secret"));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        Thread reader = new Thread(() -> {
            try {
                HttpResponse<java.util.stream.Stream<String>> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .build().send(request.build(), HttpResponse.BodyHandlers.ofLines());
                connected.complete(response.statusCode());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("status " + response.statusCode());
                }
                lines = response.body();
                if (closed) {
                    lines.close();
                }
                String name = null;
                String id = null;
                String data = null;
                for (java.util.Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                    String line = it.next();
                    if (line.startsWith("event:")) {
                        name = line.substring(6).trim();
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).trim();
                    } else if (line.startsWith("data:")) {
                        data = line.substring(5).trim();
                    } else if (line.startsWith(":")) {
                        comments.incrementAndGet();
                    } else if (line.isEmpty() && name != null) {
                        events.add(new String[] {name, id, data});
                        name = null;
                        id = null;
                        data = null;
                    }
                }
                ended.complete(null);
            } catch (Exception e) {
                connected.completeExceptionally(e);
                ended.completeExceptionally(e);
            }
        }, "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** Event names with the step slug when there is one ("step:started first"). */
    public List<String> names() {
        return events.stream().map(e -> e[0] + (e[1].endsWith("/") ? "" : " " + e[1].substring(e[1].lastIndexOf('/') + 1)))
                .toList();
    }

    public List<String> ids() {
        return events.stream().map(e -> e[1]).toList();
    }

    @Override
    public void close() {
        closed = true;
        java.util.stream.Stream<String> l = lines;
        if (l != null) {
            l.close();
        }
    }
}
