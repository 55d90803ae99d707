package io.pgflowee.it.support;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** What the built WAR holds, read from the WAR itself: its JAX-RS methods and its Faces pages. */
public final class ItWar {

    private ItWar() {
    }

    /** One JAX-RS method: {@code POST} {@code /api/runs/{id}/retry}, and whether it takes parameters. */
    public record Endpoint(String verb, String path, boolean takesInput) {
    }

    public static File war() {
        return new File(System.getProperty("it.target", "target"), "pgflow.war");
    }

    /** Every JAX-RS resource method of the WAR's own classes. */
    public static List<Endpoint> endpoints() throws Exception {
        File war = war();
        List<Endpoint> endpoints = new ArrayList<>();
        try (ZipFile zip = new ZipFile(war);
             URLClassLoader loader = new URLClassLoader(new URL[] {new URL("jar:" + war.toURI() + "!/WEB-INF/classes/")},
                     ItWar.class.getClassLoader())) {
            for (String name : zip.stream().map(ZipEntry::getName)
                    .filter(n -> n.startsWith("WEB-INF/classes/") && n.endsWith(".class") && !n.contains("$")).toList()) {
                Class<?> type = loader.loadClass(name.substring("WEB-INF/classes/".length(), name.length() - 6).replace('/', '.'));
                jakarta.ws.rs.Path root = type.getAnnotation(jakarta.ws.rs.Path.class);
                if (root == null) {
                    continue;
                }
                for (java.lang.reflect.Method m : type.getDeclaredMethods()) {
                    String verb = m.isAnnotationPresent(jakarta.ws.rs.GET.class) ? "GET" : m.isAnnotationPresent(jakarta.ws.rs.POST.class)
                            ? "POST" : m.isAnnotationPresent(jakarta.ws.rs.PUT.class) ? "PUT"
                            : m.isAnnotationPresent(jakarta.ws.rs.DELETE.class) ? "DELETE" : null;
                    if (verb != null) {
                        jakarta.ws.rs.Path sub = m.getAnnotation(jakarta.ws.rs.Path.class);
                        endpoints.add(new Endpoint(verb, "/api/" + root.value() + (sub == null ? "" : "/" + sub.value()),
                                m.getParameterCount() > 0));
                    }
                }
            }
        }
        return endpoints;
    }

    /** The Faces pages of the WAR (every {@code .xhtml} outside WEB-INF), as {@code /runs.xhtml}. */
    public static List<String> pages() throws Exception {
        try (ZipFile war = new ZipFile(war())) {
            return war.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".xhtml") && !n.contains("/")).map(n -> "/" + n).sorted().toList();
        }
    }
}
