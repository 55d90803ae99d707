package io.pgflowee.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * The reload of a change to flow modules only, in seconds and without Maven: the launcher compiles
 * the changed modules itself (the JDK's compiler, with the classpath Maven wrote for each module at
 * the last full build, {@code target/pgflow-classpath.txt}), runs the flow compiler on them
 * (writing {@code liquibase/flows/} as {@code -Pcompile-flows} does), and puts the module's new jar,
 * and the changelog jar when a compiled flow changed, into the {@link ExplodedWar}.
 *
 * <p>A flow module is a module whose {@code pom.xml} lists the flow compiler
 * ({@code exec-maven-plugin}, as {@code flows/} and {@code pgflow-examples/} do) and whose jar is
 * in the WAR. Nothing else is compiled against a flow module, so compiling it alone is what Maven
 * would do. A change anywhere else (a pom, the engine, the web module, the core schema) takes the
 * full Maven build; a change to tests or to the launcher only deploys nothing.
 */
final class FastBuild {

    /** What a set of changes needs. */
    enum Need { NOTHING, FAST, FULL }

    /** The result of a fast build: which modules were put in the WAR, which flows' changelogs changed. */
    record Result(boolean ok, boolean deploy, List<String> modules, List<String> changedFlows) {
    }

    private static final String CLASSPATH_FILE = "target/pgflow-classpath.txt";
    private static final String CHANGELOGS = "liquibase/flows/";
    private static final String COMPILED_CHANGELOGS_IN_JAR = "pgflow/db/flows/";
    private static final int SHOWN_ERRORS = 40;
    /** 2020-01-01T00:00:00Z, the time of every entry of a jar this class writes. */
    private static final long FIXED_TIME = 1_577_836_800_000L;

    private final Path root;
    private final Path work;
    private final PrintStream out;

    FastBuild(Path root, Path work, PrintStream out) {
        this.root = root;
        this.work = work;
        this.out = out;
    }

    /** The path of a change as {@link SourceFingerprint#changes} words it ({@code "a/b.java (changed)"}). */
    static String path(String change) {
        int paren = change.lastIndexOf(" (");
        return paren < 0 ? change : change.substring(0, paren);
    }

    /** What these changes need: nothing (tests only), a fast build of flow modules, or the full build. */
    Need need(List<String> changes, ExplodedWar war) {
        if (ToolProvider.getSystemJavaCompiler() == null) {
            return Need.FULL; // a JRE: Maven compiles
        }
        boolean deploy = false;
        for (String change : changes) {
            String path = path(change);
            String[] parts = path.split("/");
            if (parts.length >= 3 && parts[1].equals("src") && parts[2].equals("test")) {
                continue; // tests are not in the WAR
            }
            if (parts[0].equals("pgflow-launcher")) {
                continue; // not in the WAR either: the launcher says to restart ./pgflow for it
            }
            if (path.startsWith(CHANGELOGS)) {
                deploy = true;
                continue;
            }
            if (parts.length >= 4 && parts[1].equals("src") && parts[2].equals("main")
                    && (parts[3].equals("java") || parts[3].equals("resources")) && jarInWar(parts[0], war).isPresent()) {
                deploy = true;
                continue;
            }
            return Need.FULL;
        }
        return deploy ? Need.FAST : Need.NOTHING;
    }

    /** The modules (directory names) that changes touch in {@code src/main}. */
    static Set<String> modules(List<String> changes) {
        Set<String> modules = new LinkedHashSet<>();
        for (String change : changes) {
            String[] parts = path(change).split("/");
            if (parts.length >= 4 && parts[1].equals("src") && parts[2].equals("main")) {
                modules.add(parts[0]);
            }
        }
        return modules;
    }

    /**
     * The WAR entry of a flow module's jar ({@code WEB-INF/lib/pgflow-flows-0.1.0-SNAPSHOT.jar}), when
     * {@code module} is a flow module with a recorded classpath and its jar is in the WAR.
     */
    Optional<String> jarInWar(String module, ExplodedWar war) {
        Path dir = root.resolve(module);
        Path pom = dir.resolve("pom.xml");
        try {
            if (!Files.isRegularFile(pom) || !Files.readString(pom).contains("<artifactId>exec-maven-plugin</artifactId>")
                    || !Files.isRegularFile(dir.resolve(CLASSPATH_FILE)) || !Files.isDirectory(dir.resolve("target"))) {
                return Optional.empty();
            }
            try (var files = Files.list(dir.resolve("target"))) {
                for (Path jar : files.sorted().toList()) {
                    String name = jar.getFileName().toString();
                    if (name.endsWith(".jar") && !name.endsWith("-tests.jar") && !name.endsWith("-sources.jar")
                            && war.file("WEB-INF/lib/" + name).isPresent()) {
                        return Optional.of("WEB-INF/lib/" + name);
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * Compiles each changed flow module, compiles its flows to {@code liquibase/flows/}, and puts the
     * new jars into the WAR. On an error prints it (compiler errors with file and line) and puts nothing.
     */
    Result build(List<String> changes, ExplodedWar war) throws IOException {
        Map<String, byte[]> changelogsBefore = changelogs(root);
        Map<String, byte[]> jars = new TreeMap<>();
        List<String> modules = new ArrayList<>();
        for (String module : modules(changes)) {
            String entry = jarInWar(module, war).orElseThrow();
            Path classes = work.resolve(module);
            ExplodedWar.deleteTree(classes);
            Files.createDirectories(classes);
            List<String> classpath = classpath(module);
            if (!compile(module, classes, classpath) || !compileFlows(module, classes, classpath)) {
                return new Result(false, false, List.of(), List.of());
            }
            jars.put(entry, jar(classes, root.resolve(module).resolve("src/main/resources")));
            modules.add(module);
        }
        Map<String, byte[]> changelogsAfter = changelogs(root);
        List<String> changedFlows = changedFlows(changelogsBefore, changelogsAfter);
        boolean deploy = false;
        for (Map.Entry<String, byte[]> jar : jars.entrySet()) {
            deploy |= war.put(jar.getKey(), jar.getValue());
        }
        // the changelogs as they are now (compiled, or edited, or removed): the WAR's changelog jar gets them
        Optional<String> liquibase = war.libraryStartingWith("pgflow-liquibase-");
        if (liquibase.isPresent()) {
            Path jar = war.file(liquibase.get()).orElseThrow();
            if (!sameChangelogs(changelogsIn(jar), changelogsAfter)) {
                deploy |= war.put(liquibase.get(), withChangelogs(jar, changelogsAfter));
            }
        }
        return new Result(true, deploy, modules, changedFlows);
    }

    /**
     * Compiles every flow module once into a scratch directory and throws the result away: the
     * JDK's compiler runs about 1.5 s slower the first time in a JVM, and the first reload should not
     * pay for it. Run in the background once the server is ready; prints nothing.
     */
    void warmUp(ExplodedWar war) {
        try (var dirs = Files.list(root)) {
            PrintStream silent = new PrintStream(java.io.OutputStream.nullOutputStream());
            FastBuild quiet = new FastBuild(root, work.resolveSibling("warm-up"), silent);
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                String module = dir.getFileName().toString();
                if (jarInWar(module, war).isPresent()) {
                    Path classes = quiet.work.resolve(module);
                    ExplodedWar.deleteTree(classes);
                    Files.createDirectories(classes);
                    quiet.compile(module, classes, classpath(module));
                }
            }
            ExplodedWar.deleteTree(quiet.work);
        } catch (IOException | RuntimeException e) {
            // only a warm-up: the reload compiles for real
        }
    }

    private List<String> classpath(String module) throws IOException {
        String text = Files.readString(root.resolve(module).resolve(CLASSPATH_FILE)).strip();
        List<String> entries = new ArrayList<>();
        for (String entry : text.split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                entries.add(entry);
            }
        }
        return entries;
    }

    private boolean compile(String module, Path classes, List<String> classpath) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            out.println("pgflow: this Java has no compiler (a JRE, not a JDK): building with Maven instead");
            return false;
        }
        List<Path> sources;
        Path sourceDir = root.resolve(module).resolve("src/main/java");
        if (!Files.isDirectory(sourceDir)) {
            return true;
        }
        try (var walk = Files.walk(sourceDir)) {
            sources = walk.filter(p -> p.toString().endsWith(".java") && Files.isRegularFile(p)).sorted().toList();
        }
        if (sources.isEmpty()) {
            return true;
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("--release", "17", "-parameters", "-encoding", "UTF-8", "-nowarn",
                    "-implicit:none", "-d", classes.toString(), "-classpath", String.join(java.io.File.pathSeparator, classpath));
            boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromPaths(sources)).call();
            if (!ok) {
                out.println("pgflow: " + module + " does not compile; the running server keeps the last good build:");
                int shown = 0;
                for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                    if (d.getKind() == Diagnostic.Kind.ERROR && shown++ < SHOWN_ERRORS) {
                        String where = d.getSource() == null ? module
                                : root.relativize(Path.of(d.getSource().toUri())).toString() + ":" + d.getLineNumber();
                        out.println("  " + where + ": " + d.getMessage(Locale.ROOT));
                    }
                }
            }
            return ok;
        }
    }

    /** The flow compiler on the new classes, in a class loader of its own (the module's classpath). */
    private boolean compileFlows(String module, Path classes, List<String> classpath) throws IOException {
        List<URL> urls = new ArrayList<>();
        urls.add(classes.toUri().toURL());
        for (String entry : classpath) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            thread.setContextClassLoader(loader);
            Class<?> cli = loader.loadClass("io.pgflowee.api.compile.FlowCompilerCli");
            Object compiler = cli.getConstructor(PrintStream.class, PrintStream.class).newInstance(
                    new PrintStream(stdout, true, StandardCharsets.UTF_8), new PrintStream(stderr, true, StandardCharsets.UTF_8));
            int status = (int) cli.getMethod("run", String[].class).invoke(compiler, (Object) new String[] {
                "--allow-none", "--classes", classes.toString(), "--out", root.resolve(CHANGELOGS).toString()});
            if (status != 0) {
                out.println("pgflow: the flows of " + module + " do not compile; the running server keeps the last good build:");
                (stderr.toString(StandardCharsets.UTF_8) + stdout.toString(StandardCharsets.UTF_8)).lines()
                        .filter(l -> !l.isBlank()).limit(SHOWN_ERRORS).forEach(l -> out.println("  " + l));
                return false;
            }
            return true;
        } catch (ReflectiveOperationException e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException i && i.getCause() != null ? i.getCause() : e;
            out.println("pgflow: the flow compiler failed on " + module + ": " + cause
                    + "; the running server keeps the last good build");
            return false;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The slugs of the flows whose compiled changelog ({@code <slug>.sql}) was added or changed. */
    static List<String> changedFlows(Map<String, byte[]> before, Map<String, byte[]> after) {
        List<String> changed = new ArrayList<>();
        after.forEach((file, content) -> {
            if (file.endsWith(".sql") && !java.util.Arrays.equals(content, before.get(file))) {
                changed.add(file.substring(0, file.length() - 4));
            }
        });
        return changed;
    }

    /** The compiled changelogs in {@code liquibase/flows/} by file name, with their contents. */
    static Map<String, byte[]> changelogs(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        Path dir = root.resolve(CHANGELOGS);
        if (Files.isDirectory(dir)) {
            try (var list = Files.list(dir)) {
                for (Path f : list.filter(Files::isRegularFile).toList()) {
                    files.put(f.getFileName().toString(), Files.readAllBytes(f));
                }
            }
        }
        return files;
    }

    /** A jar of a directory's files, then the resources' (resources are copied as Maven does, unfiltered). */
    static byte[] jar(Path classes, Path resources) throws IOException {
        Map<String, Path> files = new TreeMap<>();
        for (Path dir : new Path[] {classes, resources}) {
            if (Files.isDirectory(dir)) {
                try (var walk = Files.walk(dir)) {
                    walk.filter(Files::isRegularFile).forEach(f -> files.put(dir.relativize(f).toString().replace('\\', '/'), f));
                }
            }
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Created-By", "pgflow launcher (fast reload)");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes)) {
            jar.putNextEntry(entry("META-INF/"));
            jar.closeEntry();
            jar.putNextEntry(entry("META-INF/MANIFEST.MF"));
            manifest.write(jar);
            jar.closeEntry();
            Set<String> dirs = new java.util.HashSet<>();
            dirs.add("META-INF/");
            for (Map.Entry<String, Path> f : files.entrySet()) {
                String name = f.getKey();
                if (name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
                    String d = name.substring(0, slash + 1);
                    if (dirs.add(d)) {
                        jar.putNextEntry(entry(d));
                        jar.closeEntry();
                    }
                }
                jar.putNextEntry(entry(name));
                Files.copy(f.getValue(), jar);
                jar.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The compiled changelogs in a changelog jar ({@code pgflow/db/flows/*}) by file name. */
    static Map<String, byte[]> changelogsIn(Path liquibaseJar) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(liquibaseJar))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                String name = e.getName();
                if (!e.isDirectory() && name.startsWith(COMPILED_CHANGELOGS_IN_JAR) && name.indexOf('/', COMPILED_CHANGELOGS_IN_JAR.length()) < 0) {
                    files.put(name.substring(COMPILED_CHANGELOGS_IN_JAR.length()), in.readAllBytes());
                }
            }
        }
        return files;
    }

    static boolean sameChangelogs(Map<String, byte[]> a, Map<String, byte[]> b) {
        return a.keySet().equals(b.keySet()) && a.keySet().stream().allMatch(k -> java.util.Arrays.equals(a.get(k), b.get(k)));
    }

    /** A jar entry with a fixed time, so that the same classes make the same jar (and no redeploy). */
    private static JarEntry entry(String name) {
        JarEntry e = new JarEntry(name);
        e.setTime(FIXED_TIME);
        return e;
    }

    /** The changelog jar with {@code pgflow/db/flows/} replaced by {@code changelogs}. */
    static byte[] withChangelogs(Path liquibaseJar, Map<String, byte[]> changelogs) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(liquibaseJar));
                JarOutputStream jar = new JarOutputStream(bytes)) {
            boolean flowsDirectory = false;
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().startsWith(COMPILED_CHANGELOGS_IN_JAR) && !e.getName().equals(COMPILED_CHANGELOGS_IN_JAR)) {
                    continue;
                }
                flowsDirectory |= e.getName().equals(COMPILED_CHANGELOGS_IN_JAR);
                jar.putNextEntry(new JarEntry(e.getName()));
                in.transferTo(jar);
                jar.closeEntry();
            }
            if (!flowsDirectory) {
                jar.putNextEntry(new JarEntry(COMPILED_CHANGELOGS_IN_JAR));
                jar.closeEntry();
            }
            for (Map.Entry<String, byte[]> c : changelogs.entrySet()) {
                jar.putNextEntry(new JarEntry(COMPILED_CHANGELOGS_IN_JAR + c.getKey()));
                jar.write(c.getValue());
                jar.closeEntry();
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return bytes.toByteArray();
    }
}
