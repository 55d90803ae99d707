package io.pgflowee.web.security;

import java.io.Serializable;
import java.util.logging.Logger;

import jakarta.annotation.Priority;
import jakarta.annotation.security.RolesAllowed;
import jakarta.faces.application.FacesMessage;
import jakarta.faces.context.FacesContext;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Enforces {@code @RolesAllowed} on CDI beans (the console's page beans): a caller without one of
 * the roles does not reach the method. In a Faces request the page shows why ("Your role
 * pgflow-viewer may not ...: that needs pgflow-operator") and the action returns nothing (no
 * navigation); elsewhere a {@link SecurityException} is thrown. A forged post of a hidden button
 * is refused the same way.
 */
@Interceptor
@RolesAllowed({})
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 200)
public class DeclaredRolesGuard implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(DeclaredRolesGuard.class.getName());

    @Inject
    HttpServletRequest request;

    /** The current Faces request, if any (tests outside a Faces runtime give none). */
    transient java.util.function.Supplier<FacesContext> faces = FacesContext::getCurrentInstance;

    @AroundInvoke
    public Object check(InvocationContext call) throws Exception {
        RoleDeclaration declared = RoleDeclaration.of(call.getMethod(), call.getMethod().getDeclaringClass())
                .orElse(new RoleDeclaration(java.util.List.of(), false));
        if (declared.allows(request::isUserInRole)) {
            return call.proceed();
        }
        String who = request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName();
        String role = Role.highest(request::isUserInRole).map(Role::roleName).orElse("none");
        LOG.warning("PGFLOW-057 refused " + call.getMethod().getDeclaringClass().getSimpleName() + "." + call.getMethod().getName()
                + " to '" + who + "' (" + role + "): needs " + declared.describe());
        FacesContext page = faces == null ? FacesContext.getCurrentInstance() : faces.get();
        if (page == null) {
            throw new SecurityException(call.getMethod().getName() + " needs " + declared.describe());
        }
        page.addMessage(null, new FacesMessage(FacesMessage.SEVERITY_ERROR, "Your role " + role + " may not do this: it needs "
                + declared.describe() + ".", null));
        return null;
    }
}
