package io.pgflowee.web.security;

import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.BeforeBeanDiscovery;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.enterprise.util.Nonbinding;

/**
 * Makes {@code @RolesAllowed} an interceptor binding for CDI beans, so that the console's actions
 * declare their role with the platform's annotation and {@link DeclaredRolesGuard} enforces it
 * (CDI itself enforces no security annotation; EJBs and JAX-RS have their own enforcement).
 */
public class RolesAllowedBinding implements Extension {

    void bind(@Observes BeforeBeanDiscovery discovery) {
        discovery.configureInterceptorBinding(RolesAllowed.class).methods().forEach(m -> m.add(Nonbinding.Literal.INSTANCE));
    }
}
