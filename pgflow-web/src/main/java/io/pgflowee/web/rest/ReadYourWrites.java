package io.pgflowee.web.rest;

import java.io.IOException;
import java.security.Principal;
import java.util.Set;

import io.pgflowee.engine.db.ReadReplicas;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Read-your-writes with reads on a replica ({@link ReadReplicas}): once a signed-in person's request
 * that may have changed something (any method but GET, HEAD and OPTIONS, REST or console) has
 * been answered, and so committed, the primary's WAL position is remembered for that person; their
 * next pages read the replica only once it has replayed it; and the request's own reads (the answer
 * it builds) read the primary. Does nothing without a replica.
 */
@WebFilter(urlPatterns = "/*", asyncSupported = true)
public class ReadYourWrites extends HttpFilter {

    private static final long serialVersionUID = 1L;
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");

    @Inject
    transient ReadReplicas replicas;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        boolean mayWrite = !READS.contains(request.getMethod());
        ReadReplicas.serving(mayWrite);
        try {
            chain.doFilter(request, response);
        } finally {
            ReadReplicas.serving(false);
            if (replicas != null && replicas.configured() && mayWrite) {
                Principal person = request.getUserPrincipal();
                if (person != null) {
                    replicas.wrote(person.getName());
                }
            }
        }
    }
}
