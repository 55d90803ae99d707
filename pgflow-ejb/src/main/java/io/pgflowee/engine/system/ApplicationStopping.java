package io.pgflowee.engine.system;

/**
 * Fired (CDI event) by the web module when the application is being undeployed, while its resources
 * still work: whatever must end before the application's connection pool goes (the workers) observes
 * it. Payara destroys the application's {@code @DataSourceDefinition} pool before {@code @PreDestroy}
 * methods run, so those come too late for anything that still needs the database.
 */
public record ApplicationStopping() {
}
