package io.pgflowee.web.metrics;

import java.util.logging.Logger;

import org.eclipse.microprofile.config.ConfigProvider;

import io.pgflowee.web.security.Role;
import jakarta.servlet.HttpConstraintElement;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.ServletSecurityElement;
import jakarta.servlet.annotation.WebListener;

/**
 * Registers {@link MetricsServlet} at {@code /metrics} with its security constraint: any pgflow role
 * (the web.xml default), or nobody's sign-in with {@code pgflow.metrics.public=true}. A deployment
 * descriptor cannot make a constraint depend on a setting, so it is declared here, at deployment.
 */
@WebListener
public class MetricsRegistration implements ServletContextListener {

    private static final Logger LOG = Logger.getLogger(MetricsRegistration.class.getName());

    @Override
    public void contextInitialized(ServletContextEvent event) {
        boolean open = ConfigProvider.getConfig().getOptionalValue("pgflow.metrics.public", Boolean.class).orElse(false);
        ServletRegistration.Dynamic metrics = event.getServletContext().addServlet("pgflow-metrics", MetricsServlet.class);
        metrics.addMapping("/metrics");
        metrics.setServletSecurity(open ? new ServletSecurityElement()
                : new ServletSecurityElement(new HttpConstraintElement(jakarta.servlet.annotation.ServletSecurity.TransportGuarantee.NONE,
                        Role.Name.VIEWER)));
        if (open) {
            LOG.info("PGFLOW-056 /metrics is public (pgflow.metrics.public=true): anyone who can reach this server reads it");
        }
    }
}
