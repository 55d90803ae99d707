package io.pgflowee.web.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import jakarta.annotation.security.RolesAllowed;
import jakarta.interceptor.InvocationContext;
import jakarta.servlet.http.HttpServletRequest;

/** The console's actions run only for callers with the role they declare; others never reach them. */
class DeclaredRolesGuardTest {

    static class Page {
        @RolesAllowed(Role.Name.OPERATOR)
        public void retry() {
        }

        public void undeclared() {
        }
    }

    private final AtomicInteger reached = new AtomicInteger();

    private Object call(String method, Set<String> callerRoles) throws Exception {
        DeclaredRolesGuard guard = new DeclaredRolesGuard();
        guard.faces = () -> null; // not inside a Faces request: refusals are exceptions
        guard.request = (HttpServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HttpServletRequest.class},
                (p, m, a) -> switch (m.getName()) {
                    case "isUserInRole" -> callerRoles.contains((String) a[0]);
                    case "getUserPrincipal" -> (java.security.Principal) () -> "eve";
                    default -> null;
                });
        Method target = Page.class.getMethod(method);
        InvocationContext context = (InvocationContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {InvocationContext.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getMethod" -> target;
                    case "proceed" -> {
                        reached.incrementAndGet();
                        yield "done";
                    }
                    default -> null;
                });
        return guard.check(context);
    }

    @Test
    void anOperatorReachesTheActionAViewerDoesNot() throws Exception {
        assertThat(call("retry", Set.of(Role.Name.VIEWER, Role.Name.OPERATOR))).isEqualTo("done");
        assertThat(reached).hasValue(1);
        assertThatThrownBy(() -> call("retry", Set.of(Role.Name.VIEWER))).isInstanceOf(SecurityException.class)
                .hasMessage("retry needs pgflow-operator");
        assertThat(reached).as("the viewer never reached it").hasValue(1);
    }

    @Test
    void anActionThatDeclaresNothingIsRefusedToEveryone() {
        assertThatThrownBy(() -> call("undeclared", Set.of(Role.Name.VIEWER, Role.Name.OPERATOR, Role.Name.ADMIN)))
                .isInstanceOf(SecurityException.class).hasMessage("undeclared needs nobody (@DenyAll)");
        assertThat(reached).hasValue(0);
    }
}
