package io.pgflowee.web.console;

import java.io.IOException;
import java.sql.SQLException;
import java.util.logging.Logger;

import jakarta.inject.Inject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /console/live}: the console page's event stream ({@link ConsoleLive}); needs the
 * console sign-in like every console page. A stream lasts ten minutes, then the browser's
 * EventSource reconnects by itself.
 */
@WebServlet(urlPatterns = "/console/live", asyncSupported = true)
public class ConsoleLiveServlet extends HttpServlet {

    private static final Logger LOG = Logger.getLogger(ConsoleLiveServlet.class.getName());
    private static final long STREAM_MS = 10 * 60 * 1000L;

    @Inject
    ConsoleLive live;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("X-Accel-Buffering", "no");
        AsyncContext page = request.startAsync();
        page.setTimeout(STREAM_MS);
        page.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                live.close(page);
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                live.close(page);
                page.complete();
            }

            @Override
            public void onError(AsyncEvent event) {
                live.close(page);
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                // not restarted
            }
        });
        try {
            jakarta.servlet.http.HttpSession session = request.getSession(false);
            if (session == null) { // the sign-in check let no request without a session through; never stream to one
                response.setStatus(401);
                page.complete();
                return;
            }
            live.open(page, session.getId());
        } catch (SQLException e) {
            LOG.warning("PGFLOW-083 console live feed unavailable: " + e.getMessage());
            live.close(page);
            response.setStatus(503);
            page.complete();
        }
    }
}
