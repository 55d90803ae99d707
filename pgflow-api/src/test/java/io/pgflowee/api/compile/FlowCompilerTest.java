package io.pgflowee.api.compile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.pgflowee.api.compile.fixtures.AnalyzeWebsite;
import io.pgflowee.api.compile.fixtures.GreetUserFixture;
import io.pgflowee.api.flow.Flow;
import io.pgflowee.api.flow.Step;
import io.pgflowee.api.shape.FlowShapeTest;
import jakarta.json.JsonValue;

class FlowCompilerTest {

    @TempDir
    Path dir;

    private static String golden(String name) throws IOException {
        try (InputStream in = FlowCompilerTest.class.getResourceAsStream("/golden/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void compilesTheReferenceWorkedExampleToTheSameStatements() {
        assertThat(FlowCompiler.statements(new AnalyzeWebsite().flow())).containsExactly(
                "SELECT pgflow.create_flow('analyze_website', max_attempts => 3, base_delay => 5, timeout => 10);",
                "SELECT pgflow.add_step('analyze_website', 'website');",
                "SELECT pgflow.add_step('analyze_website', 'summary', ARRAY['website'], max_attempts => 5, timeout => 30);");
    }

    @Test
    void everyOptionIsEmittedInTheReferenceOrderAndQuotesAreDoubled() {
        Flow<JsonValue> flow = Flow.define("quoting", JsonValue.class);
        Step<String> a = flow.step("a", String.class).run(in -> "");
        Step<String> b = flow.step("b", String.class).run(in -> "");
        flow.map("m", String.class).overInput(String.class).startDelay(1).run(x -> x);
        flow.step("c", String.class).after(b, a).maxAttempts(4).baseDelay(2).timeout(9).startDelay(0)
                .when("{\"name\": \"O'Brien\"}").unless("{\"x\": [1, 2]}")
                .whenUnmet(io.pgflowee.api.flow.WhenUnmet.FAIL).whenExhausted(io.pgflowee.api.flow.WhenExhausted.SKIP_CASCADE)
                .run((x, y) -> x);
        assertThat(FlowCompiler.statements(flow)).containsExactly(
                "SELECT pgflow.create_flow('quoting');",
                "SELECT pgflow.add_step('quoting', 'a');",
                "SELECT pgflow.add_step('quoting', 'b');",
                "SELECT pgflow.add_step('quoting', 'm', start_delay => 1, step_type => 'map');",
                "SELECT pgflow.add_step('quoting', 'c', ARRAY['b', 'a'], max_attempts => 4, base_delay => 2, timeout => 9, "
                        + "start_delay => 0, required_input_pattern => '{\"name\":\"O''Brien\"}', forbidden_input_pattern => '{\"x\":[1,2]}', "
                        + "when_unmet => 'fail', when_exhausted => 'skip-cascade');");
    }

    @Test
    void aSignalStepCompilesToStepTypeSignalWithItsTimeoutAndConditions() {
        Flow<JsonValue> flow = Flow.define("approvals", JsonValue.class);
        Step<String> review = flow.step("review", String.class).run(in -> "");
        Step<Boolean> approval = flow.signal("approval", Boolean.class).after(review).timeout(86400)
                .when("{\"review\": \"needed\"}").whenExhausted(io.pgflowee.api.flow.WhenExhausted.SKIP_CASCADE).await();
        flow.step("ship", String.class).after(approval).run(ok -> "");
        assertThat(FlowCompiler.statements(flow)).containsExactly(
                "SELECT pgflow.create_flow('approvals');",
                "SELECT pgflow.add_step('approvals', 'review');",
                "SELECT pgflow.add_step('approvals', 'approval', ARRAY['review'], timeout => 86400, "
                        + "required_input_pattern => '{\"review\":\"needed\"}', when_exhausted => 'skip-cascade', step_type => 'signal');",
                "SELECT pgflow.add_step('approvals', 'ship', ARRAY['approval']);");
    }

    @Test
    void changelogsMatchTheGoldenFiles() throws IOException {
        assertThat(FlowCompiler.changelog(new GreetUserFixture().flow())).isEqualTo(golden("greet_user.sql"));
        assertThat(FlowCompiler.changelog(FlowShapeTest.richFlow())).isEqualTo(golden("rich.sql"));
        assertThat(FlowCompiler.masterChangelog(List.of("greet_user.sql", "order.sql", "analyze_website.sql", "countdown.sql", "payment.sql"),
                java.util.Map.of("order.sql", FlowCompiler.changelog(new io.pgflowee.api.compile.fixtures.OrderFixture().flow()),
                        "countdown.sql", FlowCompiler.changelog(new io.pgflowee.api.compile.fixtures.CountdownFixture().flow()))))
                .isEqualTo(golden("changelog.xml"));
    }

    private record Result(int status, String out, String err) {
    }

    private Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new FlowCompilerCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String testClasses() {
        return Path.of("target/test-classes").toAbsolutePath().toString();
    }

    @Test
    void theCommandCompilesAllFlowsOrTheNamedOnesAndChecksForDrift() throws IOException {
        Path out = dir.resolve("flows");
        Result named = cli("--classes", testClasses(), "--out", out.toString(), "greet_user");
        assertThat(named.status()).isZero();
        assertThat(named.out()).contains("created   " + out.resolve("greet_user.sql"));
        assertThat(Files.readString(out.resolve("greet_user.sql"))).isEqualTo(golden("greet_user.sql"));
        assertThat(out.resolve("analyze_website.sql")).doesNotExist();

        Result check = cli("--check", "--classes", testClasses(), "--out", out.toString());
        assertThat(check.status()).isEqualTo(1);
        assertThat(check.err()).contains("pgflow compile --check: 5 changelog(s) out of date in " + out + ":",
                "missing:  " + out.resolve("analyze_website.sql") + " (flow analyze_website is not compiled)",
                "differs:  " + out.resolve("changelog.xml"));

        Result all = cli("--classes", testClasses(), "--out", out.toString());
        assertThat(all.status()).isZero();
        assertThat(all.out()).contains("unchanged " + out.resolve("greet_user.sql"), "created   " + out.resolve("analyze_website.sql"));
        assertThat(Files.readString(out.resolve("changelog.xml"))).isEqualTo(golden("changelog.xml"));
        Result clean = cli("--check", "--classes", testClasses(), "--out", out.toString());
        assertThat(clean.status()).isZero();
        assertThat(clean.out()).isEqualTo("pgflow compile --check: 5 flow(s) up to date in " + out + System.lineSeparator());

        // the flow changed in Java since it was compiled: here, the file holds an older version
        Flow<GreetUserFixture.Input> old = Flow.define("greet_user", GreetUserFixture.Input.class);
        old.step("full_name", String.class).run(in -> in.firstName());
        Files.writeString(out.resolve("greet_user.sql"), FlowCompiler.changelog(old));
        Result drift = cli("--check", "--classes", testClasses(), "--out", out.toString());
        assertThat(drift.status()).isEqualTo(1);
        assertThat(drift.err()).contains("differs:  " + out.resolve("greet_user.sql")
                + " (flow greet_user changed since it was compiled; line 6: expected \"--precondition-sql-check");
    }

    @Test
    void subflowStepsCompileWithTheirChildsSlugAndTheChildComesFirstInTheMasterChangelog() {
        assertThat(FlowCompiler.statements(new io.pgflowee.api.compile.fixtures.OrderFixture().flow())).containsExactly(
                "SELECT pgflow.create_flow('order');",
                "SELECT pgflow.add_step('order', 'total');",
                "SELECT pgflow.add_step('order', 'parcels');",
                "SELECT pgflow.add_step('order', 'pay', ARRAY['total'], max_attempts => 2, timeout => 600, step_type => 'subflow', "
                        + "subflow_slug => 'payment');",
                "SELECT pgflow.add_step('order', 'per_parcel', ARRAY['parcels'], step_type => 'map_subflow', subflow_slug => 'payment');");
        assertThat(FlowCompiler.changelog(new io.pgflowee.api.compile.fixtures.OrderFixture().flow()))
                .contains("\"subflowSlug\":\"payment\"");
        java.util.Map<String, String> texts = java.util.Map.of(
                "a.sql", "SELECT pgflow.add_step('a', 'x', step_type => 'subflow', subflow_slug => 'c');",
                "b.sql", "", "c.sql", "SELECT pgflow.add_step('c', 'again', step_type => 'subflow', subflow_slug => 'c');");
        assertThat(FlowCompiler.masterChangelog(List.of("a.sql", "b.sql", "c.sql"), texts))
                .as("a flow that starts itself needs nothing first").containsSubsequence("\"b.sql\"", "\"c.sql\"", "\"a.sql\"");
        java.util.Map<String, String> cycle = java.util.Map.of(
                "a.sql", "subflow_slug => 'b'", "b.sql", "subflow_slug => 'a'", "c.sql", "");
        assertThatThrownBy(() -> FlowCompiler.masterChangelog(List.of("a.sql", "b.sql", "c.sql"), cycle))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the flows a, b start each other as subflows in a cycle; only a flow"
                        + " that starts itself can be applied (each flow's changelog needs the flows it starts to exist): break the cycle");
    }

    @Test
    void aSubflowWhoseChildIsNotCompiledIsRefused() {
        Path out = dir.resolve("flows");
        Result refused = cli("--classes", testClasses(), "--out", out.toString(), "order");
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err()).isEqualTo("pgflow compile: step \"pay\" of flow \"order\" starts flow \"payment\" ("
                + "io.pgflowee.api.compile.fixtures.PaymentFixture), which is neither among the flows compiled here nor in " + out
                + ": compile the child flow too (its class must be in the classes directory)" + System.lineSeparator());
        assertThat(cli("--classes", testClasses(), "--out", out.toString(), "payment").status()).isZero();
        assertThat(cli("--classes", testClasses(), "--out", out.toString(), "order").status()).as("the child is compiled now").isZero();
    }

    @Test
    void usageErrorsAndUnknownFlowsExitWithTwo() {
        assertThat(cli("--out", "x").status()).isEqualTo(2);
        Result unknown = cli("--classes", testClasses(), "--out", dir.toString(), "nope");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("pgflow compile: no flow named 'nope' in [" + testClasses()
                + "]; found: analyze_website, countdown, greet_user, order, payment" + System.lineSeparator());
        Result missing = cli("--classes", dir.resolve("absent").toString(), "--out", dir.toString());
        assertThat(missing.err()).startsWith("pgflow compile: classes directory " + dir.resolve("absent") + " does not exist");
    }

    @Test
    void aModuleWithoutFlowsIsAnErrorUnlessAllowed() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("classes"));
        Path out = dir.resolve("flows");
        Result refused = cli("--classes", empty.toString(), "--out", out.toString());
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err()).isEqualTo("pgflow compile: no FlowDefinition class found in [" + empty + "]" + System.lineSeparator());

        // the shipped flows module before the user's first flow: nothing to write, nothing to check
        Result allowed = cli("--allow-none", "--classes", empty.toString(), "--out", out.toString());
        assertThat(allowed.status()).isZero();
        assertThat(allowed.out()).isEqualTo("pgflow compile: no flows yet in [" + empty
                + "] (add a class that implements FlowDefinition)" + System.lineSeparator());
        assertThat(out).doesNotExist();
        Result checked = cli("--allow-none", "--check", "--classes", dir.resolve("absent").toString(), "--out", out.toString());
        assertThat(checked.status()).isZero();
        assertThat(checked.out()).as("the check stays quiet: the build's compile step said it once").isEmpty();
        assertThat(cli("--allow-none", "--check", "--classes", empty.toString(), "--out", out.toString()).out()).isEmpty();
        // a named flow that is not there stays an error
        assertThat(cli("--allow-none", "--classes", empty.toString(), "--out", out.toString(), "nope").status()).isEqualTo(2);
    }
}
