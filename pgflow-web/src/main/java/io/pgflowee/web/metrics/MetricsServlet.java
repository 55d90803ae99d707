package io.pgflowee.web.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.pgflowee.engine.metrics.PgflowMetrics;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /metrics}: pgflow's metrics in Prometheus text format ({@link PgflowMetrics}). Needs a
 * signed-in pgflow user (any role, HTTP Basic) unless {@code pgflow.metrics.public=true}; see
 * {@link io.pgflowee.web.security.ApiAuthentication}.
 */
// registered by MetricsRegistration (its security constraint depends on pgflow.metrics.public)
public class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient PgflowMetrics metrics;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
