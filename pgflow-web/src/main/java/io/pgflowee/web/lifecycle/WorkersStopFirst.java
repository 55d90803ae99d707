package io.pgflowee.web.lifecycle;

import io.pgflowee.engine.system.ApplicationStopping;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

/**
 * An undeploy (a reload of {@code ./pgflow}, {@code undeploy}, a redeploy) stops the workers while
 * the application's resources still work: Payara tears down the application's own connection pool
 * ({@code @DataSourceDefinition}) before CDI's {@code @PreDestroy} runs, so workers stopped only
 * there tried to claim on a pool that was gone (three {@code RAR5114} warnings per reload) and sent
 * their last reports through connections of their own. The web module stops first; its listener
 * fires {@link ApplicationStopping}, on which the engine stops the workers gracefully (claims end,
 * handlers get their {@code shutdownTimeoutMs}, unfinished tasks are handed back) before anything
 * else goes. The web module does not know the workers: it only says the application is stopping.
 */
@WebListener
public class WorkersStopFirst implements ServletContextListener {

    @Inject
    Event<ApplicationStopping> stopping;

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        stopping.fire(new ApplicationStopping());
    }
}
