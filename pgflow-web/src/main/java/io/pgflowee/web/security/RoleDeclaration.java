package io.pgflowee.web.security;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import jakarta.annotation.security.DenyAll;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;

/**
 * Which roles may call a REST method or a console action, as declared on it ({@code @RolesAllowed},
 * {@code @PermitAll}, {@code @DenyAll}), else on its class. Nothing declared means nobody: a method
 * someone forgot to annotate is refused, and a test fails on it.
 *
 * @param roles the roles named ({@code @RolesAllowed}); empty for {@code @DenyAll}
 * @param everyone {@code @PermitAll}: every signed-in user (the routes' sign-in still applies)
 */
public record RoleDeclaration(List<String> roles, boolean everyone) {

    private static final RoleDeclaration NOBODY = new RoleDeclaration(List.of(), false);

    /** The declaration on the method, else on its class; empty when there is none. */
    public static Optional<RoleDeclaration> of(Method method, Class<?> type) {
        Optional<RoleDeclaration> own = on(method.getAnnotation(RolesAllowed.class), method.isAnnotationPresent(PermitAll.class),
                method.isAnnotationPresent(DenyAll.class));
        return own.isPresent() ? own : on(type.getAnnotation(RolesAllowed.class), type.isAnnotationPresent(PermitAll.class),
                type.isAnnotationPresent(DenyAll.class));
    }

    private static Optional<RoleDeclaration> on(RolesAllowed allowed, boolean permitAll, boolean denyAll) {
        if (denyAll) {
            return Optional.of(NOBODY);
        }
        if (allowed != null) {
            return Optional.of(new RoleDeclaration(List.of(allowed.value()), false));
        }
        return permitAll ? Optional.of(new RoleDeclaration(List.of(), true)) : Optional.empty();
    }

    /** Whether a caller with these roles ({@code isUserInRole}) may call. */
    public boolean allows(Predicate<String> callerHas) {
        return everyone || roles.stream().anyMatch(callerHas);
    }

    /** For messages: "pgflow-operator" or "pgflow-operator or pgflow-admin", "nobody". */
    public String describe() {
        return everyone ? "any signed-in user" : roles.isEmpty() ? "nobody (@DenyAll)" : String.join(" or ", roles);
    }
}
