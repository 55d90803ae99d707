package io.pgflowee.web.security;

import java.util.List;

/** The API's roles; each implies the ones before it (an admin is also an operator and a viewer). */
public enum Role {
    /** Reads everything. */
    VIEWER(Name.VIEWER),
    /** Also starts, cancels, retries, restarts runs and pauses flows. */
    OPERATOR(Name.OPERATOR),
    /** Everything, including batch jobs. */
    ADMIN(Name.ADMIN);

    /**
     * The role names as constants, for declarations: {@code @RolesAllowed(Role.Name.OPERATOR)} on a
     * REST method or a console action. A caller holds every role its own implies, so naming the
     * lowest role that may do a thing is enough.
     */
    public interface Name {
        String VIEWER = "pgflow-viewer";
        String OPERATOR = "pgflow-operator";
        String ADMIN = "pgflow-admin";
    }

    private final String name;

    Role(String name) {
        this.name = name;
    }

    /** The role's name in configuration and in the container ({@code pgflow-operator}). */
    public String roleName() {
        return name;
    }

    /** This role and every role it implies, by name. */
    public List<String> withImplied() {
        return java.util.Arrays.stream(values()).filter(r -> r.ordinal() <= ordinal()).map(Role::roleName).toList();
    }

    /** The highest role whose name {@code has} accepts (a caller's groups, {@code isUserInRole}), if any. */
    public static java.util.Optional<Role> highest(java.util.function.Predicate<String> has) {
        Role best = null;
        for (Role r : values()) {
            if (has.test(r.roleName())) {
                best = r;
            }
        }
        return java.util.Optional.ofNullable(best);
    }

    /** The role called {@code name}, or null. */
    public static Role named(String name) {
        for (Role r : values()) {
            if (r.name.equals(name)) {
                return r;
            }
        }
        return null;
    }
}
