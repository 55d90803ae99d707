package io.pgflowee.web.lifecycle;

import io.pgflowee.engine.clock.Ticker;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorDefinition;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The managed executors the engine uses, declared here because Payara Micro ignores executor
 * definitions on classes in WEB-INF/lib (STACK-NOTES): {@link Ticker}'s one-thread scheduled
 * executor, so that a slow database delays no other timer of the server (the server's default
 * managed scheduled executor has one thread for everything).
 */
@ManagedScheduledExecutorDefinition(name = Ticker.EXECUTOR_JNDI_NAME, maxAsync = 1)
@ApplicationScoped
public class EngineExecutors {
}
