package io.pgflowee.web.rest;

import java.util.logging.Logger;

import io.pgflowee.web.security.RoleDeclaration;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.ext.Provider;

/**
 * Enforces the role each REST method declares ({@code @RolesAllowed}, {@code @PermitAll},
 * {@code @DenyAll}, on the method or its class) before the request body is read: a caller without
 * the role gets 403 problem details naming the role needed. A method that declares nothing is
 * refused for everyone (deny by default; the test of every endpoint's declaration fails first).
 * Payara's Jersey enforces {@code @RolesAllowed} as well (answering "Caller not in requested role");
 * this check runs just before it, so that the answer says which role is needed.
 */
@Provider
public class DeclaredRoles implements DynamicFeature {

    private static final Logger LOG = Logger.getLogger(DeclaredRoles.class.getName());

    @Override
    public void configure(ResourceInfo resource, FeatureContext context) {
        if (resource.getResourceClass().getName().startsWith("org.glassfish.jersey.")) {
            return; // the runtime's own OPTIONS answers (the API's sign-in still applies to them)
        }
        RoleDeclaration declared = RoleDeclaration.of(resource.getResourceMethod(), resource.getResourceClass()).orElse(null);
        if (declared == null) {
            LOG.severe("PGFLOW-057 " + resource.getResourceClass().getSimpleName() + "." + resource.getResourceMethod().getName()
                    + " declares no role (@RolesAllowed, @PermitAll or @DenyAll): every request to it is refused");
        }
        context.register(new Check(declared), Priorities.AUTHORIZATION - 1);
    }

    /** The check of one method's declaration. */
    @Priority(Priorities.AUTHORIZATION - 1)
    static final class Check implements ContainerRequestFilter {

        private final RoleDeclaration declared;

        Check(RoleDeclaration declared) {
            this.declared = declared;
        }

        @Override
        public void filter(ContainerRequestContext request) {
            var security = request.getSecurityContext();
            if (declared != null && declared.allows(security::isUserInRole)) {
                return;
            }
            String path = "/api/" + request.getUriInfo().getPath().replaceFirst("^/", "");
            String who = security.getUserPrincipal() == null ? "this caller" : "user '" + security.getUserPrincipal().getName() + "'";
            String detail = declared == null ? request.getMethod() + " " + path + " declares no role and is refused for everyone"
                    : who + " may not " + request.getMethod() + " " + path + ": it needs " + declared.describe();
            throw new WebApplicationException(Problems.problem(403, "Forbidden", detail, path, null));
        }
    }
}
