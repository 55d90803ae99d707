package io.pgflowee.web.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import jakarta.inject.Named;

/**
 * Every REST method and every console action says which role it needs. Built from the code itself
 * (every {@code @Path} class of the module, every action an {@code .xhtml} page names), so a new
 * endpoint or button joins the check by itself and fails it until it declares its role.
 */
class DeclaredRolesTest {

    private static final Set<Class<? extends java.lang.annotation.Annotation>> VERBS = Set.of(jakarta.ws.rs.GET.class,
            jakarta.ws.rs.POST.class, jakarta.ws.rs.PUT.class, jakarta.ws.rs.DELETE.class, jakarta.ws.rs.PATCH.class,
            jakarta.ws.rs.HEAD.class, jakarta.ws.rs.OPTIONS.class);

    static List<Class<?>> classesOfThisModule() throws IOException {
        Path root = Path.of("target/classes");
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                try {
                    classes.add(Class.forName(name, false, DeclaredRolesTest.class.getClassLoader()));
                } catch (ClassNotFoundException | LinkageError e) {
                    throw new AssertionError("cannot load " + name, e);
                }
            }
        }
        return classes;
    }

    private static final Set<String> ADMIN_METHODS = Set.of("FlowsResource.keyConcurrency (POST)", "FlowsResource.rateLimit (POST)",
            "SchedulesResource.create (POST)", "SchedulesResource.update (PATCH)", "SchedulesResource.pause (POST)",
            "SchedulesResource.resume (POST)", "SchedulesResource.backfill (POST)", "SchedulesResource.delete (DELETE)");

    @Test
    void everyRestMethodDeclaresItsRoleReadsNeedAViewerChangesAnOperatorAndJobsAnAdmin() throws IOException {
        List<String> undeclared = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (Class<?> type : classesOfThisModule()) {
            if (!type.isAnnotationPresent(jakarta.ws.rs.Path.class)) {
                continue;
            }
            for (Method m : type.getMethods()) {
                String verb = VERBS.stream().filter(m::isAnnotationPresent).map(Class::getSimpleName).findFirst().orElse(null);
                if (verb == null) {
                    continue;
                }
                String where = type.getSimpleName() + "." + m.getName() + " (" + verb + ")";
                seen.add(where);
                RoleDeclaration declared = RoleDeclaration.of(m, type).orElse(null);
                if (declared == null) {
                    undeclared.add(where);
                    continue;
                }
                assertThat(declared.everyone()).as(where + " must name a role, not @PermitAll").isFalse();
                // jobs and the flow-wide limits of one key or of the rate (they change every tenant's service) are an admin's
                String expected = type.getSimpleName().equals("JobsResource") || ADMIN_METHODS.contains(where) ? Role.Name.ADMIN
                        : verb.equals("GET") ? Role.Name.VIEWER : Role.Name.OPERATOR;
                assertThat(declared.roles()).as(where).containsExactly(expected);
            }
        }
        assertThat(seen).as("the resources were found").hasSizeGreaterThanOrEqualTo(20);
        assertThat(undeclared).isEmpty();
    }

    @Test
    void everyConsoleActionAPageNamesDeclaresItsRole() throws IOException {
        Pattern action = Pattern.compile("(?:action|actionListener|listener)=\"#\\{([a-zA-Z]+)\\.([a-zA-Z]+)");
        Set<String> actions = new TreeSet<>();
        try (Stream<Path> pages = Files.walk(Path.of("src/main/webapp"))) {
            for (Path page : pages.filter(p -> p.toString().endsWith(".xhtml")).toList()) {
                Matcher m = action.matcher(Files.readString(page));
                while (m.find()) {
                    if (!m.group(1).equals("request")) {
                        actions.add(m.group(1) + "." + m.group(2));
                    }
                }
            }
        }
        List<Class<?>> beans = classesOfThisModule().stream().filter(c -> c.isAnnotationPresent(Named.class)).toList();
        List<String> problems = new ArrayList<>();
        for (String a : actions) {
            String bean = a.substring(0, a.indexOf('.'));
            String method = a.substring(a.indexOf('.') + 1);
            Class<?> type = beans.stream().filter(c -> beanName(c).equals(bean)).findFirst().orElse(null);
            if (type == null) {
                problems.add(a + ": no @Named bean " + bean);
                continue;
            }
            List<Method> methods = Stream.of(type.getMethods()).filter(m -> m.getName().equals(method)).toList();
            if (methods.isEmpty()) {
                problems.add(a + ": no such method");
            }
            for (Method m : methods) {
                if (RoleDeclaration.of(m, type).isEmpty()) {
                    problems.add(a + ": declares no role");
                }
            }
        }
        assertThat(actions).as("the pages' actions were found").hasSizeGreaterThanOrEqualTo(20).contains("runView.retry", "jobsView.startPrune");
        assertThat(problems).isEmpty();
    }

    @Test
    void consoleActionsThatChangeRunsOrFlowsNeedAnOperatorAndJobsAnAdmin() throws Exception {
        Class<?> run = Class.forName("io.pgflowee.web.console.RunView");
        assertThat(RoleDeclaration.of(run.getMethod("retry"), run).orElseThrow().roles()).containsExactly(Role.Name.OPERATOR);
        assertThat(RoleDeclaration.of(run.getMethod("refresh"), run).orElseThrow().roles()).containsExactly(Role.Name.VIEWER);
        Class<?> jobs = Class.forName("io.pgflowee.web.console.JobsView");
        assertThat(RoleDeclaration.of(jobs.getMethod("startPrune"), jobs).orElseThrow().roles()).containsExactly(Role.Name.ADMIN);
        Class<?> runs = Class.forName("io.pgflowee.web.console.RunsView");
        assertThat(RoleDeclaration.of(runs.getMethod("execute"), runs).orElseThrow().roles()).containsExactly(Role.Name.OPERATOR);
        assertThat(RoleDeclaration.of(run.getMethod("changePriority"), run).orElseThrow().roles()).containsExactly(Role.Name.OPERATOR);
        Class<?> flow = Class.forName("io.pgflowee.web.console.FlowView");
        assertThat(RoleDeclaration.of(flow.getMethod("keyLimit"), flow).orElseThrow().roles()).containsExactly(Role.Name.ADMIN);
        assertThat(RoleDeclaration.of(flow.getMethod("rateLimit"), flow).orElseThrow().roles()).containsExactly(Role.Name.ADMIN);
        assertThat(RoleDeclaration.of(flow.getMethod("limit"), flow).orElseThrow().roles()).containsExactly(Role.Name.OPERATOR);
    }

    private static String beanName(Class<?> c) {
        String named = c.getAnnotation(Named.class).value();
        return named.isEmpty() ? Character.toLowerCase(c.getSimpleName().charAt(0)) + c.getSimpleName().substring(1) : named;
    }
}
