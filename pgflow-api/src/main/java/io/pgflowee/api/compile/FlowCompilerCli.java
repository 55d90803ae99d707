package io.pgflowee.api.compile;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.FlowDefinition;

/**
 * The flow compiler's command line. Finds every {@link FlowDefinition} in a classes directory,
 * and writes (or, with {@code --check}, verifies) {@code <out>/<slug>.sql} and {@code <out>/changelog.xml}.
 *
 * <pre>
 * FlowCompilerCli --classes target/classes --out ../liquibase/flows [--check] [--allow-none] [flow_slug ...]
 * </pre>
 *
 * {@code --allow-none} accepts a module with no flow yet (the user's {@code flows} module as shipped):
 * without it, finding no flow is a usage error, since it usually means the wrong directory.
 *
 * Exit status: 0 when everything was written or is up to date, 1 when {@code --check} found a
 * missing or different changelog (each one listed), 2 on a usage or definition error.
 */
public final class FlowCompilerCli {

    private final PrintStream out;
    private final PrintStream err;

    public FlowCompilerCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int status = new FlowCompilerCli(System.out, System.err).run(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the command; returns the exit status. */
    public int run(String... args) {
        List<Path> classDirs = new ArrayList<>();
        Path outDir = null;
        boolean check = false;
        boolean allowNone = false;
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a == null) {
                continue; // an empty Maven <argument/> arrives as null
            }
            switch (a) {
                case "--classes" -> {
                    if (++i == args.length) {
                        return usage("--classes needs a directory");
                    }
                    classDirs.add(Path.of(args[i]));
                }
                case "--out" -> {
                    if (++i == args.length) {
                        return usage("--out needs a directory");
                    }
                    outDir = Path.of(args[i]).toAbsolutePath().normalize();
                }
                case "--check" -> check = true;
                case "--allow-none" -> allowNone = true;
                default -> {
                    if (a.startsWith("--")) {
                        return usage("unknown option " + a);
                    }
                    if (!a.isBlank()) {
                        only.addAll(List.of(a.trim().split("[,\\s]+")));
                    }
                }
            }
        }
        if (classDirs.isEmpty() || outDir == null) {
            return usage("--classes and --out are required");
        }
        Map<String, Flow<?>> flows;
        try {
            if (allowNone && only.isEmpty() && classDirs.stream().noneMatch(Files::isDirectory)) {
                if (!check) { // the build's compile step said it already: the check of the same module stays quiet
                    out.println("pgflow compile: no flows yet in " + classDirs + " (no classes compiled)");
                }
                return 0;
            }
            flows = discover(classDirs);
        } catch (RuntimeException e) {
            err.println("pgflow compile: " + e.getMessage());
            return 2;
        }
        if (!only.isEmpty()) {
            for (String slug : only) {
                if (!flows.containsKey(slug)) {
                    err.println("pgflow compile: no flow named '" + slug + "' in " + classDirs + "; found: " + String.join(", ", flows.keySet()));
                    return 2;
                }
            }
            flows.keySet().retainAll(only);
        }
        if (flows.isEmpty() && allowNone) {
            if (!check) { // said once per build, by the compile step
                out.println("pgflow compile: no flows yet in " + classDirs + " (add a class that implements FlowDefinition)");
            }
            return 0;
        }
        if (flows.isEmpty()) {
            err.println("pgflow compile: no FlowDefinition class found in " + classDirs);
            return 2;
        }
        String unknown = unknownSubflows(flows, outDir);
        if (unknown != null) {
            err.println("pgflow compile: " + unknown);
            return 2;
        }
        try {
            return check ? check(flows, outDir) : write(flows, outDir);
        } catch (UncheckedIOException | IllegalArgumentException e) {
            err.println("pgflow compile: " + e.getMessage());
            return 2;
        }
    }

    private int write(Map<String, Flow<?>> flows, Path outDir) {
        try {
            Files.createDirectories(outDir);
            for (Flow<?> flow : flows.values()) {
                Path file = outDir.resolve(flow.slug() + ".sql");
                String text = FlowCompiler.changelog(flow);
                if (Files.exists(file) && Files.readString(file).equals(text)) {
                    out.println("unchanged " + file);
                } else {
                    out.println((Files.exists(file) ? "updated   " : "created   ") + file);
                    Files.writeString(file, text, StandardCharsets.UTF_8);
                }
            }
            Path master = outDir.resolve("changelog.xml");
            String text = FlowCompiler.masterChangelog(flowFiles(outDir), texts(outDir, flowFiles(outDir), Map.of()));
            if (!Files.exists(master) || !Files.readString(master).equals(text)) {
                Files.writeString(master, text, StandardCharsets.UTF_8);
                out.println("updated   " + master);
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int check(Map<String, Flow<?>> flows, Path outDir) {
        List<String> problems = new ArrayList<>();
        try {
            for (Flow<?> flow : flows.values()) {
                Path file = outDir.resolve(flow.slug() + ".sql");
                if (!Files.exists(file)) {
                    problems.add("missing:  " + file + " (flow " + flow.slug() + " is not compiled)");
                    continue;
                }
                String expected = FlowCompiler.changelog(flow);
                String actual = Files.readString(file);
                if (!actual.equals(expected)) {
                    problems.add("differs:  " + file + " (flow " + flow.slug() + " changed since it was compiled; "
                            + firstDifference(expected, actual) + ")");
                }
            }
            Path master = outDir.resolve("changelog.xml");
            List<String> names = new ArrayList<>(flowFiles(outDir));
            flows.keySet().forEach(slug -> {
                if (!names.contains(slug + ".sql")) {
                    names.add(slug + ".sql");
                }
            });
            Map<String, String> compiled = new TreeMap<>();
            flows.values().forEach(f -> compiled.put(f.slug() + ".sql", FlowCompiler.changelog(f)));
            String expected = FlowCompiler.masterChangelog(names, texts(outDir, names, compiled));
            if (!Files.exists(master)) {
                problems.add("missing:  " + master);
            } else if (!Files.readString(master).equals(expected)) {
                problems.add("differs:  " + master + " (" + firstDifference(expected, Files.readString(master)) + ")");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (problems.isEmpty()) {
            out.println("pgflow compile --check: " + flows.size() + " flow(s) up to date in " + outDir);
            return 0;
        }
        err.println("pgflow compile --check: " + problems.size() + " changelog(s) out of date in " + outDir + ":");
        problems.forEach(p -> err.println("  " + p));
        err.println("Recompile with the flow compiler (README, \"Write a flow\"). A flow already applied somewhere "
                + "must not change its structure: give it a new slug (my_flow_v2) instead.");
        return 1;
    }

    private static String firstDifference(String expected, String actual) {
        String[] e = expected.split("\n", -1);
        String[] a = actual.split("\n", -1);
        for (int i = 0; i < Math.max(e.length, a.length); i++) {
            String x = i < e.length ? e[i] : "<end of file>";
            String y = i < a.length ? a[i] : "<end of file>";
            if (!x.equals(y)) {
                return "line " + (i + 1) + ": expected \"" + abbreviate(x) + "\", found \"" + abbreviate(y) + "\"";
            }
        }
        return "line endings differ";
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 157) + "...";
    }

    /** The text of each named flow file: from {@code compiled} when there, else from {@code dir} (absent: none). */
    private static Map<String, String> texts(Path dir, List<String> names, Map<String, String> compiled) throws IOException {
        Map<String, String> texts = new TreeMap<>();
        for (String name : names) {
            Path file = dir.resolve(name);
            String text = compiled.containsKey(name) ? compiled.get(name) : Files.exists(file) ? Files.readString(file) : null;
            if (text != null) {
                texts.put(name, text);
            }
        }
        return texts;
    }

    /**
     * Why a subflow step of {@code flows} cannot be compiled, or null: its child definition cannot be
     * built, or the child flow is neither among {@code flows} nor compiled in {@code outDir}.
     */
    static String unknownSubflows(Map<String, Flow<?>> flows, Path outDir) {
        for (Flow<?> flow : flows.values()) {
            for (var step : flow.steps()) {
                if (!step.stepType().isSubflow()) {
                    continue;
                }
                String child;
                try {
                    child = step.subflowSlug();
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
                if (!flows.containsKey(child) && !Files.exists(outDir.resolve(child + ".sql"))) {
                    return "step \"" + step.slug() + "\" of flow \"" + flow.slug() + "\" starts flow \"" + child + "\" ("
                            + step.subflowDefinition().getName() + "), which is neither among the flows compiled here nor in " + outDir
                            + ": compile the child flow too (its class must be in the classes directory)";
                }
            }
        }
        return null;
    }

    private static List<String> flowFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).sorted().toList();
        }
    }

    /** Every flow defined by a concrete {@link FlowDefinition} class under {@code classDirs}, by slug. */
    static Map<String, Flow<?>> discover(List<Path> classDirs) {
        Map<String, Flow<?>> flows = new TreeMap<>();
        Map<String, String> origin = new TreeMap<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (Path dir : classDirs) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("classes directory " + dir.toAbsolutePath() + " does not exist (compile the module first)");
            }
            List<String> classNames;
            try (Stream<Path> files = Files.walk(dir)) {
                classNames = files.filter(p -> p.toString().endsWith(".class"))
                        .map(p -> dir.relativize(p).toString())
                        .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.').replace('\\', '.'))
                        .sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (String name : classNames) {
                Class<?> type;
                try {
                    type = Class.forName(name, false, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    continue;
                }
                if (!FlowDefinition.class.isAssignableFrom(type) || type.isInterface()
                        || Modifier.isAbstract(type.getModifiers())) {
                    continue;
                }
                Flow<?> flow;
                try {
                    Constructor<?> constructor = type.getDeclaredConstructor();
                    constructor.setAccessible(true);
                    flow = ((FlowDefinition) constructor.newInstance()).flow();
                } catch (NoSuchMethodException e) {
                    throw new IllegalArgumentException(name + " implements FlowDefinition but has no no-argument constructor");
                } catch (ReflectiveOperationException e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    throw new IllegalArgumentException(name + ".flow() failed: " + cause, cause);
                }
                if (flow == null) {
                    throw new IllegalArgumentException(name + ".flow() returned null");
                }
                flow.validate();
                String previous = origin.put(flow.slug(), name);
                if (previous != null) {
                    throw new IllegalArgumentException("flow '" + flow.slug() + "' is defined twice: by " + previous + " and by " + name);
                }
                flows.put(flow.slug(), flow);
            }
        }
        return flows;
    }

    private int usage(String problem) {
        err.println("pgflow compile: " + problem);
        err.println("usage: FlowCompilerCli --classes <dir> --out <dir> [--check] [--allow-none] [flow_slug ...]");
        return 2;
    }
}
